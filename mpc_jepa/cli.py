"""The ``mpc-jepa`` command line. Every subcommand's settings are a typed dataclass (see --help)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from mpc_jepa.cli_args import add_dataclass_args, dataclass_from_args


@dataclass(frozen=True)
class CollectSettings:
    task: str = "point_mass"
    """Task name (see `mpc-jepa tasks`) or dmc:<domain>-<task>."""
    out: str = ""
    """Dataset directory to write (default: data/<task>[-pixels])."""
    episodes: int = 200
    """Number of episodes."""
    episode_length: int = 0
    """Agent steps per episode (0: the task's episode length)."""
    seed: int = 0
    """Seed for starts and exploration actions."""
    pixels: bool = False
    """Also store 64x64 (see --image-size) uint8 images."""
    image_size: int = 64
    """Image side in pixels."""
    overwrite: bool = False
    """Replace an existing dataset (otherwise an existing one is reused)."""

    def path(self) -> Path:
        return Path(self.out or f"data/{self.task.replace(':', '_')}{'-pixels' if self.pixels else ''}")


def cmd_tasks(_args) -> int:
    import tasks

    for name in tasks.names():
        t = tasks.load(name, seed=0)
        print(
            f"{name:12s} state_dim={t.state_dim} action_dim={t.action_dim} episode_length={t.episode_length} "
            f"success: distance <= {t.success_threshold} ({type(t).__doc__.strip().splitlines()[0] if type(t).__doc__ else ''})"
        )
    print("dmc:<domain>-<task>  any dm-control suite task, goal = state reached k steps later")
    return 0


def run_collect(s: CollectSettings, progress: bool = True):
    """Collect a dataset (or reuse the one already at the path). Returns the Dataset."""
    import tasks
    from mpc_jepa.data import Dataset, collect

    path = s.path()
    if path.exists() and not s.overwrite:
        ds = Dataset(path)
        if ds.task != s.task:
            raise SystemExit(f"error: {path} holds a dataset of task {ds.task!r}, not {s.task!r}; use --overwrite or another --out")
        repeat = tasks.load(s.task).action_repeat
        if ds.meta["action_repeat"] != repeat:  # the task's timing changed since collection: stale data
            print(f"{path} was collected with action_repeat={ds.meta['action_repeat']}, the task now uses {repeat}: collecting again")
            return run_collect(replace(s, overwrite=True), progress)
        print(f"reusing dataset {path} ({ds.num_episodes} episodes, {len(ds)} frames)")
        return ds
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels, image_size=s.image_size)
    ds = collect(task, path, episodes=s.episodes, episode_length=s.episode_length or None, seed=s.seed, overwrite=s.overwrite, progress=progress)
    cov = ds.meta["coverage_10x10"]
    print(
        f"wrote {path}: {ds.num_episodes} episodes, {len(ds)} frames, {ds.meta['frames_per_second']:.0f} frames/s"
        + (f", coverage of a 10x10 grid: {cov:.0%}" if cov is not None else "")
    )
    return ds


def cmd_collect(args) -> int:
    run_collect(dataclass_from_args(CollectSettings, args))
    return 0


@dataclass(frozen=True)
class TrainSettings:
    task: str = "point_mass"
    """Task whose dataset is used (collected first if missing)."""
    dataset: str = ""
    """Dataset directory (default: data/<task>)."""
    out: str = ""
    """Checkpoint to write (default: runs/<task>/world_model.pt)."""
    collect_episodes: int = 200
    """Episodes to collect when the dataset is missing."""
    resume: bool = False
    """Continue an interrupted run from --out (optimizer, schedule, step, RNG restored)."""
    level: str = "fast"
    """'fast': the JEPA world model; 'slow': the hierarchical slow level over a trained fast model (and
    its temporal-distance metric); 'distance': (re)train only the metric of the slow level at --out."""
    fast_checkpoint: str = ""
    """With --level slow or distance: the trained fast model (default: runs/<task>/world_model.pt)."""

    def checkpoint(self, pixels: bool = False) -> Path:
        name = ("world_model_pixels.pt" if pixels else "world_model.pt") if self.level == "fast" else "slow_model.pt"
        return Path(self.out or f"runs/{self.task.replace(':', '_')}/{name}")


def run_train(s: TrainSettings, cfg, mcfg, progress: bool = True):
    """Collect if needed, then train. Under torchrun: rank 0 collects, all ranks train (DDP)."""
    from mpc_jepa import distributed
    from mpc_jepa.data import Dataset
    from mpc_jepa.training import format_report, train

    info = distributed.init_from_env(cfg.device)
    settings = CollectSettings(task=s.task, out=s.dataset, episodes=s.collect_episodes, pixels=mcfg.obs_type == "pixels")
    if info.is_main:
        ds = run_collect(settings, progress)
    distributed.barrier(info)
    if not info.is_main:
        ds = Dataset(settings.path())
    out = s.checkpoint(pixels=mcfg.obs_type == "pixels")
    result = train(ds, out, cfg, mcfg, resume=s.resume, progress=progress)
    if info.is_main:
        print(f"wrote {out}  ({result.metrics['steps_per_second']:.0f} steps/s, {info.world_size} process(es))")
        print(format_report(result.metrics))
    return result


def cmd_train(args) -> int:
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.slow import SlowModelConfig
    from mpc_jepa.training import TrainConfig
    from mpc_jepa.training_distance import DistanceTrainConfig

    s = dataclass_from_args(TrainSettings, args)
    cfg = dataclass_from_args(TrainConfig, args)
    if s.level == "fast":
        run_train(s, cfg, dataclass_from_args(WorldModelConfig, args))
    elif s.level == "slow":
        run_train_slow(s, cfg, dataclass_from_args(SlowModelConfig, args, prefix="slow_"), dataclass_from_args(DistanceTrainConfig, args, prefix="distance_"))
    elif s.level == "distance":
        run_train_distance(s, dataclass_from_args(DistanceTrainConfig, args, prefix="distance_", seed=cfg.seed, device=cfg.device))
    else:
        raise SystemExit(f"error: --level must be 'fast', 'slow' or 'distance', got {s.level!r}")
    return 0


def _fast_and_dataset(s: TrainSettings, device: str, progress: bool):
    """The trained fast model of ``s.task`` and its dataset (images too for a pixel fast model)."""
    from mpc_jepa import diagnostics
    from mpc_jepa.checkpoint import load_world_model

    fast_path = s.fast_checkpoint or f"runs/{s.task.replace(':', '_')}/world_model.pt"
    fast = load_world_model(fast_path, task=s.task, device=device)
    pixels = diagnostics.obs_key(fast) == "pixels"  # a pixel fast model: the slow level trains on images too
    return fast, run_collect(CollectSettings(task=s.task, out=s.dataset, episodes=s.collect_episodes, pixels=pixels), progress)


def run_train_slow(s: TrainSettings, cfg, slow_cfg, distance_cfg=None, progress: bool = True):
    """Train the slow level (and, with ``distance_cfg.steps`` > 0, its metric) over the trained fast model of ``s.task``."""
    from mpc_jepa.training_distance import DistanceTrainConfig
    from mpc_jepa.training_slow import SlowTrainConfig, train_slow

    distance_cfg = distance_cfg or DistanceTrainConfig()
    fast, ds = _fast_and_dataset(s, cfg.device, progress)
    tcfg = SlowTrainConfig(
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        slow_steps=cfg.rollout_steps,
        lr=cfg.lr,
        reach_step=cfg.reach_step,
        distance_steps=distance_cfg.steps,
        seed=cfg.seed,
        device=cfg.device,
    )
    slow, metrics = train_slow(ds, fast, s.checkpoint(), tcfg, slow_cfg, progress=progress, distance_config=distance_cfg)
    print(f"wrote {s.checkpoint()}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if isinstance(v, float)))
    return slow, metrics


def run_train_distance(s: TrainSettings, distance_cfg, progress: bool = True):
    """Train the temporal-distance metric of the slow level at ``s.checkpoint()`` and rewrite it."""
    from mpc_jepa.training_slow import add_temporal_distance

    fast, ds = _fast_and_dataset(s, distance_cfg.device, progress)
    slow = add_temporal_distance(s.checkpoint(), fast, ds, distance_cfg, progress=progress)
    print(f"wrote {s.checkpoint()}: temporal distance " + ", ".join(f"{k} {v:.3f}" for k, v in slow.meta["temporal_distance"].items()))
    return slow


@dataclass(frozen=True)
class EvalSettings:
    task: str = "point_mass"
    """Task to evaluate on."""
    checkpoint: str = ""
    """World-model checkpoint (default: runs/<task>/world_model.pt); unused with --model oracle."""
    model: str = "learned"
    """'learned' (the JEPA checkpoint) or 'oracle' (the task's true MuJoCo physics)."""
    episodes: int = 50
    """Episodes (seeds seed, seed+1, ...)."""
    seed: int = 100000
    """First episode seed (far from the collection seeds)."""
    json: str = ""
    """Write per-episode and summary results here as JSON."""
    device: str = "cpu"
    """Torch device for the learned model."""
    slow_checkpoint: str = ""
    """With --planner hierarchical or --goal-metric temporal: the slow level (default: runs/<task>/slow_model.pt)."""
    pixels: bool = False
    """Plan from 64x64 camera images with a pixel checkpoint (default runs/<task>/world_model_pixels.pt); goals are images."""
    workers: int = 1
    """Processes sharing the episodes (results equal a sequential run; under torchrun the ranks share them)."""


def load_model(task, model: str, checkpoint: str, device: str = "cpu"):
    """``evaluation.load_model`` with command-line errors."""
    from mpc_jepa.evaluation import load_model as load

    try:
        return load(task, model, checkpoint, device)
    except ValueError as e:
        raise SystemExit(f"error: --{e}") from e


def cmd_eval(args) -> int:
    import tasks
    from mpc_jepa import distributed
    from mpc_jepa.evaluation import PlanSettings, evaluate, load_slow_model, needs_slow_model
    from mpc_jepa.sharding import EvalJob, evaluate_ranks, evaluate_sharded

    s = dataclass_from_args(EvalSettings, args)
    ps = dataclass_from_args(PlanSettings, args)
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels)
    model = load_model(task, s.model, s.checkpoint, s.device)
    if s.workers > 1 or distributed.env_world_size() > 1:
        job = EvalJob(s.task, s.model, s.checkpoint, s.slow_checkpoint, s.device, ps, s.episodes, s.seed, s.pixels)
        out = evaluate_ranks(job) if distributed.env_world_size() > 1 else evaluate_sharded(job, s.workers)
        if out is None:  # not rank 0: rank 0 reports
            return 0
    else:
        slow = load_slow_model(task, model, s.slow_checkpoint, ps.slow_search) if needs_slow_model(ps) else None
        out = evaluate(task, model, ps, s.episodes, seed=s.seed, device=s.device, slow_model=slow)
    out["settings"] = {**asdict(s), **asdict(ps)}
    summ = out["summary"]
    print(
        f"{s.task} {s.model} {ps.planner}: success {summ['success_rate']:.0%}, mean final distance {summ['mean_final_distance']:.4f}, "
        f"median {summ['median_ms_per_step']:.1f} ms/step, {summ['model_evals_per_step']:.0f} model evals/step"
    )
    if s.json:
        _dump(out, s.json)
        print(f"wrote {s.json}")
    return 0


@dataclass(frozen=True)
class PlanEpisodeSettings:
    task: str = "point_mass"
    """Task."""
    checkpoint: str = ""
    """World-model checkpoint (default: runs/<task>/world_model.pt)."""
    model: str = "learned"
    """'learned' or 'oracle'."""
    seed: int = 100000
    """Episode seed."""
    video: str = "runs/plan/episode.mp4"
    """Video to write (GIF where no MP4 encoder is available)."""
    pixels: bool = False
    """Plan from camera images with a pixel checkpoint (default runs/<task>/world_model_pixels.pt)."""


def cmd_plan(args) -> int:
    import tasks
    from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner, observer, planning_model
    from mpc_jepa.mpc import MPCController, observe_physics, run_episode
    from mpc_jepa.viz import label_frames, save_video

    s = dataclass_from_args(PlanEpisodeSettings, args)
    ps = dataclass_from_args(PlanSettings, args)
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels)
    model = load_model(task, s.model, s.checkpoint)
    ctrl = MPCController(model, make_planner(ps.planner, planning_model(model, ps), ps), make_cost(model, ps), ps.replan_every)
    frames: list = []
    r = run_episode(task, ctrl, s.seed, observe=observe_physics if s.model == "oracle" else observer(model), frames=frames)
    path = save_video(label_frames([f for f in frames], f"{s.task} {ps.planner} ({s.model})"), s.video)
    print(f"success={r.success} final distance {r.final_distance:.4f} (start {r.start_distance:.4f}), {r.ms_per_step:.1f} ms/step; wrote {path}")
    return 0


def cmd_demo(args) -> int:
    from mpc_jepa.demo import DemoSettings, run_demo

    run_demo(dataclass_from_args(DemoSettings, args))
    return 0


def cmd_bench(args) -> int:
    from mpc_jepa.benchmark import BenchSettings, run_benchmarks

    run_benchmarks(dataclass_from_args(BenchSettings, args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from mpc_jepa.benchmark import BenchSettings
    from mpc_jepa.demo import DemoSettings
    from mpc_jepa.evaluation import PlanSettings
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.slow import SlowModelConfig
    from mpc_jepa.training import TrainConfig
    from mpc_jepa.training_distance import DistanceTrainConfig

    parser = argparse.ArgumentParser(prog="mpc-jepa", description="Model-predictive planning with JEPA world models in MuJoCo.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tasks", help="list the registered tasks")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("collect", help="collect an exploration dataset")
    add_dataclass_args(p, CollectSettings)
    p.set_defaults(func=cmd_collect)
    p = sub.add_parser("train", help="train a JEPA world model (collects the dataset if missing)")
    add_dataclass_args(p, TrainSettings)
    add_dataclass_args(p, TrainConfig)
    add_dataclass_args(p, WorldModelConfig)
    add_dataclass_args(p, SlowModelConfig, prefix="slow_")
    add_dataclass_args(p, DistanceTrainConfig, prefix="distance_", skip=("seed", "device"))
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("eval", help="closed-loop evaluation of a planner over seeded episodes")
    add_dataclass_args(p, EvalSettings)
    add_dataclass_args(p, PlanSettings)
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("plan", help="plan one episode and write a video")
    add_dataclass_args(p, PlanEpisodeSettings)
    add_dataclass_args(p, PlanSettings)
    p.set_defaults(func=cmd_plan)
    p = sub.add_parser("demo", help="collect, train, plan with several planners, write videos and plots")
    add_dataclass_args(p, DemoSettings)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("bench", help="run the benchmarks and write benchmarks/RESULTS.md")
    add_dataclass_args(p, BenchSettings)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dump(obj, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=float))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())

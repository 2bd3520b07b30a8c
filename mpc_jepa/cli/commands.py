"""The subcommands of ``mpc-jepa``: each reads its typed settings and calls the pipeline or an
app."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import tasks
from mpc_jepa.apps.bench import BenchSettings, run_benchmarks
from mpc_jepa.apps.demo import DemoSettings, run_demo
from mpc_jepa.cli.args import dataclass_from_args
from mpc_jepa.control import ActorController, MPCController, observe_physics, run_episode
from mpc_jepa.evaluation import (
    PlanSettings,
    evaluate,
    evaluate_actor,
    make_cost,
    make_planner,
    needs_slow_model,
    observer,
    planning_model,
)
from mpc_jepa.files import write_json
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.slow import SlowModelConfig
from mpc_jepa.models.value import ValueConfig
from mpc_jepa.outputs import check_replaceable, check_writable
from mpc_jepa.pipeline import (
    CollectSettings,
    TrainSettings,
    load_actor,
    load_model,
    load_slow_model,
    load_value_model,
    run_collect,
    run_train,
    run_train_actor,
    run_train_distance,
    run_train_slow,
    run_train_value,
)
from mpc_jepa.pipeline.learn import LearnSettings, run_learn
from mpc_jepa.pipeline.recipes import learn_with_recipe, plan_with_recipe, train_recipe_defaults
from mpc_jepa.pipeline.sharding import EvalJob, evaluate_ranks, evaluate_sharded
from mpc_jepa.training import DistanceTrainConfig, TrainConfig, distributed
from mpc_jepa.training.goal_actor import GoalActorTrainConfig
from mpc_jepa.training.value import ValueTrainConfig
from mpc_jepa.viz import label_frames, save_video


def cmd_tasks(_args) -> int:
    for name in tasks.names():
        t = tasks.load(name, seed=0)
        doc = type(t).__doc__.strip().splitlines()[0] if type(t).__doc__ else ""
        print(
            f"{name:12s} state_dim={t.state_dim} action_dim={t.action_dim} "
            f"episode_length={t.episode_length} "
            f"success: distance <= {t.success_threshold} ({doc})"
        )
    print("families:")
    for pattern, what in tasks.FAMILIES.items():
        print(f"  {pattern}  {what}")
    return 0


def cmd_collect(args) -> int:
    s = dataclass_from_args(CollectSettings, args)
    check_writable(s.path(), "--out", directory=True)
    run_collect(s)
    return 0


def recipe_defaults(args) -> dict:
    """The task recipe's settings for the ``train`` options the command line left out."""
    recipe = tasks.load(args.task).recipe
    return train_recipe_defaults(recipe, args.level, args.obs_type, getattr(args, "given", None))


def plan_settings(args, task) -> PlanSettings:
    """The planner options given, the rest from ``task``'s recipe, then ``PlanSettings``."""
    ps = dataclass_from_args(PlanSettings, args)
    return plan_with_recipe(ps, getattr(args, "given", None), task.recipe)


def cmd_train(args) -> int:
    for name, value in recipe_defaults(args).items():
        setattr(args, name, value)
    s = dataclass_from_args(TrainSettings, args)
    cfg = dataclass_from_args(TrainConfig, args)
    pixels = getattr(args, "obs_type", "state") == "pixels"
    check_writable(s.checkpoint(pixels), "--out")
    if s.level != "distance":  # the others write a new file; distance rewrites the slow level
        check_replaceable(s.checkpoint(pixels), "checkpoint")
    if s.level == "fast":
        run_train(s, cfg, dataclass_from_args(WorldModelConfig, args))
    elif s.level == "slow":
        slow_cfg = dataclass_from_args(SlowModelConfig, args, prefix="slow_")
        run_train_slow(
            s, cfg, slow_cfg, dataclass_from_args(DistanceTrainConfig, args, prefix="distance_")
        )
    elif s.level == "value":
        vcfg = dataclass_from_args(
            ValueTrainConfig, args, prefix="value_", seed=cfg.seed, device=cfg.device
        )
        run_train_value(s, vcfg, dataclass_from_args(ValueConfig, args, prefix="value_"))
    elif s.level == "actor":
        kw = dict(seed=cfg.seed, device=cfg.device)
        run_train_actor(s, dataclass_from_args(GoalActorTrainConfig, args, prefix="actor_", **kw))
    else:
        dcfg = dataclass_from_args(
            DistanceTrainConfig, args, prefix="distance_", seed=cfg.seed, device=cfg.device
        )
        run_train_distance(s, dcfg)
    return 0


@dataclass(frozen=True)
class ModelChoice:
    """What `eval` and `plan` share: the task, its models and the first episode seed."""

    task: str = "point_mass"
    """Task to plan on."""
    checkpoint: str = ""
    """World-model checkpoint (default: runs/<task>/world_model.pt); unused with --model oracle."""
    model: str = "learned"
    """'learned' (the JEPA checkpoint) or 'oracle' (the task's true MuJoCo physics)."""
    seed: int = 100000
    """(First) episode seed (far from the collection seeds)."""
    pixels: bool = False
    """Plan from 64x64 camera images with a pixel checkpoint (default
    runs/<task>/world_model_pixels.pt); goals are images."""
    slow_checkpoint: str = ""
    """With --planner hierarchical or --goal-metric temporal|graph: the slow level (default:
    runs/<task>/slow_model.pt)."""
    value_checkpoint: str = ""
    """Reward tasks (dmc:<domain>-<task>@reward): the reward head and critic (default:
    runs/<task>/value_heads.pt)."""
    actor: str = ""
    """Act with this goal-actor checkpoint instead of a planner (mode 1, no planning; written by
    `mpc-jepa train --level actor` to runs/<task>/goal_actor.pt); comma-separated checkpoints act
    as one, their action chunks averaged."""


def _models(s: ModelChoice, ps: PlanSettings, device: str = "cpu"):
    """The task (seeded by ``s.seed``), its world model, the slow level if ``ps`` reads it, and a
    reward task's value heads (else None)."""
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels)
    model = load_model(task, s.model, s.checkpoint, device)
    slow = (
        load_slow_model(task, model, s.slow_checkpoint, ps.slow_search)
        if needs_slow_model(ps)
        else None
    )
    return task, model, slow, load_value_model(task, model, s.value_checkpoint)


@dataclass(frozen=True)
class EvalSettings(ModelChoice):
    episodes: int = 50
    """Episodes (seeds seed, seed+1, ...)."""
    json: str = ""
    """Write per-episode and summary results here as JSON."""
    device: str = "cpu"
    """Torch device for the learned model."""
    workers: int = 1
    """Processes sharing the episodes (results equal a sequential run; under torchrun the ranks
    share them)."""
    batch: int = 1
    """Episodes advanced together and planned in one batched call per control step (each keeps
    its own seeds: results equal a sequential run's up to float rounding; works with
    --workers)."""

    def __post_init__(self):
        for name in ("episodes", "workers", "batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def cmd_eval(args) -> int:
    s = dataclass_from_args(EvalSettings, args)
    if s.json:  # named before the evaluation runs, not after
        check_writable(s.json, "--json")
        check_replaceable(s.json, "json", "--json")
    ps = plan_settings(args, tasks.load(s.task))
    if s.actor:  # no world model, no planner
        task, actor = tasks.load(s.task, seed=s.seed), load_actor(s.task, s.actor, s.device)
        out = evaluate_actor(task, actor, s.episodes, s.seed, device=s.device, batch=s.batch)
    elif s.workers > 1 or distributed.env_world_size() > 1:
        task, model, slow, heads = _models(s, ps, s.device)  # bad paths fail before the workers
        job = EvalJob(
            s.task,
            s.model,
            s.checkpoint,
            s.slow_checkpoint,
            s.device,
            ps,
            s.episodes,
            s.seed,
            s.pixels,
            s.batch,
            s.value_checkpoint,
        )
        out = (
            evaluate_ranks(job)
            if distributed.env_world_size() > 1
            else evaluate_sharded(job, s.workers)
        )
        if out is None:  # not rank 0: rank 0 reports
            return 0
    else:
        task, model, slow, heads = _models(s, ps, s.device)
        out = evaluate(task, model, ps, s.episodes, seed=s.seed, device=s.device,
                       slow_model=slow, batch=s.batch, heads=heads)  # fmt: skip
    out["settings"] = {**asdict(s), **asdict(ps)}
    summ = out["summary"]
    evals = "n/a" if summ["model_evals_per_step"] is None else f"{summ['model_evals_per_step']:.0f}"
    score = (
        f"return {summ['mean_return']:.1f} +- {summ['std_return']:.1f}"
        if summ["success_rate"] is None
        else f"success {summ['success_rate']:.0%}, "
        f"mean final distance {summ['mean_final_distance']:.4f}"
    )
    print(
        f"{s.task} {'goal actor' if s.actor else f'{s.model} {ps.planner}'}: {score}, "
        f"median {summ['median_ms_per_step']:.1f} ms/step, {evals} model evals/step"
    )
    if s.json:
        print(f"wrote {write_json(s.json, out)}")
    return 0


@dataclass(frozen=True)
class PlanEpisodeSettings(ModelChoice):
    video: str = "runs/plan/episode.mp4"
    """Video to write (GIF where no MP4 encoder is available)."""


def cmd_plan(args) -> int:
    s = dataclass_from_args(PlanEpisodeSettings, args)
    check_writable(s.video, "--video")
    if s.actor:  # mode 1: no world model, no planner, no plan settings
        task, observe, label = tasks.load(s.task, seed=s.seed), None, "goal actor"
        ctrl = ActorController(load_actor(s.task, s.actor))
    else:
        ps = plan_settings(args, tasks.load(s.task))
        task, model, slow, heads = _models(s, ps)
        plan = make_planner(ps.planner, planning_model(model, ps), ps, slow_model=slow, heads=heads)
        ctrl = MPCController(model, plan, make_cost(model, ps, slow, heads), ps.replan_every)
        observe = observe_physics if s.model == "oracle" else observer(model)
        label = f"{ps.planner} ({s.model})"
    frames: list = []
    r = run_episode(task, ctrl, s.seed, observe=observe, frames=frames)
    path = save_video(label_frames(frames, f"{s.task} {label}"), s.video)
    score = (
        f"return {r.episode_return:.1f}"
        if r.success is None
        else f"success={r.success} final distance {r.final_distance:.4f} (start "
        f"{r.start_distance:.4f})"
    )
    print(f"{score}, {r.ms_per_step:.1f} ms/step; wrote {path}")
    return 0


def learn_settings(args, task) -> LearnSettings:
    """The learning options given, the rest from ``task``'s recipe, then ``LearnSettings``."""
    s = dataclass_from_args(LearnSettings, args)
    return learn_with_recipe(s, getattr(args, "given", None), task.recipe)


def cmd_learn(args) -> int:
    task = tasks.load(dataclass_from_args(LearnSettings, args).task, objective="reward")
    s = learn_settings(args, task)
    check_writable(s.directory(), "--out", directory=True)
    curve = run_learn(s, plan_settings(args, task))
    last = curve[-1]
    print(
        f"{s.task}: return {last['mean_return']:.1f} +- {last['std_return']:.1f} at "
        f"{last['env_steps']:.0f} environment steps; wrote {s.directory() / 'curve.csv'} and "
        "curve.png"
    )
    return 0


def cmd_demo(args) -> int:
    run_demo(dataclass_from_args(DemoSettings, args))
    return 0


def cmd_bench(args) -> int:
    run_benchmarks(dataclass_from_args(BenchSettings, args))
    return 0

"""The subcommands of ``mpc-jepa``: each reads its typed settings and calls the pipeline or an
app."""

from __future__ import annotations

from dataclasses import dataclass

import tasks
from mpc_jepa.apps.bench import BenchSettings, run_benchmarks
from mpc_jepa.apps.demo import DemoSettings, run_demo
from mpc_jepa.cli.args import dataclass_from_args
from mpc_jepa.control import ActorController, run_episode
from mpc_jepa.evaluation import PlanSettings, make_controller, observer, planning_model
from mpc_jepa.files import write_json
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.slow import SlowModelConfig
from mpc_jepa.models.value import ValueConfig
from mpc_jepa.outputs import check_replaceable, check_writable
from mpc_jepa.pipeline import (
    CollectSettings,
    TrainSettings,
    load_actor,
    run_collect,
    run_train,
    run_train_actor,
    run_train_distance,
    run_train_slow,
    run_train_value,
)
from mpc_jepa.pipeline.eval_settings import EvalSettings, ModelChoice, load_planning_models
from mpc_jepa.pipeline.evaluate import run_eval
from mpc_jepa.pipeline.learn import LearnSettings, run_learn
from mpc_jepa.pipeline.recipes import learn_with_recipe, plan_with_recipe, train_recipe_defaults
from mpc_jepa.training import DistanceTrainConfig, TrainConfig
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
    return train_recipe_defaults(recipe, args.level, args.obs_type, args.given)


def cmd_train(args) -> int:
    for name, value in recipe_defaults(args).items():
        setattr(args, name, value)
    s = dataclass_from_args(TrainSettings, args)
    cfg = dataclass_from_args(TrainConfig, args)
    pixels = args.obs_type == "pixels"
    check_writable(s.checkpoint(pixels), "--out")
    check_replaceable(s.checkpoint(pixels), "checkpoint")
    if s.level == "fast":
        run_train(s, cfg, dataclass_from_args(WorldModelConfig, args))
    elif s.level == "slow":
        run_train_slow(s, cfg, dataclass_from_args(SlowModelConfig, args, prefix="slow_"))
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
        run_train_distance(s, dcfg, cfg.reach_step)
    return 0


def cmd_eval(args) -> int:
    s = dataclass_from_args(EvalSettings, args)
    if s.json:  # named before the evaluation runs, not after
        check_writable(s.json, "--json")
        check_replaceable(s.json, "json", "--json")
    out = run_eval(s, dataclass_from_args(PlanSettings, args), args.given)
    if out is None:  # not rank 0: rank 0 reports
        return 0
    summ = out["summary"]
    who = "goal actor" if s.actor else f"{s.model} {out['settings']['planner']}"
    evals = "n/a" if summ["model_evals_per_step"] is None else f"{summ['model_evals_per_step']:.0f}"
    score = (
        f"return {summ['mean_return']:.1f} +- {summ['std_return']:.1f}"
        if summ["success_rate"] is None
        else f"success {summ['success_rate']:.0%}, "
        f"mean final distance {summ['mean_final_distance']:.4f}"
    )
    print(
        f"{s.task} {who}: {score}, "
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
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels and not s.actor)
    if s.actor:  # mode 1: no world model, no planner, no plan settings
        observe, label = None, "goal actor"
        ctrl = ActorController(load_actor(s.task, s.actor))
    else:
        ps = plan_with_recipe(dataclass_from_args(PlanSettings, args), args.given, task.recipe)
        m = load_planning_models(task, s, ps)
        ctrl = make_controller(m.model, ps, planning_model(m.model, ps), m.slow, m.distance,
                               m.heads, m.actor)  # fmt: skip
        observe, label = observer(m.model), f"{ps.planner} ({s.model})"
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
    return learn_with_recipe(s, args.given, task.recipe)


def cmd_learn(args) -> int:
    task = tasks.load(dataclass_from_args(LearnSettings, args).task, objective="reward")
    s = learn_settings(args, task)
    check_writable(s.directory(), "--out", directory=True)
    ps = plan_with_recipe(dataclass_from_args(PlanSettings, args), args.given, task.recipe)
    curve = run_learn(s, ps)
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

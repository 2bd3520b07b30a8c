"""The ``mpc-jepa`` command line. Every subcommand's settings are a typed dataclass (see --help).

The library's errors (an unknown task, a bad setting, a damaged checkpoint or dataset) are
reported as one ``error:`` line naming the value, with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from mpc_jepa.apps.bench import BenchSettings
from mpc_jepa.apps.demo import DemoSettings
from mpc_jepa.cli import commands as c
from mpc_jepa.cli.args import add_dataclass_args
from mpc_jepa.evaluation import PlanSettings
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.slow import SlowModelConfig
from mpc_jepa.models.value import ValueConfig
from mpc_jepa.pipeline import CollectSettings, TrainSettings
from mpc_jepa.pipeline.eval_settings import EvalSettings
from mpc_jepa.pipeline.learn import LearnSettings
from mpc_jepa.resources import check_device
from mpc_jepa.training import DistanceTrainConfig, TrainConfig
from mpc_jepa.training.goal_actor import GoalActorTrainConfig
from mpc_jepa.training.value import ValueTrainConfig

USAGE_ERRORS = (ValueError, OSError)
"""What the library raises for bad input (``MpcJepaError`` and ``tasks.TaskError`` are
ValueErrors) and what the system says of a path (missing, a directory, no permission, disk full:
its message names the path)."""


def build_parser(suppress: bool = False) -> argparse.ArgumentParser:
    """The parser; ``suppress``: only the options given appear in the namespace."""
    parser = argparse.ArgumentParser(
        prog="mpc-jepa", description="Model-predictive planning with JEPA world models in MuJoCo."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "tasks": ("list the registered tasks", c.cmd_tasks, ()),
        "collect": ("collect an exploration dataset", c.cmd_collect, (CollectSettings,)),
        "train": (
            "train a JEPA world model, the learned distance, the slow level, a reward task's value"
            " heads or a goal actor (collects the dataset if missing; model sizes, rollout and "
            "landmarks left out: the task's recipe)",
            c.cmd_train,
            (TrainSettings, TrainConfig, WorldModelConfig),
        ),
        "eval": (
            "closed-loop evaluation of a planner over seeded episodes",
            c.cmd_eval,
            (EvalSettings, PlanSettings),
        ),
        "plan": (
            "plan one episode and write a video",
            c.cmd_plan,
            (c.PlanEpisodeSettings, PlanSettings),
        ),
        "demo": (
            "collect, train, plan with several planners, write videos and plots",
            c.cmd_demo,
            (DemoSettings,),
        ),
        "learn": (
            "learn a reward task by acting: explore, then plan, append, update, evaluate",
            c.cmd_learn,
            (LearnSettings, PlanSettings),
        ),
        "bench": (
            "run the benchmarks and write benchmarks/RESULTS.md",
            c.cmd_bench,
            (BenchSettings,),
        ),
    }
    for name, (help_text, func, settings) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        for cls in settings:
            # learning by acting plans with flat planners only: no hierarchy flags
            skip = ("hierarchy",) if name == "learn" and cls is PlanSettings else ()
            add_dataclass_args(p, cls, skip=skip, suppress=suppress)
        if name == "train":
            _add_train_levels(p, suppress)
        p.set_defaults(func=func)
    return parser


TRAIN_LEVELS = (  # (settings, option prefix, --level, what; whether seed and device are shared)
    (SlowModelConfig, "slow_", "slow", "the slow level's architecture", False),
    (DistanceTrainConfig, "distance_", "distance", "temporal distance, landmarks", True),
    (ValueTrainConfig, "value_", "value", "reward head and critic training", True),
    (ValueConfig, "value_", "value", "reward head and critic sizes", False),
    (GoalActorTrainConfig, "actor_", "actor", "the goal-conditioned actor", True),
)


def _add_train_levels(p: argparse.ArgumentParser, suppress: bool) -> None:
    """``train``'s options of the other levels, each in its own --help group (a level's seed and
    device are ``train``'s own)."""
    for cls, prefix, level, what, shared in TRAIN_LEVELS:
        title = f"--level {level}: {what} (--{prefix.rstrip('_')}-*)"
        skip = ("seed", "device") if shared else ()
        add_dataclass_args(p, cls, prefix=prefix, skip=skip, suppress=suppress, title=title)


def check_common(args: argparse.Namespace) -> None:
    """Checks every command shares, before any work: seeds are >= 0 and devices exist here."""
    for name, value in vars(args).items():
        flag = "--" + name.replace("_", "-")
        if name.endswith("seed") and isinstance(value, int) and value < 0:
            raise ValueError(f"{flag} must be >= 0, got {value}")
        if name.endswith("device") and isinstance(value, str):
            check_device(value, flag)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.given = set(vars(build_parser(suppress=True).parse_args(argv)))
    try:
        check_common(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except USAGE_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main"]

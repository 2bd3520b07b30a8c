"""Goal-conditioned MuJoCo tasks: ``tasks.load(name, seed=...)`` and ``tasks.names()``.

Every task follows the template in ``tasks/base.py``. Names: the tasks registered below,
``dmc:<domain>-<task>`` for any dm-control suite task (goal-conditioned by the dataset protocol),
``dmc:<domain>-<task>@reward`` for the same task scored by its own reward (``tasks/dmc_reward.py``;
``@reward,repeat=2`` chooses its action repeat) and ``ogbench:<dataset>`` for OGBench's
environments (``tasks/ogbench.py``).
"""

from __future__ import annotations

import os
import re
from functools import partial

os.environ.setdefault("MUJOCO_GL", "egl")  # headless rendering unless the user chose a backend

from tasks.base import Goal, Task, TaskError
from tasks.dmc import DMCTask
from tasks.dmc_reward import DMCRewardTask
from tasks.maze import Maze
from tasks.ogbench import OGBenchTask
from tasks.pendulum import Pendulum
from tasks.point_mass import PointMass
from tasks.reacher import Reacher
from tasks.recipe import TrainingRecipe
from tasks.two_room import TwoRoom

REWARD_SUFFIX = "@reward"
_REGISTRY: dict[str, type[Task]] = {
    cls.name: cls for cls in (PointMass, Reacher, TwoRoom, Pendulum, Maze)
}

__all__ = ["Goal", "Task", "TaskError", "TrainingRecipe", "load", "names"]


FAMILIES = {
    "dmc:<domain>-<task>": "any dm-control suite task; the goal is the state reached k steps later "
    "(e.g. dmc:walker-walk)",
    "dmc:<domain>-<task>@reward[,repeat=k]": "the same suite task scored by its return (0-1000), "
    "action repeat k (e.g. dmc:cheetah-run@reward)",
    "ogbench:<dataset>": "OGBench's point mazes, cubes and scene with its 5 evaluation goals "
    "(pip install ogbench; e.g. ogbench:pointmaze-medium-navigate-v0, ogbench:cube-single-play-v0)",
}
"""Task families named by a prefix, beside the registered names (``mpc-jepa tasks`` lists both)."""


def names() -> list[str]:
    """Names of the registered tasks (``dmc:<domain>-<task>`` works too, for any suite task)."""
    return sorted(_REGISTRY)


def load(
    name: str, *, seed: int | None = 0, pixels: bool = False, image_size: int = 64, **kwargs
) -> Task:
    """Build a task by name.

    Args:
        name: a name from ``names()``, or ``"dmc:<domain>-<task>"``.
        seed: seeds starts, goals and the environment's own randomness.
        pixels: also observe [image_size, image_size, 3] uint8 images from the fixed camera.
        image_size: image side in pixels (16-512).
        **kwargs: task options: ``goal_steps``, ``burn_in`` for dmc goal tasks; ``objective``
            ('goal' or 'reward': ``load("dmc:cheetah-run", objective="reward")`` is
            ``load("dmc:cheetah-run@reward")``) and, for reward tasks, ``action_repeat``.
    The task's ``spawn()`` builds another instance with the same options (batched evaluation).
    """
    if not isinstance(name, str):
        raise TaskError(f"task name must be a string, got {name!r}")
    objective = kwargs.pop("objective", "goal")
    if objective not in ("goal", "reward"):
        raise TaskError(f"objective must be 'goal' or 'reward', got {objective!r}")
    given, (name, kwargs) = name, _repeat_option(name, kwargs)
    if objective == "reward" and not name.endswith(REWARD_SUFFIX):
        name += REWARD_SUFFIX
    if name.startswith("dmc:"):
        reward = name.endswith(REWARD_SUFFIX)
        suite_name = name[4 : len(name) - len(REWARD_SUFFIX) if reward else None]
        domain, sep, task = suite_name.partition("-")
        if not sep:
            raise TaskError(
                f"dm-control task names look like 'dmc:<domain>-<task>[@reward]', got {name!r}"
            )
        if not reward and "action_repeat" in kwargs:
            raise TaskError(f"action repeats are chosen for reward tasks ('...@reward'): {given!r}")
        cls = DMCRewardTask if reward else DMCTask
        made = cls(domain, task, seed=seed, pixels=pixels, image_size=image_size, **kwargs)
        made.spawn = partial(load, name, seed=None, pixels=pixels, image_size=image_size, **kwargs)
        return made
    if name.endswith(REWARD_SUFFIX):
        raise TaskError(
            f"only dm-control suite tasks ('dmc:...') have a reward objective: {name!r}"
        )
    if name.startswith("ogbench:"):
        if kwargs:
            raise TaskError(f"task {name!r} takes no options, got {sorted(kwargs)}")
        made = OGBenchTask(name[8:], seed=seed, pixels=pixels, image_size=image_size)
        made.spawn = partial(load, name, seed=None, pixels=pixels, image_size=image_size)
        return made
    if name not in _REGISTRY:
        raise TaskError(
            f"unknown task {name!r}; known: {', '.join(names())}, 'dmc:<domain>-<task>' or "
            "'ogbench:<dataset>'"
        )
    if kwargs:
        raise TaskError(f"task {name!r} takes no options, got {sorted(kwargs)}")
    task = _REGISTRY[name](seed=seed, pixels=pixels, image_size=image_size)
    task.spawn = partial(load, name, seed=None, pixels=pixels, image_size=image_size)
    return task


def _repeat_option(name: str, kwargs: dict) -> tuple[str, dict]:
    """``"dmc:cheetah-run@reward,repeat=2"`` -> (``"dmc:cheetah-run@reward"``, action_repeat=2):
    the repeat travels in the name, so checkpoints and runs record it and cannot be mixed up."""
    base, sep, option = name.partition(",")
    if not sep:
        return name, kwargs
    match = re.fullmatch(r"repeat=(\d+)", option)
    if match is None:
        raise TaskError(f"task option {option!r} in {name!r}: only 'repeat=<k>' is known")
    if "action_repeat" in kwargs and kwargs["action_repeat"] != int(match[1]):
        raise TaskError(f"{name!r} and action_repeat={kwargs['action_repeat']!r} disagree")
    return base, {**kwargs, "action_repeat": int(match[1])}

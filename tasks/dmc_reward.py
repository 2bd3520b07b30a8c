"""dmc:<domain>-<task>@reward: a dm-control suite task scored by its own reward, as PlaNet, Dreamer
and TD-MPC2 report it.

Episodes start from the suite's own initial-state distribution and last 1000 physics steps (the
suite's time limit), ``action_repeat`` physics steps per agent step; the score is the episode
return, the suite's per-step rewards (each in [0, 1]) summed over all 1000: 0-1000. There is no
goal: ``goal`` stays None and ``distance`` / ``success`` refuse to answer. Action repeats default
to PlaNet's per domain (``ACTION_REPEATS``); environment steps count physics steps
(agent steps x repeat), as the published learning curves do.
"""

from __future__ import annotations

import numpy as np

from tasks.base import Goal, TaskError
from tasks.dmc import DMCTask
from tasks.recipe import TrainingRecipe

ENV_STEPS = 1000
"""Control steps in a suite episode (its standard length: 1000 in every task's time limit)."""
DEFAULT_ACTION_REPEAT = 4
ACTION_REPEATS = {
    "cartpole": 8,
    "cheetah": 4,
    "reacher": 4,
    "ball_in_cup": 4,
    "finger": 2,
    "walker": 2,
    "pendulum": 4,
}

RECIPES = {
    # measured in docs/notes/2026-12-04-rewards-and-learning.md (sessions 13-16, 19-21): a policy
    # prior, one update per agent step, the latent shaped by the reward, input statistics renewed,
    # a latent larger than the 17 state dimensions, free of the goal tasks' reach geometry, and a
    # planning critic fitted at expectile 0.5 (the value of the data's own continuations)
    "cheetah-run": TrainingRecipe(
        latent_dim=32,
        utd=1.0,
        plan=(("policy_samples", 16),),
        learn=(
            ("eval_episodes", 10),
            ("reward_weight", 1.0),
            ("renew_stats", True),
            ("reach_weight", 0.0),
            ("value_expectile", 0.5),
        ),
    ),
}
"""Suite tasks that learn by acting with more than the default recipe."""


class DMCRewardTask(DMCTask):
    """A suite task whose objective is its return; ``tasks.load('dmc:cheetah-run@reward')``."""

    objective = "reward"

    def __init__(self, domain: str, task: str, *, action_repeat: int | None = None, **kwargs):
        repeat = action_repeat
        if repeat is None:
            repeat = ACTION_REPEATS.get(domain, DEFAULT_ACTION_REPEAT)
        if not isinstance(repeat, (int, np.integer)) or not 1 <= repeat <= ENV_STEPS:
            raise TaskError(f"action_repeat must be an int in [1, {ENV_STEPS}], got {repeat!r}")
        self.action_repeat = int(repeat)
        super().__init__(domain, task, **kwargs)
        self.name = f"dmc:{domain}-{task}@reward"
        if self.action_repeat != ACTION_REPEATS.get(domain, DEFAULT_ACTION_REPEAT):
            self.name += f",repeat={self.action_repeat}"  # loads back the same task
        self.episode_length = ENV_STEPS // self.action_repeat
        self.recipe = RECIPES.get(f"{domain}-{task}", self.recipe)

    def reset(self, seed: int | None = None, *, exploration: bool = False):
        """The suite's own initial state (``seed`` seeds it); no goal."""
        self._suite_reset(seed)
        self.goal = None
        return self.observe()

    def sample_goal(self, rng=None) -> Goal:
        raise TaskError(f"{self.name} is scored by its reward and has no goals")

    def distance(self, goal: Goal | None = None) -> float:
        if goal is None:
            raise TaskError(f"{self.name} is scored by its reward and has no goal to measure")
        return super().distance(goal)

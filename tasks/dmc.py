"""dmc:<domain>-<task>: any dm-control suite task, goal-conditioned by the dataset protocol.

The episode starts from a state reached by ``burn_in`` steps of exploration after the suite's own
reset (held out from training data by its seed); the goal is the state reached ``goal_steps``
(k) steps later under the same exploration. Every goal is therefore reachable in k steps.
State observation: the suite's observation dict flattened in key order. Physical goal: qpos.
Success: ||qpos - qpos_goal|| (mixed units: metres and radians) at most the domain's threshold
in ``SUCCESS_THRESHOLDS`` (default ``DEFAULT_THRESHOLD``).
"""

from __future__ import annotations

import numpy as np
from dm_control import suite

from tasks.base import Goal, Task, TaskError, load_suite

DEFAULT_THRESHOLD = 0.1
SUCCESS_THRESHOLDS = {
    "cartpole": 0.1,  # cart metres + pole radians
    "cheetah": 0.3,  # 9 joints: root x/z/pitch + 6 leg angles
    "walker": 0.3,
    "hopper": 0.2,
    "finger": 0.1,
    "acrobot": 0.15,
    "reacher": 0.1,
    "point_mass": 0.03,
    "pendulum": 0.1,
    "ball_in_cup": 0.05,
}


class DMCTask(Task):
    """Generic suite task; built by ``tasks.load('dmc:domain-task', goal_steps=k)``."""

    episode_length = 100
    camera = 0

    def __init__(
        self, domain: str, task: str, *, goal_steps: int = 25, burn_in: int = 10, **kwargs
    ):
        if (domain, task) not in suite.ALL_TASKS:
            raise TaskError(
                f"unknown dm-control suite task '{domain}-{task}'; known: "
                f"{', '.join(f'{d}-{t}' for d, t in suite.ALL_TASKS)}"
            )
        if goal_steps < 1:
            raise TaskError(f"goal_steps must be >= 1, got {goal_steps}")
        self.domain, self.task_name = domain, task
        self.name = f"dmc:{domain}-{task}"
        self.goal_steps, self.burn_in = int(goal_steps), int(burn_in)
        self.success_threshold = SUCCESS_THRESHOLDS.get(domain, DEFAULT_THRESHOLD)
        self.episode_length = max(2 * self.goal_steps, 50)
        super().__init__(**kwargs)

    def _build_env(self, random):
        return load_suite(self.domain, self.task_name, random)

    def _state_observation(self, physics):
        obs = self.env.task.get_observation(physics)
        return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in obs.values()])

    def _physical(self, physics):
        return physics.data.qpos.copy()

    def _explore(self, steps: int) -> None:
        # held uniform actions (5 steps each): enough to move without leaving the data manifold
        action = self.rng.uniform(-1, 1, self.action_dim)
        for i in range(steps):
            if i % 5 == 0:
                action = self.rng.uniform(-1, 1, self.action_dim)
            self.env.step(self.denormalise(action))

    def _suite_reset(self, seed: int | None) -> None:
        """The suite's own reset, its initial-state sampler seeded by ``seed`` (None: unchanged)."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
            self.env.task._random = np.random.RandomState(seed)
        self.env.reset()
        self._last_reward = None

    def reset(self, seed: int | None = None, *, exploration: bool = False):
        # exploration starts are the suite's own (already diverse) initial states
        self._suite_reset(seed)
        self._explore(self.burn_in)
        start = self.get_state()
        self._explore(self.goal_steps)
        self.goal = self._goal_here()
        self.set_state(start)
        return self.observe()

    def sample_goal(self, rng=None) -> Goal:
        saved = self.get_state()
        self._explore(self.goal_steps)
        goal = self._goal_here()
        self.set_state(saved)
        return goal

"""The toolkit's default collection policy: held random actions plus smooth coloured noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpc_jepa.data.dataset import DatasetError


@dataclass(frozen=True)
class ExplorationConfig:
    """Temporally correlated exploration: held random actions plus coloured noise.

    Independent uniform actions barely move a damped point mass (they average out), so the policy
    holds a random action for a random number of steps and adds low-frequency noise on top.
    """

    hold_min: int = 5
    """Shortest hold of one random action (agent steps)."""
    hold_max: int = 25
    """Longest hold of one random action (agent steps)."""
    noise_scale: float = 0.3
    """Scale of the smooth (AR(1)) noise added to the held action."""
    noise_corr: float = 0.9
    """AR(1) coefficient of the noise: closer to 1 is smoother."""

    def __post_init__(self):
        if not 1 <= self.hold_min <= self.hold_max:
            raise DatasetError(
                f"need 1 <= hold_min <= hold_max, got hold_min={self.hold_min}, "
                f"hold_max={self.hold_max}"
            )
        if self.noise_scale < 0:
            raise DatasetError(f"noise_scale must be >= 0, got {self.noise_scale}")
        if not 0 <= self.noise_corr < 1:
            raise DatasetError(f"noise_corr must be in [0, 1), got {self.noise_corr}")


def exploration_actions(
    rng: np.random.Generator, steps: int, action_dim: int, config: ExplorationConfig
) -> np.ndarray:
    """A [steps, action_dim] exploration action sequence in [-1, 1]."""
    out = np.empty((steps, action_dim))
    noise = np.zeros(action_dim)
    t = 0
    while t < steps:
        hold = int(rng.integers(config.hold_min, config.hold_max + 1))
        out[t : t + hold] = rng.uniform(-1, 1, action_dim)
        t += hold
    for t in range(steps):
        noise = config.noise_corr * noise + np.sqrt(1 - config.noise_corr**2) * rng.normal(
            size=action_dim
        )
        out[t] += config.noise_scale * noise
    return np.clip(out, -1.0, 1.0)


class ExplorationPolicy:
    """The default collection policy: ``exploration_actions`` drawn afresh for every episode.

    A collection policy has ``begin(task, rng)`` (called after the task's exploration reset; it may
    move the start or the goal), ``act(task, rng) -> [A]`` actions in [-1, 1] and ``accept(task)
    -> bool`` after the episode (False: it is recorded again, with fresh draws); tasks with a data
    recipe of their own (OGBench's experts) return one from ``task.collection_policy()``.
    """

    def __init__(self, steps: int, config: ExplorationConfig = ExplorationConfig()):
        self.steps, self.config = steps, config

    def begin(self, task, rng: np.random.Generator) -> None:
        self._actions = exploration_actions(rng, self.steps, task.action_dim, self.config)
        self._t = 0

    def act(self, task, rng: np.random.Generator) -> np.ndarray:
        self._t += 1
        return self._actions[self._t - 1]

    def accept(self, task) -> bool:
        """Every episode is kept (a task's own recipe may re-record unhealthy ones)."""
        return True

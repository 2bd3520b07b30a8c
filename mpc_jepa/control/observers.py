"""Observers for ``run_episode``: what the controller's model reads from a task.

An observer maps the task's observation dict (``state``, ``pixels``, ``physics``) to the model's
input; ``goal`` does the same for the goal, ``reset`` starts an episode. A plain function
``f(task, obs)`` is accepted everywhere an observer is (``as_observer`` wraps it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Observer:
    """Base of the observers: ``obs["state"]``, the goal seen like an observation, no memory."""

    def __call__(self, task, obs: dict) -> np.ndarray:
        return obs["state"]

    def goal(self, task, goal: dict) -> np.ndarray:
        """The goal (a dict with the observation's keys) as the model reads it."""
        return self(task, goal)

    def reset(self) -> None:
        """A new episode starts (observers with a history forget it)."""


class FunctionObserver(Observer):
    """A plain function ``f(task, obs) -> array`` as an observer."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, task, obs: dict) -> np.ndarray:
        return self.function(task, obs)


class PhysicsObserver(Observer):
    """For the oracle: the full physics state."""

    def __call__(self, task, obs: dict) -> np.ndarray:
        return obs["physics"]


observe_physics = PhysicsObserver()
"""The oracle's observer."""


def as_observer(observe: Observer | Callable | None) -> Observer:
    """``observe`` as an ``Observer``: None is the state, a function is wrapped."""
    if observe is None:
        return Observer()
    return observe if isinstance(observe, Observer) else FunctionObserver(observe)


class FrameStack(Observer):
    """Observation function for pixel models: the last ``history`` frames as [3h, H, W] uint8
    (oldest first; the first frame repeated at an episode's start). The goal image is repeated
    h times: a goal at rest. Pass as ``run_episode(observe=FrameStack(h))``; goal images must be
    [H, W, 3] uint8 like the task's observations."""

    def __init__(self, history: int = 1):
        if history < 1:
            raise ValueError(f"history must be >= 1, got {history}")
        self.history, self.frames = history, []

    def reset(self) -> None:
        self.frames = []

    @staticmethod
    def _chw(image) -> np.ndarray:
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"images must be [H, W, 3] uint8, got {image.dtype} {image.shape}")
        return image.transpose(2, 0, 1)

    def goal(self, task, goal: dict) -> np.ndarray:
        if goal.get("pixels") is None:
            raise ValueError("the task renders no pixels: load it with pixels=True")
        return np.concatenate([self._chw(goal["pixels"])] * self.history, 0)

    def __call__(self, task, obs) -> np.ndarray:
        frame = self._chw(obs["pixels"])
        self.frames = (self.frames or [frame] * self.history)[1:] + [frame]
        return np.concatenate(self.frames, 0)

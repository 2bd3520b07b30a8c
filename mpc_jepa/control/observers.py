"""Observation functions for ``run_episode``: what the controller's model reads from a task."""

from __future__ import annotations

import numpy as np


class FrameStack:
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

    def goal(self, goal: dict) -> np.ndarray:
        if goal.get("pixels") is None:
            raise ValueError("the task renders no pixels: load it with pixels=True")
        return np.concatenate([self._chw(goal["pixels"])] * self.history, 0)

    def __call__(self, task, obs) -> np.ndarray:
        frame = self._chw(obs["pixels"])
        self.frames = (self.frames or [frame] * self.history)[1:] + [frame]
        return np.concatenate(self.frames, 0)


def observe_physics(task, obs) -> np.ndarray:
    """Observation function for the oracle: the full physics state."""
    return obs["physics"]

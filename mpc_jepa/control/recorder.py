"""A controller wrapper that keeps one diagnostic of every plan (e.g. the hierarchy's subgoal)."""

from __future__ import annotations

import numpy as np


class InfoRecorder:
    """Wraps an ``MPCController``; after every ``act`` keeps ``plan_.info[key][0]`` (the first
    problem's value, as numpy) in ``values``. ``reset`` starts a new list."""

    def __init__(self, controller, key: str = "subgoal"):
        self.inner, self.key, self.values = controller, key, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def reset(self, goal_obs) -> None:
        self.values = []
        self.inner.reset(goal_obs)

    def act(self, obs) -> np.ndarray:
        action = self.inner.act(obs)
        self.values.append(self.inner.plan_.info[self.key][0].detach().cpu().numpy())
        return action

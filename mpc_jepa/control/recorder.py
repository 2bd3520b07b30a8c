"""A controller wrapper that keeps one diagnostic of every plan (e.g. the hierarchy's subgoal)."""

from __future__ import annotations

import numpy as np


class InfoRecorder:
    """Wraps an ``MPCController``; after every ``act`` / ``act_batch`` keeps
    ``plan_.info[key][0]`` (the first problem's value, as numpy) in ``values``. ``reset`` /
    ``reset_batch`` start a new list."""

    def __init__(self, controller, key: str = "subgoal"):
        self.inner, self.key, self.values = controller, key, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def reset(self, goal_obs) -> None:
        self.values = []
        self.inner.reset(goal_obs)

    def reset_batch(self, goal_obs=None) -> None:
        self.values = []
        self.inner.reset_batch(goal_obs)

    def act(self, obs) -> np.ndarray:
        return self.act_batch(np.asarray(obs)[None])[0]

    def act_batch(self, obs, active: list[int] | None = None) -> np.ndarray:
        actions = self.inner.act_batch(obs, active)
        self.values.append(self.inner.plan_.info[self.key][0].detach().cpu().numpy())
        return actions

"""A world-model wrapper that counts predicted transitions: budgets compared by model
evaluations."""

from __future__ import annotations

from torch import Tensor


class CountingModel:
    """Wraps a world model and counts transitions it predicts (rows x steps), for fair budgets."""

    def __init__(self, model):
        self.inner = model
        self.action_dim = model.action_dim
        self.evals = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, obs: Tensor) -> Tensor:
        return self.inner.encode(obs)

    def predict(self, z: Tensor, action: Tensor) -> Tensor:
        self.evals += int(z.shape[0])
        return self.inner.predict(z, action)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        self.evals += int(actions.shape[0] * actions.shape[1])
        return self.inner.rollout(z0, actions)

"""The slow level of a hierarchical JEPA: one slow step = k fast steps, driven by macro-actions.

A macro-action is a low-dimensional code of a chunk of k primitive actions, produced by an
``ActionChunkEncoder`` and squashed to [-1, 1] (so slow planners search the usual normalised box).
The slow predictor lives in the *same* latent space as the fast model, whose encoder is frozen:
the slow model's latents are directly comparable with the fast model's and with goal embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mpc_jepa.models.encoders import mlp
from mpc_jepa.models.predictor import Predictor


@dataclass(frozen=True)
class SlowModelConfig:
    """Architecture of the slow level."""

    k: int = 8
    """Fast steps per slow step."""
    macro_dim: int = 4
    """Size of a macro-action (the slow planner's action dimension)."""
    hidden: int = 128
    """Hidden width of the chunk encoder and the slow predictor."""
    depth: int = 2
    """Hidden layers / blocks."""

    def __post_init__(self):
        for name in ("k", "macro_dim", "hidden", "depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


class ActionChunkEncoder(nn.Module):
    """[..., k, A] primitive actions -> [..., M] macro-action in [-1, 1]."""

    def __init__(self, k: int, action_dim: int, macro_dim: int, hidden: int = 128, depth: int = 2):
        super().__init__()
        self.k, self.action_dim = k, action_dim
        self.net = mlp(k * action_dim, hidden, macro_dim, depth)

    def forward(self, actions: Tensor) -> Tensor:
        if actions.shape[-2:] != (self.k, self.action_dim):
            raise ValueError(f"action chunks must have shape [..., {self.k}, {self.action_dim}], got {list(actions.shape)}")
        return torch.tanh(self.net(actions.flatten(-2)))


class SlowWorldModel(nn.Module):
    """Slow world model over macro-actions; satisfies the ``WorldModel`` protocol.

    Shapes: encode [B, *O] -> [B, D] (the frozen fast encoder); predict [B, D], [B, M] -> [B, D];
    rollout [B, D], [B, T, M] -> [B, T+1, D], each step spanning k fast steps.
    """

    def __init__(self, fast, config: SlowModelConfig):
        super().__init__()
        self.fast = fast.requires_grad_(False)
        self.config = config
        self.k = config.k
        self.action_dim = config.macro_dim
        self.latent_dim = fast.latent_dim
        self.chunk_encoder = ActionChunkEncoder(config.k, fast.action_dim, config.macro_dim, config.hidden, config.depth)
        self.predictor = Predictor(fast.latent_dim, config.macro_dim, config.hidden, config.depth, "film")

    def encode(self, obs: Tensor) -> Tensor:
        return self.fast.encode(obs)

    def encode_actions(self, actions: Tensor) -> Tensor:
        """[B, T*k, A] primitive actions -> [B, T, M] macro-actions."""
        B, n, A = actions.shape
        if n % self.k:
            raise ValueError(f"{n} actions do not split into chunks of k={self.k}")
        return self.chunk_encoder(actions.reshape(B, n // self.k, self.k, A))  # [B, T, M]

    def predict(self, z: Tensor, macro: Tensor) -> Tensor:
        return self.predictor(z, macro)

    def rollout(self, z0: Tensor, macros: Tensor) -> Tensor:
        if macros.dim() != 3 or macros.shape[-1] != self.action_dim:
            raise ValueError(f"macro-actions must have shape [B, T, {self.action_dim}], got {list(macros.shape)}")
        return self.predictor.rollout(z0, macros)

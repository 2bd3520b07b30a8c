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
            raise ValueError(
                f"action chunks must have shape [..., {self.k}, {self.action_dim}], got "
                f"{list(actions.shape)}"
            )
        return torch.tanh(self.net(actions.flatten(-2)))


SEARCH_SPACES = ("held", "ramp", "code")


class SlowWorldModel(nn.Module):
    """Slow world model over macro-actions; satisfies the ``WorldModel`` protocol.

    What a slow planner searches (its "action", dimension ``action_dim``) is set by ``search``:
      - "held": one primitive action [A] held for k steps, encoded into a macro-action;
      - "ramp": a start and an end primitive action [2A], linearly interpolated over k steps;
      - "code": the macro-action [M] itself.
    A planner searching raw codes finds codes no action chunk produces, where the slow predictor
    was never trained, and exploits them (it predicts passing through walls); "held" and "ramp"
    keep the search on macro-actions of plausible chunks (the collected data holds actions too).

    Its goal distance, when learned, is a separate ``LearnedDistance`` (models.learned_distance).

    Shapes (S = action_dim): encode [B, *O] -> [B, D] (the frozen fast encoder);
    predict [B, D], [B, S] -> [B, D]; rollout [B, D], [B, T, S] -> [B, T+1, D], each step k fast
    steps.
    """

    differentiable = True

    def __init__(self, fast, config: SlowModelConfig, search: str = "held"):
        super().__init__()
        if search not in SEARCH_SPACES:
            raise ValueError(f"search must be one of {SEARCH_SPACES}, got {search!r}")
        self.fast = fast.requires_grad_(False)
        self.config = config
        self.k = config.k
        self.search = search
        self.primitive_dim = fast.action_dim
        self.action_dim = {
            "held": fast.action_dim,
            "ramp": 2 * fast.action_dim,
            "code": config.macro_dim,
        }[search]
        self.latent_dim, self.obs_shape = fast.latent_dim, fast.obs_shape
        self.chunk_encoder = ActionChunkEncoder(
            config.k, fast.action_dim, config.macro_dim, config.hidden, config.depth
        )
        self.predictor = Predictor(
            fast.latent_dim, config.macro_dim, config.hidden, config.depth, "film"
        )

    def encode(self, obs: Tensor) -> Tensor:
        return self.fast.encode(obs)

    def encode_actions(self, actions: Tensor) -> Tensor:
        """[B, T*k, A] primitive actions -> [B, T, M] macro-actions."""
        B, n, A = actions.shape
        if n % self.k:
            raise ValueError(f"{n} actions do not split into chunks of k={self.k}")
        return self.chunk_encoder(actions.reshape(B, n // self.k, self.k, A))  # [B, T, M]

    def chunks(self, slow_actions: Tensor) -> Tensor:
        """[..., S] slow actions ("held" or "ramp") -> [..., k, A] primitive action chunks."""
        A = self.primitive_dim
        if self.search == "held":
            return slow_actions.unsqueeze(-2).expand(*slow_actions.shape[:-1], self.k, A)
        # [k, 1]
        w = torch.linspace(0.0, 1.0, self.k, device=slow_actions.device, dtype=slow_actions.dtype)[
            :, None
        ]
        return (1 - w) * slow_actions[..., None, :A] + w * slow_actions[..., None, A:]

    def macro(self, slow_actions: Tensor) -> Tensor:
        """[..., S] slow actions -> [..., M] macro-actions."""
        if slow_actions.shape[-1] != self.action_dim:
            raise ValueError(
                f"slow actions ({self.search!r} search) must have last dimension "
                f"{self.action_dim}, got {list(slow_actions.shape)}"
            )
        return (
            slow_actions if self.search == "code" else self.chunk_encoder(self.chunks(slow_actions))
        )

    def predict(self, z: Tensor, slow_action: Tensor) -> Tensor:
        return self.predictor(z, self.macro(slow_action))

    def rollout(self, z0: Tensor, slow_actions: Tensor) -> Tensor:
        if slow_actions.dim() != 3 or slow_actions.shape[-1] != self.action_dim:
            raise ValueError(
                f"slow actions ({self.search!r} search) must have shape [B, T, "
                f"{self.action_dim}], got {list(slow_actions.shape)}"
            )
        return self.rollout_macros(z0, self.macro(slow_actions))

    def rollout_macros(self, z0: Tensor, macros: Tensor) -> Tensor:
        """[B, D], [B, T, M] macro-actions -> [B, T+1, D] (training and analysis)."""
        return self.predictor.rollout(z0, macros)

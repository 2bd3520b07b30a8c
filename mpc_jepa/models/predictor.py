"""Action-conditioned predictor: (z_t, a_t) -> z_{t+1}, residual."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn


class _FiLMBlock(nn.Module):
    """LayerNorm whose scale and shift come from the action (AdaLN / FiLM), then Linear + GELU."""

    def __init__(self, hidden: int, action_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden, elementwise_affine=False)
        self.film = nn.Linear(action_dim, 2 * hidden)
        nn.init.zeros_(self.film.weight)  # starts as a plain LayerNorm
        nn.init.zeros_(self.film.bias)
        self.lin = nn.Linear(hidden, hidden)

    def forward(self, h: Tensor, a: Tensor, film: Tensor | None = None) -> Tensor:
        """``film``: precomputed ``self.film(a)`` (rollouts compute it for all steps at once)."""
        scale, shift = (self.film(a) if film is None else film).chunk(2, dim=-1)
        return h + self.lin(nn.functional.gelu(self.norm(h) * (1 + scale) + shift))


class Predictor(nn.Module):
    """Residual predictor ``z_{t+1} = z_t + f(z_t, a_t)``.

    Args:
        latent_dim: D.
        action_dim: A.
        conditioning: ``"film"`` (the action modulates every block's LayerNorm, AdaLN-style) or
            ``"concat"`` (the action is concatenated to the input of every block).
    Shapes: forward [B, D], [B, A] -> [B, D].
    """

    def __init__(self, latent_dim: int, action_dim: int, hidden: int = 256, depth: int = 2, conditioning: Literal["film", "concat"] = "film"):
        super().__init__()
        if conditioning not in ("film", "concat"):
            raise ValueError(f"conditioning must be 'film' or 'concat', got {conditioning!r}")
        self.conditioning = conditioning
        self.inp = nn.Linear(latent_dim + action_dim, hidden)
        if conditioning == "film":
            self.blocks = nn.ModuleList(_FiLMBlock(hidden, action_dim) for _ in range(depth))
        else:
            self.blocks = nn.ModuleList(nn.Linear(hidden + action_dim, hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, latent_dim)
        nn.init.zeros_(self.out.weight)  # starts as the copy model z_{t+1} = z_t
        nn.init.zeros_(self.out.bias)

    def forward(self, z: Tensor, a: Tensor) -> Tensor:
        return self.step(z, a, self.action_terms(a))

    def action_terms(self, a: Tensor) -> list[Tensor]:
        """Everything that depends on the action only, computed once for [..., A] actions.

        A rollout calls this for all T steps at once, which removes most per-step kernel launches.
        """
        d = self.inp.in_features - a.shape[-1]
        terms = [nn.functional.linear(a, self.inp.weight[:, d:], self.inp.bias)]
        if self.conditioning == "film":
            terms += [block.film(a) for block in self.blocks]
        return terms

    def step(self, z: Tensor, a: Tensor, terms: list[Tensor]) -> Tensor:
        """One prediction with precomputed ``action_terms``: [B, D], [B, A] -> [B, D]."""
        d = z.shape[-1]
        h = nn.functional.linear(z, self.inp.weight[:, :d]) + terms[0]
        for i, block in enumerate(self.blocks):
            if self.conditioning == "film":
                h = block(h, a, terms[1 + i])
            else:
                h = h + nn.functional.gelu(block(torch.cat([nn.functional.layer_norm(h, h.shape[-1:]), a], dim=-1)))
        return z + self.out(h)

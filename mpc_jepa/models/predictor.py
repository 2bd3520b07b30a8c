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

    def modulation(self, a: Tensor) -> tuple[Tensor, Tensor]:
        """(1 + scale, shift) from the action: [..., A] -> 2 x [..., H]."""
        scale, shift = self.film(a).chunk(2, dim=-1)
        return 1 + scale, shift

    def forward(self, h: Tensor, a: Tensor, mod: tuple[Tensor, Tensor] | None = None) -> Tensor:
        """``mod``: precomputed ``modulation(a)`` (rollouts compute it for all steps at once)."""
        scale1, shift = self.modulation(a) if mod is None else mod
        # fused LN * (1 + scale) + shift
        x = torch.addcmul(shift, nn.functional.layer_norm(h, h.shape[-1:]), scale1)
        return h + self.lin(nn.functional.gelu(x))


class Predictor(nn.Module):
    """Residual predictor ``z_{t+1} = z_t + f(z_t, a_t)``.

    Args:
        latent_dim: D.
        action_dim: A.
        conditioning: ``"film"`` (the action modulates every block's LayerNorm, AdaLN-style) or
            ``"concat"`` (the action is concatenated to the input of every block).
    Shapes: forward [B, D], [B, A] -> [B, D].
    """

    def __init__(
        self,
        latent_dim: int,
        action_dim: int,
        hidden: int = 256,
        depth: int = 2,
        conditioning: Literal["film", "concat"] = "film",
    ):
        super().__init__()
        if conditioning not in ("film", "concat"):
            raise ValueError(f"conditioning must be 'film' or 'concat', got {conditioning!r}")
        self.conditioning = conditioning
        self.inp = nn.Linear(latent_dim + action_dim, hidden)
        if conditioning == "film":
            self.blocks = nn.ModuleList(_FiLMBlock(hidden, action_dim) for _ in range(depth))
        else:
            self.blocks = nn.ModuleList(
                nn.Linear(hidden + action_dim, hidden) for _ in range(depth)
            )
        self.out = nn.Linear(hidden, latent_dim)
        nn.init.zeros_(self.out.weight)  # starts as the copy model z_{t+1} = z_t
        nn.init.zeros_(self.out.bias)

    def forward(self, z: Tensor, a: Tensor) -> Tensor:
        return self.step(z, a, self.action_terms(a))

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        """Open loop: [B, D], [B, T, A] -> [B, T+1, D]; action-only terms computed once for all
        T."""
        # unbind, not x[:, t]: its backward is one stack, where T selects would each zero-
        # fill a [B, T, *] gradient
        per_step = [
            x.unbind(1) if isinstance(x, Tensor) else list(zip(*(y.unbind(1) for y in x)))
            for x in self.action_terms(actions)
        ]
        zs = [z0]
        for t, a_t in enumerate(actions.unbind(1)):
            zs.append(self.step(zs[-1], a_t, [x[t] for x in per_step]))
        return torch.stack(zs, dim=1)  # [B, T+1, D]

    def action_terms(self, a: Tensor) -> list[Tensor]:
        """Everything that depends on the action only, computed once for [..., A] actions.

        A rollout calls this for all T steps at once, which removes most per-step kernel launches.
        """
        d = self.inp.in_features - a.shape[-1]
        terms = [nn.functional.linear(a, self.inp.weight[:, d:], self.inp.bias)]
        if self.conditioning == "film":
            terms += [block.modulation(a) for block in self.blocks]
        return terms

    def step(self, z: Tensor, a: Tensor, terms: list[Tensor]) -> Tensor:
        """One prediction with precomputed ``action_terms``: [B, D], [B, A] -> [B, D]."""
        d = z.shape[-1]
        h = (
            torch.addmm(terms[0], z, self.inp.weight[:, :d].T)
            if z.dim() == 2
            else nn.functional.linear(z, self.inp.weight[:, :d]) + terms[0]
        )
        for i, block in enumerate(self.blocks):
            if self.conditioning == "film":
                h = block(h, a, terms[1 + i])
            else:
                h = h + nn.functional.gelu(
                    block(torch.cat([nn.functional.layer_norm(h, h.shape[-1:]), a], dim=-1))
                )
        return z + self.out(h)

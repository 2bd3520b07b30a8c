"""A learned temporal-distance metric on top of JEPA embeddings (the slow level's goal cost).

The JEPA latent is shaped for prediction and, through the reachability term, for *local* progress:
within a room its distance tracks the number of steps, but two states on either side of a wall are
close in it although the path between them goes through the door (cross-room rank correlation with
the path length 0.44 on two_room). A planner minimising it pushes into the wall.

``TemporalDistance`` maps an embedding z [..., D] to phi(z) [..., E] such that ||phi(z) - phi(g)||
approximates the number of steps from z to g along the data's transitions (the Hilbert
representation of Park et al. 2024, "Foundation Policies with Hilbert Representations"): it is
trained by goal-conditioned value iteration, V(z, g) = -||phi(z) - phi(g)||, so distances are
*composed* through the transitions actually seen (through the door, never through the wall) rather
than regressed from pairs within one random episode. It is a metric (symmetric, V(z, z) = 0 by
construction) and is read only through embeddings: the goal is still an observation's embedding.

Output units: ``step_scale`` per step (the fast model's ``reach_step``), so margins written in the
fast latent's units keep their meaning in phi's.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mpc_jepa.models.encoders import mlp


class TemporalDistance(nn.Module):
    """phi: latents [..., D] -> [..., E]; ``distance(z, g)`` [...]: steps from z to g times
    ``step_scale``.

    Args:
        latent_dim: D, the fast model's embedding size.
        out_dim: E.
        hidden, depth: MLP width and hidden layers.
        discount: the discount the value was trained with; phi's raw distance d relates to steps n
        by
            d = (1 - discount**n) / (1 - discount), which ``forward`` inverts to steps (monotone, so
            rankings are unchanged; inverting keeps far goals from saturating).
        step_scale: output units per step.
        heads: independent MLPs (their mean distance is used); training bootstraps from the most
            pessimistic (largest) target distance, against the optimism that bootstrapping
            accumulates.
    """

    def __init__(
        self,
        latent_dim: int,
        out_dim: int = 32,
        hidden: int = 256,
        depth: int = 2,
        discount: float = 0.99,
        step_scale: float = 0.1,
        heads: int = 1,
    ):
        super().__init__()
        if not 0 < discount < 1:
            raise ValueError(f"discount must be in (0, 1), got {discount}")
        if heads < 1:
            raise ValueError(f"heads must be >= 1, got {heads}")
        self.latent_dim, self.out_dim, self.discount, self.step_scale, self.heads = (
            latent_dim,
            out_dim,
            discount,
            step_scale,
            heads,
        )
        self.nets = nn.ModuleList(mlp(latent_dim, hidden, out_dim, depth) for _ in range(heads))

    def forward(self, z: Tensor) -> Tensor:
        """[..., D] -> [heads, ..., E] (raw Hilbert coordinates: ||phi(z) - phi(g)|| is the
        discounted step count)."""
        if z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"latents must have last dimension {self.latent_dim}, got {list(z.shape)}"
            )
        return torch.stack([net(z) for net in self.nets])

    def head_distances(self, z: Tensor, g: Tensor) -> Tensor:
        """[..., D], [..., D] -> [heads, ...]: each head's ||phi(z) - phi(g)|| (the trained,
        discounted quantity)."""
        return (self.features(z) - self.features(g)).pow(2).sum(-1).add(1e-12).sqrt()

    def features(self, z: Tensor) -> Tensor:
        """``forward``, cached for the last two inputs when no gradient is needed: a planner's cost
        terms (goal distance, step lengths) read the same latents and goal tensors in one call, and
        phi dominates their cost. The cache holds the tensors themselves (compared by identity and
        in-place version; inference tensors, which have none, by identity), so a freed tensor's id
        cannot
        be mistaken for a new one."""
        if torch.is_grad_enabled():
            return self(z)
        cache = self.__dict__.setdefault("_feature_cache", [])
        # inference tensors have no version counter
        version = -1 if z.is_inference() else z._version
        for t, v, out in cache:
            if t is z and v == version:
                return out
        out = self(z)
        cache.insert(0, (z, version, out))
        del cache[2:]
        return out

    def raw_distance(self, z: Tensor, g: Tensor) -> Tensor:
        """[..., D], [..., D] -> [...]: the heads' mean discounted distance."""
        return self.head_distances(z, g).mean(0)

    def steps(self, raw: Tensor) -> Tensor:
        """Discounted distance -> steps: n = log(1 - (1 - discount) d) / log(discount) (d capped
        below 1/(1-discount))."""
        # one new tensor, the rest in place: LandmarkGraph applies this to [queries,
        # landmarks] matrices
        return (
            raw.mul(-(1 - self.discount))
            .add_(1)
            .clamp_min_(1e-6)
            .log_()
            .div_(math.log(self.discount))
        )

    def distance(self, z: Tensor, g: Tensor) -> Tensor:
        """[..., D], [..., D] -> [...]: estimated steps from z to g, times ``step_scale``."""
        return self.step_scale * self.steps(self.raw_distance(z, g))

    def step_lengths(self, z: Tensor) -> Tensor:
        """[M, T+1, D] -> [M, T]: ``distance`` between consecutive latents (one phi pass)."""
        f = self.features(z)  # [heads, M, T+1, E]
        raw = (f[:, :, 1:] - f[:, :, :-1]).pow(2).sum(-1).add(1e-12).sqrt().mean(0)
        return self.step_scale * self.steps(raw)

    def config(self) -> dict:
        lin = [m for m in self.nets[0] if isinstance(m, nn.Linear)]
        return {
            "latent_dim": self.latent_dim,
            "out_dim": self.out_dim,
            "hidden": lin[0].out_features,
            "depth": len(lin) - 1,
            "discount": self.discount,
            "step_scale": self.step_scale,
            "heads": self.heads,
        }

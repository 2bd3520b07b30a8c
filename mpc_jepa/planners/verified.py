"""A slow planner whose plans are checked by the fast model: ``VerifiedPlanner``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from mpc_jepa.planners.sampling import sanitize
from mpc_jepa.types import CostFn, Narrowable, Plan, Planner


class VerifiedPlanner:
    """Wraps a slow planner: its plan and its last elites are rolled out as primitive actions
    through the fast model, and the one whose fast-predicted latents (every k steps) cost least
    is returned, with those latents. A plan that only the slow model's errors make good (through
    a wall) loses to one the fast model confirms.

    Args:
        planner: the slow planner (its ``Plan.info['last_elites']`` [B, E, H, S] are re-scored too).
        fast_model: the fast ``WorldModel``.
        chunks: slow actions [..., S] -> primitive action chunks [..., k, A]
        (``SlowWorldModel.chunks``).
        k: fast steps per slow step.
    """

    def __init__(self, planner: Planner, fast_model, chunks: Callable[[Tensor], Tensor], k: int):
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.planner, self.fast_model, self.chunks, self.k = planner, fast_model, chunks, k

    def keep_rows(self, rows: list[int]) -> None:
        """The wrapped planner keeps problems ``rows``."""
        if isinstance(self.planner, Narrowable):
            self.planner.keep_rows(rows)

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        """z0 [B, *Z] -> the verified Plan: actions [B, H, S], latents [B, H+1, *Z]."""
        return self._verified(z0, self.planner.plan(z0, cost, init), cost)

    @torch.no_grad()
    def _verified(self, z0: Tensor, slow_plan: Plan, cost: CostFn) -> Plan:
        elites = slow_plan.info.get("last_elites")
        cands = slow_plan.actions.unsqueeze(1)  # [B, 1, H, S]
        if elites is not None:
            cands = torch.cat([cands, elites], 1)  # [B, C, H, S]
        B, C, H, _ = cands.shape
        prim = self.chunks(cands).reshape(B * C, H * self.k, -1)  # [B*C, H*k, A]
        z = z0.unsqueeze(1).expand(B, C, *z0.shape[1:]).reshape(B * C, *z0.shape[1:])  # [B*C, *Z]
        latents = self.fast_model.rollout(z, prim)[:, :: self.k]  # [B*C, H+1, *Z]
        costs = sanitize(cost(latents, cands.reshape(B * C, H, -1)).reshape(B, C))  # [B, C]
        best = costs.argmin(1)  # [B]
        rows = torch.arange(B, device=costs.device)
        latents = latents.reshape(B, C, *latents.shape[1:])[rows, best]  # [B, H+1, *Z]
        info = {**slow_plan.info, "slow_model_cost": slow_plan.cost, "verified_choice": best}
        return Plan(cands[rows, best], costs[rows, best], latents, info)

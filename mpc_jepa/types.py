"""The interfaces every part is written against (structural: nothing needs to inherit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

CostFn = Callable[[Tensor, Tensor], Tensor]
"""(latents [B, T+1, *Z], actions [B, T, A]) -> cost [B]; minimised everywhere."""


@runtime_checkable
class GoalCost(Protocol):
    """A cost toward a goal latent that can be re-bound to another (the controller binds each
    episode's goal; a hierarchy binds its subgoals)."""

    goal: Tensor | None

    def with_goal(self, goal: Tensor) -> GoalCost:  # goal [*Z] or [B, *Z]
        ...

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor: ...


@runtime_checkable
class Shiftable(Protocol):
    """Planner state carried in ``Plan.info`` that moves with the plan (``Plan.shifted``) and
    narrows with it to some of its problems (``Plan.rows``)."""

    def shifted(self, k: int) -> Shiftable: ...

    def rows(self, idx: Tensor) -> Shiftable: ...


@runtime_checkable
class Narrowable(Protocol):
    """A planner that can drop problems from its batch (finished episodes of a batched
    evaluation): ``keep_rows(rows)`` keeps problems ``rows`` (their noise streams continue), so
    the next ``plan`` call takes those problems only."""

    def keep_rows(self, rows: list[int]) -> None: ...


@runtime_checkable
class WorldModel(Protocol):
    action_dim: int
    obs_shape: tuple[int, ...]
    """What ``encode`` reads per item (a pixel model: [3h, H, W] uint8 images)."""
    differentiable: bool
    """Gradients flow through ``rollout`` (the gradient planners need it)."""

    def encode(self, obs: Tensor) -> Tensor:  # [B, *O] -> [B, *Z]
        ...

    def predict(self, z: Tensor, action: Tensor) -> Tensor:  # [B, *Z], [B, A] -> [B, *Z]
        ...

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:  # [B, *Z], [B, T, A] -> [B, T+1, *Z]
        ...


@dataclass(frozen=True)
class Plan:
    """A planner's answer for B independent problems.

    Attributes:
        actions: [B, T, A] in [-1, 1].
        cost: [B] cost of ``actions``.
        latents: [B, T+1, *Z] predicted under ``actions`` (or None).
        info: diagnostics, e.g. ``cost_per_iter`` [I, B]; ``elites`` [B, E, T, A] for warm starts.
    """

    actions: Tensor
    cost: Tensor
    latents: Tensor | None = None
    info: dict = field(default_factory=dict)

    def shifted(self, k: int = 1) -> Plan:
        """Warm start for k control steps later: drop the first k actions, repeat the last one.

        Kept elites in ``info['elites']`` are shifted the same way, and so is every info value
        that has a ``shifted`` method (e.g. the hierarchical planner's slow-level state); latents
        and the other diagnostics are dropped.
        """
        if k < 0:
            raise ValueError(f"shift must be >= 0, got {k}")
        info = {key: v.shifted(k) for key, v in self.info.items() if isinstance(v, Shiftable)}
        if "elites" in self.info:
            info["elites"] = _shift(self.info["elites"], k)
        return replace(self, actions=_shift(self.actions, k), latents=None, info=info)

    def rows(self, idx) -> Plan:
        """The plan of problems ``idx`` only (a list of row indices): actions, cost, latents,
        kept elites and the shiftable planner state; other diagnostics are dropped."""
        i = torch.as_tensor(idx, dtype=torch.long, device=self.actions.device)
        info = {key: v.rows(i) for key, v in self.info.items() if isinstance(v, Shiftable)}
        if "elites" in self.info:
            info["elites"] = self.info["elites"][i]
        latents = None if self.latents is None else self.latents[i]
        return Plan(self.actions[i], self.cost[i], latents, info)


def _shift(actions: Tensor, k: int) -> Tensor:
    """[..., T, A] -> [..., T, A] shifted left by k, padded with the last action."""
    T = actions.shape[-2]
    k = min(k, T)
    if k == 0:
        return actions
    tail = actions[..., -1:, :].expand(*actions.shape[:-2], k, actions.shape[-1])
    return torch.cat([actions[..., k:, :], tail], dim=-2)


class Planner(Protocol):
    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        """z0 [B, *Z] -> Plan; ``init`` is a warm start ([B, T, A] actions or a shifted Plan)."""
        ...

"""Hierarchical two-timescale planning: a slow planner proposes latent subgoals, a fast one reaches
them.

``HierarchicalPlanner`` is itself a ``Planner``: the controller does not know it runs a hierarchy.
Each call: (re)plan macro-actions with the slow planner over the slow model, under the slow cost
bound to the goal; the slow plan's predicted latent ``subgoal_index`` slow steps ahead becomes the
fast planner's goal; the fast planner plans primitive actions toward it under the caller's cost.
Both levels warm-start explicitly from the previous plan (``prev.shifted(k)``), the slow level in
slow steps. The planner is built by composition: ``evaluation.factory`` builds the slow cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from mpc_jepa.costs import GoalDistance, SumCost, broadcast_goal
from mpc_jepa.types import CostFn, GoalCost, Narrowable, Plan, Planner


@dataclass(frozen=True)
class HierarchyConfig:
    """How the two levels are coupled."""

    k: int = 8
    """Fast steps per slow step (the slow model's stride)."""
    replan_every: int = 8
    """Fast steps between slow replans (1: every call)."""
    subgoal_index: int = 2
    """Which predicted slow latent becomes the fast level's subgoal (1 = k fast steps ahead)."""
    handover: bool = True
    """Hand the goal itself to the fast level once the slow plan predicts no further progress
    toward it after the subgoal (else the fast level chases a drifting subgoal)."""
    handover_margin: float = 0.5
    """Progress (in the slow distance) after the subgoal that still counts as none."""

    def __post_init__(self):
        for name in ("k", "replan_every", "subgoal_index"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class HierarchyState:
    """The slow level's memory, carried in ``Plan.info['hierarchy']`` and shifted with the plan."""

    slow_plan: Plan
    steps: int = 0
    """Fast steps executed since ``slow_plan`` was made."""

    def shifted(self, k: int) -> HierarchyState:
        return replace(self, steps=self.steps + k)

    def rows(self, idx: Tensor) -> HierarchyState:
        return replace(self, slow_plan=self.slow_plan.rows(idx))


class HierarchicalPlanner:
    """A slow planner over a slow model and a fast planner over the fast model, composed.

    Args:
        slow_planner: plans [B, H, S] slow actions; its model steps ``config.k`` fast steps at once
            (wrap it in ``VerifiedPlanner`` to re-score its plans through the fast model).
        fast_planner: plans [B, T, A] primitive actions.
        slow_distance: the slow level's goal distance, a goal-bindable ``GoalDistance``
            (``with_goal``, ``per_step``); the handover measures progress with it too.
        config: the coupling (``HierarchyConfig``).
        slow_penalty: an optional extra slow cost term (e.g. ``StepReachability``).
    The cost passed to ``plan`` must bind a goal (``cost.goal``, ``cost.with_goal``): the slow level
    uses that goal, the fast level the same cost with the subgoal instead.
    """

    def __init__(
        self,
        slow_planner: Planner,
        fast_planner: Planner,
        slow_distance,
        config: HierarchyConfig = HierarchyConfig(),
        slow_penalty: CostFn | None = None,
    ):
        if not isinstance(slow_distance, GoalDistance):
            raise ValueError(f"slow_distance must be a GoalDistance, got {type(slow_distance)}")
        self.slow_planner, self.fast_planner = slow_planner, fast_planner
        self.slow_distance, self.slow_penalty, self.config = slow_distance, slow_penalty, config

    def keep_rows(self, rows: list[int]) -> None:
        """Both levels keep problems ``rows`` (see ``types.Narrowable``)."""
        for level in (self.slow_planner, self.fast_planner):
            if isinstance(level, Narrowable):
                level.keep_rows(rows)

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        """z0 [B, *Z]; cost bound to the goal; init: ``prev.shifted(k)`` -> Plan [B, T, A]."""
        goal = cost.goal if isinstance(cost, GoalCost) else None
        if goal is None:
            raise ValueError(
                "HierarchicalPlanner needs a goal-bound cost (e.g. GoalDistance(z_goal))"
            )
        distance = self.slow_distance.with_goal(goal)
        state = init.info.get("hierarchy") if isinstance(init, Plan) else None
        if state is None or state.steps >= self.config.replan_every:
            state = HierarchyState(self._slow_plan(z0, distance, state), 0)
        subgoal = self._subgoal(state, distance, goal)  # [B, *Z]
        fast_init = init
        if isinstance(init, Plan):
            fast_init = replace(init, info={k: v for k, v in init.info.items() if k != "hierarchy"})
        fast = self.fast_planner.plan(z0, cost.with_goal(subgoal), fast_init)
        info = {
            **fast.info,
            "hierarchy": state,
            "subgoal": subgoal.detach(),
            "slow_cost": state.slow_plan.cost,
        }
        return Plan(fast.actions, fast.cost, fast.latents, info)

    def _slow_plan(self, z0: Tensor, distance, state: HierarchyState | None) -> Plan:
        """A new slow plan, warm-started from the old one shifted by the slow steps executed."""
        slow_init = None
        if state is not None:
            done = state.steps // self.config.k
            slow_init = state.slow_plan.shifted(done) if done else state.slow_plan
        slow_cost = (
            distance if self.slow_penalty is None else SumCost((distance, self.slow_penalty))
        )
        return self.slow_planner.plan(z0, slow_cost, slow_init)

    def _subgoal(self, state: HierarchyState, distance, goal: Tensor) -> Tensor:
        """The fast level's goal [B, *Z]: the slow latent ``subgoal_index`` slow steps ahead (kept
        ahead between slow replans), or the goal itself once the slow plan gains no more than
        ``handover_margin`` after it: near the goal the slow model's own errors would otherwise
        keep the fast level chasing subgoals around it."""
        latents = state.slow_plan.latents  # [B, H+1, *Z]
        index = min(self.config.subgoal_index + state.steps // self.config.k, latents.shape[1] - 1)
        subgoal = latents[:, index]
        if not self.config.handover:
            return subgoal
        dist = distance.per_step(latents)  # [B, H+1]
        if index + 1 < dist.shape[1]:
            after = dist[:, index + 1 :].min(1).values
        else:
            after = torch.full_like(dist[:, 0], float("inf"))
        near = dist[:, : index + 1].min(1).values <= after + self.config.handover_margin  # [B]
        goal = broadcast_goal(goal.to(latents.dtype), latents)  # [B, *Z]
        return torch.where(near.view(-1, *[1] * (goal.dim() - 1)), goal, subgoal)

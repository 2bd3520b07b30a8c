"""Hierarchical two-timescale planning: a slow planner proposes latent subgoals, a fast one reaches them.

``HierarchicalPlanner`` is itself a ``Planner``: the controller does not know it runs a hierarchy.
Each call: (re)plan macro-actions with the slow planner over the slow model toward the goal; the
slow plan's predicted latent ``subgoal_index`` slow steps ahead becomes the fast planner's goal;
the fast planner plans primitive actions toward it. Both levels warm-start explicitly from the
previous plan (``prev.shifted(k)``), the slow level in slow steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from mpc_jepa.costs import StepReachability, SumCost, _broadcast_goal
from mpc_jepa.planners._sampling import sanitize
from mpc_jepa.types import CostFn, Plan


@dataclass(frozen=True)
class HierarchyState:
    """The slow level's memory, carried in ``Plan.info['hierarchy']`` and shifted with the plan."""

    slow_plan: Plan
    steps: int = 0
    """Fast steps executed since ``slow_plan`` was made."""

    def shifted(self, k: int) -> HierarchyState:
        return replace(self, steps=self.steps + k)


class HierarchicalPlanner:
    """Composes a slow planner (over a ``SlowWorldModel``) and a fast planner (over the fast model).

    Args:
        slow_planner: plans [B, H, M] macro-actions; its model steps ``k`` fast steps at once.
        fast_planner: plans [B, T, A] primitive actions.
        k: fast steps per slow step.
        slow_replan_every: fast steps between slow replans (1: every call).
        subgoal_index: which predicted slow latent becomes the subgoal (1 = k fast steps ahead).
        handover: give the fast level the goal itself once the slow plan predicts no further
            progress toward it after the subgoal (else the fast level chases a drifting subgoal).
        handover_margin: progress (latent distance) after the subgoal that still counts as none.
        verify_model, chunks: when given, the slow plan and the slow planner's last elites are
            rolled out as primitive actions (``chunks``: [..., S] slow actions -> [..., k, A]) through
            ``verify_model`` (the fast model); the one whose fast-predicted latents (every k steps)
            cost least becomes the slow plan, with those latents as subgoals. A plan that only the
            slow model's errors make good (through a wall) loses to one the fast model confirms.
        slow_metric: the slow level's goal distance (z [M, T+1, D], goal [M, 1, D]) -> [M, T+1], e.g.
            a ``TemporalDistance`` (None: the cost's own latent norm). The handover measures
            progress with it too. The fast level keeps the cost's own distance to its subgoal:
            a near subgoal is where the fast latent's local geometry is accurate.
        slow_max_step, slow_reach_weight, slow_lengths: with ``slow_metric``, slow steps whose length
            exceeds ``slow_max_step`` are penalised (``StepReachability``): the slow model's errors (a
            step through a wall) cost more than they seem to gain. None: no penalty. ``slow_lengths``
            ([M, T+1, D] -> [M, T]; default: ``slow_metric`` between consecutive latents).
        slow_weighting, slow_terminal_weight: the slow level's goal-distance weighting over its
            horizon (None: the cost's own). Uniform: the slow plan minimises the time spent far
            from the goal, so with a horizon long enough to pass a door it prefers the detour to
            waiting at the wall (a terminal-only cost leaves the early subgoals unconstrained).
    The cost passed to ``plan`` must bind a goal (``GoalDistance`` or anything with ``with_goal``
    and ``goal``): the slow level uses it as is, the fast level with the subgoal instead.
    """

    def __init__(
        self,
        slow_planner,
        fast_planner,
        k: int,
        slow_replan_every: int = 1,
        subgoal_index: int = 2,
        slow_weighting: str | None = "uniform",
        slow_terminal_weight: float = 1.0,
        handover: bool = True,
        handover_margin: float = 0.0,
        verify_model=None,
        chunks=None,
        slow_metric=None,
        slow_max_step: float | None = None,
        slow_reach_weight: float = 1.0,
        slow_lengths=None,
    ):
        if k < 1 or slow_replan_every < 1 or subgoal_index < 1:
            raise ValueError(f"need k, slow_replan_every, subgoal_index >= 1, got {k}, {slow_replan_every}, {subgoal_index}")
        self.slow_planner, self.fast_planner = slow_planner, fast_planner
        self.k, self.slow_replan_every, self.subgoal_index = k, slow_replan_every, subgoal_index
        self.slow_weighting, self.slow_terminal_weight = slow_weighting, slow_terminal_weight
        self.handover, self.handover_margin = handover, handover_margin
        if (verify_model is None) != (chunks is None):
            raise ValueError("verify_model and chunks go together")
        self.verify_model, self.chunks = verify_model, chunks
        if slow_max_step is not None and slow_metric is None:
            raise ValueError("slow_max_step needs a slow_metric")
        self.slow_metric, self.slow_max_step, self.slow_reach_weight = slow_metric, slow_max_step, slow_reach_weight
        self.slow_lengths = slow_lengths or (lambda z: slow_metric(z[:, :-1], z[:, 1:]))

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        if not hasattr(cost, "with_goal") or getattr(cost, "goal", None) is None:
            raise ValueError("HierarchicalPlanner needs a goal-bound cost (e.g. GoalDistance(z_goal))")
        state = init.info.get("hierarchy") if isinstance(init, Plan) else None
        slow_cost = cost
        if self.slow_weighting is not None and hasattr(cost, "weighting"):
            slow_cost = replace(slow_cost, weighting=self.slow_weighting, terminal_weight=self.slow_terminal_weight)
        if self.slow_metric is not None:
            if not hasattr(cost, "metric"):
                raise ValueError("slow_metric needs a GoalDistance cost (or one with a 'metric' field)")
            slow_cost = replace(slow_cost, metric=self.slow_metric)
        goal_cost = slow_cost  # the slow level's goal distance alone (the handover reads it)
        if self.slow_max_step is not None:
            slow_cost = SumCost((goal_cost, StepReachability(self.slow_lengths, self.slow_max_step, self.slow_reach_weight)))
        if state is None or state.steps >= self.slow_replan_every:
            slow_init = state.slow_plan.shifted(state.steps // self.k) if state is not None and state.steps >= self.k else None
            if state is not None and slow_init is None:
                slow_init = state.slow_plan
            slow_plan = self.slow_planner.plan(z0, slow_cost, slow_init)
            if self.verify_model is not None:
                slow_plan = self._verified(z0, slow_plan, slow_cost)
            state = HierarchyState(slow_plan, 0)
        latents = state.slow_plan.latents  # [B, H+1, D]
        index = min(self.subgoal_index + state.steps // self.k, latents.shape[1] - 1)  # stays ahead between slow replans
        subgoal = latents[:, index]  # [B, D]
        if self.handover and hasattr(goal_cost, "per_step"):
            # hand the goal itself to the fast level once the slow plan gets no (or under handover_margin)
            # closer to it after the subgoal: near the goal the slow model's own errors would otherwise
            # keep the fast level chasing subgoals around it
            goal = _broadcast_goal(cost.goal.to(latents.dtype), latents)  # [B, D]
            dist = goal_cost.per_step(latents)  # [B, H+1]
            after = dist[:, index + 1 :].min(1).values if index + 1 < dist.shape[1] else torch.full_like(dist[:, 0], float("inf"))
            near = dist[:, : index + 1].min(1).values <= after + self.handover_margin  # [B]
            subgoal = torch.where(near[:, None], goal, subgoal)
        fast_init = init
        if isinstance(init, Plan):
            fast_init = replace(init, info={k: v for k, v in init.info.items() if k != "hierarchy"})
        fast = self.fast_planner.plan(z0, cost.with_goal(subgoal), fast_init)
        info = {**fast.info, "hierarchy": state, "subgoal": subgoal.detach(), "slow_cost": state.slow_plan.cost}
        return Plan(fast.actions, fast.cost, fast.latents, info)

    @torch.no_grad()
    def _verified(self, z0: Tensor, slow_plan: Plan, slow_cost: CostFn) -> Plan:
        """Re-score the slow plan and the slow planner's last elites through the fast model.

        z0: [B, D]; candidates [B, 1+E, H, S] -> the best as a Plan with actions [B, H, S] and
        latents [B, H+1, D] taken every k fast steps of the fast rollout.
        """
        elites = slow_plan.info.get("last_elites")
        cands = slow_plan.actions.unsqueeze(1) if elites is None else torch.cat([slow_plan.actions.unsqueeze(1), elites], 1)  # [B, C, H, S]
        B, C, H, _ = cands.shape
        prim = self.chunks(cands).reshape(B * C, H * self.k, -1)  # [B*C, H*k, A]
        z = z0.unsqueeze(1).expand(B, C, *z0.shape[1:]).reshape(B * C, *z0.shape[1:])
        latents = self.verify_model.rollout(z, prim)[:, :: self.k]  # [B*C, H+1, D]
        cost = sanitize(slow_cost(latents, cands.reshape(B * C, H, -1)).reshape(B, C))
        best = cost.argmin(1)  # [B]
        rows = torch.arange(B, device=cost.device)
        latents = latents.reshape(B, C, H + 1, -1)[rows, best]
        info = {**slow_plan.info, "slow_model_cost": slow_plan.cost, "verified_choice": best}
        return Plan(cands[rows, best], cost[rows, best], latents, info)

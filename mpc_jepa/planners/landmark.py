"""A hierarchy whose slow level is the landmark graph itself: search on the data's own transitions.

The slow level of ``HierarchicalPlanner`` imagines k-step futures with a learned slow model, and can
imagine passages that neither the fast model nor the physics have. Here the slow level only
proposes landmarks, embeddings of states the data visited, joined by hops the temporal-distance
metric trusts (``LandmarkGraph``: an abstract world model whose states are landmarks and whose
transitions are short hops, as in "Search on the Replay Buffer", Eysenbach et al. 2019). Every call:
the shortest path from z0 through the graph to the goal, and the landmark ``lookahead`` ahead on it
becomes the fast planner's goal; once the goal itself is that near, it is handed over. The search
is a few matrix rows per call (no slow planning, so no slow replans and no stalls).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from mpc_jepa.costs import broadcast_goal
from mpc_jepa.models.landmark_graph import LandmarkGraph
from mpc_jepa.types import CostFn, GoalCost, Narrowable, Plan, Planner


@dataclass(frozen=True)
class LandmarkHierarchyConfig:
    """How far ahead the subgoal lies."""

    lookahead: float = 1.0
    """Subgoal distance along the graph's path, in the metric's units (1.0: 10 steps at the default
    step scale 0.1, inside the fast planner's 15-step horizon)."""

    def __post_init__(self):
        if not self.lookahead > 0:
            raise ValueError(f"lookahead must be > 0, got {self.lookahead}")


class LandmarkHierarchyPlanner:
    """Landmark subgoals (slow level) reached by ``fast_planner`` (fast level), composed.

    Args:
        graph: a ``LandmarkGraph`` (``subgoals(z, g, lookahead)``).
        fast_planner: plans [B, T, A] toward each subgoal under the caller's cost.
        config: ``LandmarkHierarchyConfig``.
    The cost passed to ``plan`` must bind a goal (``goal``, ``with_goal``).
    """

    def __init__(self, graph, fast_planner: Planner, config=LandmarkHierarchyConfig()):
        if not isinstance(graph, LandmarkGraph):
            raise ValueError(f"graph must be a LandmarkGraph, got {type(graph).__name__}")
        if config.lookahead > graph.radius:  # the fast level's metric is trusted within a hop
            raise ValueError(
                f"lookahead {config.lookahead} exceeds the graph's trusted hop radius "
                f"{graph.radius}"
            )
        self.graph, self.fast_planner, self.config = graph, fast_planner, config

    def keep_rows(self, rows: list[int]) -> None:
        """The fast level keeps problems ``rows`` (the graph has no per-problem state)."""
        if isinstance(self.fast_planner, Narrowable):
            self.fast_planner.keep_rows(rows)

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        """z0 [B, D]; cost bound to the goal; init: ``prev.shifted(k)`` -> Plan [B, T, A]."""
        goal = cost.goal if isinstance(cost, GoalCost) else None
        if goal is None:
            raise ValueError(
                "the landmark hierarchy needs a goal-bound cost (GoalDistance(z_goal))"
            )
        goal = broadcast_goal(goal.to(z0.dtype), z0[:, None])  # [B, D]
        subgoal, handover = self.graph.subgoals(z0.detach(), goal, self.config.lookahead)
        fast = self.fast_planner.plan(z0, cost.with_goal(subgoal.to(z0)), init)
        info = {**fast.info, "subgoal": subgoal, "handover": handover}
        return Plan(fast.actions, fast.cost, fast.latents, info)

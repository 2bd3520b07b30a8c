"""The hierarchy's builder: the registry entry 'hierarchical' composes its levels here.

The settings are read by attribute, as every config's ``from_settings`` reads them
(``evaluation.PlanSettings``: ``s.hierarchy`` and its ``model``); the learned distance and the
slow model come in ``PlanParts``. Slow level 'landmarks': the learned distance's landmark graph
proposes subgoals, fast CEM reaches them (``LandmarkHierarchyPlanner``). Slow level 'model': slow
CEM over the slow JEPA, optionally verified through the fast model, under the slow cost chosen by
``slow_cost``, coupled to fast CEM by ``HierarchyConfig`` (``HierarchicalPlanner``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from mpc_jepa.costs import GoalDistance, StepReachability
from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner, HierarchyConfig
from mpc_jepa.planners.landmark import LandmarkHierarchyConfig, LandmarkHierarchyPlanner
from mpc_jepa.planners.verified import VerifiedPlanner


@dataclass(frozen=True)
class PlanParts:
    """What a planner's builder may use besides the model and the settings."""

    callback: Callable | None = None
    """Called by sampling planners after every iteration (diagnostics)."""
    seeds: tuple[int, ...] | None = None
    """One noise seed per problem of every call (batched evaluation), replacing the settings'
    planner_seed: problem b then draws the noise of a single-problem planner seeded seeds[b]."""
    prior: Callable | None = None
    """CEM's proposal prior, ``(z0 [B, *Z], T) -> [B, T, A]`` (a policy's rollout)."""
    slow_model: object = None
    """The slow level (``SlowWorldModel``): the hierarchy's slow level 'model'."""
    distance: object = None
    """The learned distance (``LearnedDistance``): landmarks, temporal and graph costs."""


def build_fast_cem(model, s, parts: PlanParts) -> CEMPlanner:
    """The hierarchy's fast level: CEM from the shared sampling settings."""
    config = CEMConfig.from_settings(s)
    seed = s.planner_seed if parts.seeds is None else parts.seeds
    return CEMPlanner(model, replace(config, seed=seed), parts.callback)


def build_hierarchy(model, s, parts: PlanParts) -> HierarchicalPlanner | LandmarkHierarchyPlanner:
    """The hierarchy of ``s.hierarchy.slow_level`` over ``model`` (the fast level)."""
    h = s.hierarchy
    fast = build_fast_cem(model, s, parts)
    if h.slow_level == "landmarks":
        graph = _distance(parts, "slow_level='landmarks' (the default)").kind("graph", "slow_level")
        return LandmarkHierarchyPlanner(graph, fast, LandmarkHierarchyConfig(h.slow_lookahead))
    m, slow_model = h.model, parts.slow_model
    if slow_model is None:
        raise ValueError(
            "slow_level='model' needs a slow model (train one with `mpc-jepa train --level slow`)"
            ", or use slow_level='landmarks'"
        )
    if slow_model.search != m.slow_search:
        raise ValueError(
            f"the slow model searches {slow_model.search!r}, the settings ask {m.slow_search!r}:"
            f" load it with search={m.slow_search!r}"
        )
    seeds = parts.seeds
    slow_cfg = CEMConfig(
        horizon=m.slow_horizon,
        num_samples=m.slow_samples,
        num_elites=min(s.sampling.num_elites, m.slow_samples),
        num_iters=m.slow_iters,
        warm_samples=m.slow_warm_samples or None,
        warm_iters=m.slow_warm_iters or None,
        # not the fast level's noise
        seed=s.planner_seed + 7 if seeds is None else tuple(x + 7 for x in seeds),
    )
    slow = CEMPlanner(slow_model, slow_cfg)
    if m.slow_verify:
        slow = VerifiedPlanner(slow, model, slow_model.chunks, slow_model.k)
    distance, penalty = slow_cost(s, parts, slow_model.k)
    coupling = HierarchyConfig(
        k=slow_model.k,
        replan_every=m.slow_replan_every,
        subgoal_index=m.slow_subgoal,
        handover_margin=m.slow_handover,
    )
    return HierarchicalPlanner(slow, fast, distance, coupling, penalty)


def slow_cost(s, parts: PlanParts, k: int) -> tuple[GoalDistance, StepReachability | None]:
    """The slow level's goal distance (weighted by ``slow_weighting``) and, for the learned
    distances with ``slow_max_step`` > 0, the penalty on slow steps (of ``k`` fast steps) longer
    than a transition can be."""
    m = s.hierarchy.model
    if m.slow_cost == "latent":
        return GoalDistance(weighting=m.slow_weighting, terminal_weight=1.0), None
    metric = _distance(parts, f"slow_cost={m.slow_cost!r}").kind(m.slow_cost, "slow_cost")
    distance = GoalDistance(weighting=m.slow_weighting, terminal_weight=1.0, metric=metric.distance)
    if m.slow_max_step <= 0:
        return distance, None
    max_step = m.slow_max_step * k * metric.step_scale
    return distance, StepReachability(metric.step_lengths, max_step)


def _distance(parts: PlanParts, what: str):
    """``parts.distance``, or an error saying that ``what`` needs one and how to train it."""
    if parts.distance is None:
        raise ValueError(
            f"{what} needs a learned distance (train one with `mpc-jepa train --level distance`)"
        )
    return parts.distance

"""Planners and costs built from ``PlanSettings``: the one place that reads the registry."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from mpc_jepa.costs import GoalDistance, ReturnCost, StepReachability
from mpc_jepa.evaluation.settings import PlanSettings
from mpc_jepa.models.compiled import CompiledModel
from mpc_jepa.planners import (
    CEMConfig,
    CEMPlanner,
    HierarchicalPlanner,
    HierarchyConfig,
    VerifiedPlanner,
)
from mpc_jepa.planners.landmark import LandmarkHierarchyConfig, LandmarkHierarchyPlanner
from mpc_jepa.planners.registry import planner_spec


def planning_model(model, s: PlanSettings):
    """``model`` as the planners should call it: compiled if ``s.compile`` (None stays None)."""
    if model is None or not s.compile:
        return model
    return CompiledModel(model)


def needs_slow_model(s: PlanSettings) -> bool:
    """Whether planning with ``s`` reads the slow level (its predictor or its metric)."""
    return s.planner == "hierarchical" or s.goal_metric != "latent"


def make_planner(
    name: str, model, s: PlanSettings, callback=None, slow_model=None, seeds=None, heads=None
):
    """The registered planner ``name`` over ``model`` with the settings ``s``.

    The hierarchical planner also needs ``slow_model`` (a ``SlowWorldModel``, with its metric and
    landmark graph for the learned slow costs). ``seeds``: one noise seed per problem of every
    call (a tuple of B ints, replacing ``s.planner_seed``): problem b then draws the noise a
    single-problem planner seeded ``seeds[b]`` draws, so it plans as that one would, up to float
    rounding in the batched model calls (batched evaluation). ``heads``: a reward task's
    ``ValueHeads``, whose policy prior proposes ``s.policy_samples`` of CEM's candidates."""
    spec = planner_spec(name)
    if s.policy_samples and (name != "cem" or getattr(heads, "policy_net", None) is None):
        raise ValueError(
            f"policy_samples={s.policy_samples} needs the cem planner (got {name!r}) and value"
            " heads with a policy prior (learned by `mpc-jepa learn` with --policy-samples)"
        )
    if spec.composite:
        return make_hierarchical(model, slow_model, s, callback, seeds)
    if spec.needs_gradients and getattr(model, "differentiable", True) is False:
        raise ValueError(
            f"the {name} planner needs a differentiable model; the oracle (true physics) is not"
        )
    config = spec.config.from_settings(s)
    planner = spec.planner(
        model, config if seeds is None else with_seed(config, tuple(seeds)), callback
    )
    if s.policy_samples:
        planner.prior = lambda z0, horizon: heads.policy_rollout(model, z0, horizon)
    return planner


def with_seed(config, seed):
    """``config`` with its noise seed replaced, in nested planner configs too (GradCEM's)."""
    if hasattr(config, "seed"):
        return replace(config, seed=seed)
    nested = {f.name: getattr(config, f.name) for f in fields(config)}
    return replace(config, **{k: with_seed(v, seed) for k, v in nested.items() if is_dataclass(v)})


def make_hierarchical(
    model, slow_model, s: PlanSettings, callback=None, seeds=None
) -> HierarchicalPlanner | LandmarkHierarchyPlanner:
    """With ``s.slow_level`` 'landmarks' (default): the landmark graph's subgoals + fast CEM over
    ``model``; with 'model': slow CEM over ``slow_model`` (optionally verified through ``model``)
    + fast CEM, coupled by ``HierarchyConfig``, the slow cost built here from ``s.slow_cost``."""
    if slow_model is None:
        raise ValueError(
            "the hierarchical planner needs a slow model (train one with `mpc-jepa train --level "
            "slow`)"
        )
    if s.slow_level == "landmarks":
        graph = getattr(slow_model, "graph", None)
        if graph is None:
            raise ValueError(
                "slow_level='landmarks' (the default) needs a slow model with a landmark graph"
                " (`mpc-jepa train --level distance` builds one over the slow level), or use"
                " slow_level='model' (--slow-level model)"
            )
        fast = make_planner("cem", model, s, callback, seeds=seeds)
        return LandmarkHierarchyPlanner(graph, fast, LandmarkHierarchyConfig(s.slow_lookahead))
    if getattr(slow_model, "search", s.slow_search) != s.slow_search:
        raise ValueError(
            f"the slow model searches {slow_model.search!r}, the settings ask {s.slow_search!r}:"
            f" load it with search={s.slow_search!r}"
        )
    slow_cfg = CEMConfig(
        horizon=s.slow_horizon,
        num_samples=s.slow_samples,
        num_elites=min(s.num_elites, s.slow_samples),
        num_iters=s.slow_iters,
        warm_samples=s.slow_warm_samples or None,
        warm_iters=s.slow_warm_iters or None,
        seed=s.planner_seed + 7
        if seeds is None
        else tuple(x + 7 for x in seeds),  # not the fast level's
    )
    slow = CEMPlanner(slow_model, slow_cfg)
    if s.slow_verify:
        slow = VerifiedPlanner(slow, model, slow_model.chunks, slow_model.k)
    distance, penalty = slow_cost(slow_model, s)
    coupling = HierarchyConfig(
        k=slow_model.k,
        replan_every=s.slow_replan_every,
        subgoal_index=s.slow_subgoal,
        handover_margin=s.slow_handover,
    )
    fast = make_planner("cem", model, s, callback, seeds=seeds)
    return HierarchicalPlanner(slow, fast, distance, coupling, penalty)


def slow_cost(slow_model, s: PlanSettings) -> tuple[GoalDistance, StepReachability | None]:
    """The slow level's goal distance (weighted by ``s.slow_weighting``) and, for the learned
    distances with ``s.slow_max_step`` > 0, the penalty on slow steps longer than a transition can
    be."""
    if s.slow_cost == "latent":
        return GoalDistance(weighting=s.slow_weighting, terminal_weight=1.0), None
    metric = learned_distance(slow_model, s.slow_cost, "slow_cost")
    distance = GoalDistance(weighting=s.slow_weighting, terminal_weight=1.0, metric=metric.distance)
    if s.slow_max_step <= 0:
        return distance, None
    max_step = s.slow_max_step * slow_model.k * metric.step_scale
    return distance, StepReachability(metric.step_lengths, max_step)


def learned_distance(slow_model, kind: str, setting: str):
    """The slow level's ``TemporalDistance`` (kind 'temporal') or its ``LandmarkGraph`` ('graph'),
    with a clear error naming ``setting`` when the slow model lacks it."""
    metric = getattr(slow_model, "metric", None)
    if metric is None:
        raise ValueError(
            f"{setting}={kind!r} needs a slow model with a temporal-distance metric"
            f" (train one with `mpc-jepa train --level distance`), or use {setting}='latent'"
        )
    if kind == "temporal":
        return metric
    graph = getattr(slow_model, "graph", None)
    if graph is None:
        raise ValueError(
            f"{setting}='graph' needs a slow model with landmarks"
            " (`mpc-jepa train --level distance` builds them)"
        )
    return graph


def make_cost(model, s: PlanSettings, slow_model=None, heads=None) -> GoalDistance | ReturnCost:
    """The (flat or fast) planner's goal distance: the latent norm (for the oracle, on its
    configuration features, velocity scaled), or with ``s.goal_metric`` 'temporal' / 'graph' the
    slow level's learned distance (for 'hierarchical', whose subgoals are near, either means the
    temporal metric alone toward them). With ``heads`` (a reward task's
    ``ValueHeads``): the return cost, weighted by ``s.critic_weight``."""
    if heads is not None:
        if planner_spec(s.planner).composite:
            raise ValueError(
                f"the {s.planner} planner needs a goal to propose subgoals toward; reward tasks"
                " plan with a flat planner (cem, mppi, grad, gradcem)"
            )
        return ReturnCost(heads, s.critic_weight)
    project = getattr(model, "goal_features", None)
    metric = None
    if s.goal_metric != "latent" and s.planner != "hierarchical":
        metric = learned_distance(slow_model, s.goal_metric, "goal_metric").distance
    elif s.goal_metric != "latent":  # the fast level toward near subgoals: the metric, not paths
        metric = learned_distance(slow_model, "temporal", "goal_metric").distance
    return GoalDistance(
        weighting=s.weighting, terminal_weight=s.terminal_weight, project=project, metric=metric
    )

"""Planners and costs built from ``PlanSettings`` (the planners through the registry)."""

from __future__ import annotations

from mpc_jepa.costs import GoalDistance, ReturnCost
from mpc_jepa.evaluation.settings import PlanSettings
from mpc_jepa.models.compiled import CompiledModel
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.planners import PlanParts, build_planner, planner_spec


def planning_model(model, s: PlanSettings):
    """``model`` as the planners should call it: compiled if ``s.compile`` (None stays None)."""
    if model is None or not s.compile:
        return model
    return CompiledModel(model)


def needs_slow_model(s: PlanSettings) -> bool:
    """Whether planning with ``s`` reads the slow predictor (the hierarchy's slow level 'model')."""
    return s.composite and s.hierarchy.slow_level == "model"


def needs_distance(s: PlanSettings) -> bool:
    """Whether planning with ``s`` reads the learned distance (metric or landmark graph)."""
    if s.cost.goal_metric != "latent":
        return True
    h = s.hierarchy
    return s.composite and (h.slow_level == "landmarks" or h.model.slow_cost != "latent")


def make_planner(
    name: str,
    model,
    s: PlanSettings,
    callback=None,
    slow_model=None,
    distance=None,
    seeds=None,
    heads=None,
):
    """The registered planner ``name`` over ``model`` with the settings ``s``.

    The hierarchy also needs ``distance`` (a ``LearnedDistance``: its landmarks, or the learned
    slow costs) and, with slow_level 'model', ``slow_model`` (a ``SlowWorldModel``). ``seeds``:
    one noise seed per problem of every call (a tuple of B ints, replacing ``s.planner_seed``):
    problem b then draws the noise a single-problem planner seeded ``seeds[b]`` draws, so it plans
    as that one would, up to float rounding in the batched model calls (batched evaluation).
    ``heads``: a reward task's ``ValueHeads``, whose policy prior proposes
    ``s.sampling.policy_samples`` of CEM's candidates."""
    spec = planner_spec(name)
    prior = None
    if s.sampling.policy_samples:
        if not spec.takes_prior or heads is None or heads.policy_net is None:
            raise ValueError(
                f"policy_samples={s.sampling.policy_samples} needs the cem planner (got {name!r})"
                " and value heads with a policy prior (learned by `mpc-jepa learn` with"
                " --policy-samples)"
            )
        prior = lambda z0, horizon: heads.policy_rollout(model, z0, horizon)  # noqa: E731
    if spec.needs_gradients and not model.differentiable:
        raise ValueError(
            f"the {name} planner needs a differentiable model; the oracle (true physics) is not"
        )
    seeds = None if seeds is None else tuple(seeds)
    parts = PlanParts(callback, seeds, prior, slow_model, distance)
    return build_planner(name, model, s, parts)


def make_cost(model, s: PlanSettings, distance=None, heads=None) -> GoalDistance | ReturnCost:
    """The (flat or fast) planner's goal distance: the latent norm (for the oracle, on its
    configuration features, velocity scaled), or with ``s.cost.goal_metric`` 'temporal' / 'graph'
    the learned ``distance`` (for a composite planner, whose subgoals are near, either means the
    temporal metric alone toward them). With ``heads`` (a reward task's ``ValueHeads``): the
    return cost, weighted by ``s.cost.critic_weight``."""
    c = s.cost
    if heads is not None:
        if s.composite:
            raise ValueError(
                f"the {s.planner} planner needs a goal to propose subgoals toward; reward tasks"
                " plan with a flat planner (cem, mppi, grad, gradcem)"
            )
        return ReturnCost(heads, c.critic_weight)
    metric = None
    if c.goal_metric != "latent":
        if distance is None:
            raise ValueError(
                f"goal_metric={c.goal_metric!r} needs a learned distance (train one with"
                " `mpc-jepa train --level distance`), or use goal_metric='latent'"
            )
        # the fast level toward near subgoals: the metric, not paths
        kind = "temporal" if s.composite else c.goal_metric
        metric = distance.kind(kind, "goal_metric").distance
    return GoalDistance(
        weighting=c.weighting,
        terminal_weight=c.terminal_weight,
        project=model.goal_features if isinstance(model, OracleModel) else None,
        metric=metric,
    )

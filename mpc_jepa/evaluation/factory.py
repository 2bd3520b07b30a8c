"""Planners and costs built from ``PlanSettings`` (the planners through the registry)."""

from __future__ import annotations

from mpc_jepa.control import ActorPrior, MPCController
from mpc_jepa.costs import GoalDistance, ProposalDeviation, ReturnCost, SumCost
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
    prior=None,
):
    """The registered planner ``name`` over ``model`` with the settings ``s``.

    The hierarchy also needs ``distance`` (a ``LearnedDistance``: its landmarks, or the learned
    slow costs) and, with slow_level 'model', ``slow_model`` (a ``SlowWorldModel``). ``seeds``:
    one noise seed per problem of every call (a tuple of B ints, replacing ``s.planner_seed``):
    problem b then draws the noise a single-problem planner seeded ``seeds[b]`` draws, so it plans
    as that one would, up to float rounding in the batched model calls (batched evaluation).
    ``s.sampling.policy_samples`` of CEM's candidates come from a prior: ``prior`` (``(z0, T) ->
    [B, T, A]``, e.g. ``control.ActorPrior``, the goal actor's chunk), or a reward task's
    ``heads`` with a policy (its rollout through the model)."""
    spec = planner_spec(name)
    if s.sampling.policy_samples:
        if prior is None and heads is not None and heads.policy_net is not None:
            prior = lambda z0, horizon: heads.policy_rollout(model, z0, horizon)  # noqa: E731
        if not spec.takes_prior or prior is None:
            raise ValueError(
                f"policy_samples={s.sampling.policy_samples} needs the cem planner (got {name!r})"
                " and a prior: a goal actor (--prior-actor) or value heads with a policy prior"
                " (learned by `mpc-jepa learn` with --policy-samples)"
            )
    else:
        prior = None
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
    / 'objects' the learned ``distance`` (its metric, its graph, or the norm between its object
    readouts) (for a composite planner, whose subgoals are near, either means the
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
    metric, project = None, model.goal_features if isinstance(model, OracleModel) else None
    if c.goal_metric != "latent":
        if distance is None:
            raise ValueError(
                f"goal_metric={c.goal_metric!r} needs a learned distance (train one with"
                " `mpc-jepa train --level distance`), or use goal_metric='latent'"
            )
        if c.goal_metric == "objects":  # the norm between the objects' read-off dimensions
            project = distance.kind("objects", "goal_metric")
        else:  # the fast level toward near subgoals: the metric, not paths
            kind = "temporal" if s.composite else c.goal_metric
            metric = distance.kind(kind, "goal_metric").distance
    return GoalDistance(
        weighting=c.weighting, terminal_weight=c.terminal_weight, project=project, metric=metric
    )


def make_controller(
    model,
    s: PlanSettings,
    planning=None,
    slow_model=None,
    distance=None,
    heads=None,
    actor=None,
    seeds=None,
    device="cpu",
) -> MPCController:
    """The controller that plans with ``s``: the planner over ``planning`` (default ``model``; a
    compiled or counting wrapper of it), the cost over ``model``, and with a goal ``actor`` and
    ``s.sampling.policy_samples`` the actor's proposals (``ActorPrior``, shown each observation),
    whose deviation the cost charges with ``s.cost.prior_weight``.
    ``seeds``: one planner seed per problem (``make_planner``)."""
    planning = model if planning is None else planning
    prior = ActorPrior(actor) if actor is not None and s.sampling.policy_samples else None
    planner = make_planner(s.planner, planning, s, slow_model=slow_model, distance=distance,
                           seeds=seeds, heads=heads, prior=prior)  # fmt: skip
    cost = make_cost(model, s, distance, heads)
    if s.cost.prior_weight:
        if prior is None:
            raise ValueError("prior_weight needs a goal actor proposing (--prior-actor)")
        cost = SumCost((cost, ProposalDeviation(prior, s.cost.prior_weight)))
    return MPCController(planning, planner, cost, s.replan_every, device, prior)

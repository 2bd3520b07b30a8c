"""The planner contract, for every planner in the registry (the hierarchy included), built the way
the command line builds them: from ``PlanSettings`` through ``make_planner``."""

from dataclasses import replace

import pytest
import torch

from mpc_jepa.costs import GoalDistance
from mpc_jepa.evaluation import PlanSettings, make_planner
from mpc_jepa.models.landmark_graph import LandmarkGraph
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.planners import PLANNERS
from tests.test_landmark_graph import StraightLine
from tests.toy import LinearModel

T = 5
SETTINGS = PlanSettings.from_flags(
    horizon=T,
    num_samples=64,
    num_elites=8,
    num_iters=4,
    grad_steps=20,
    grad_restarts=4,
    grad_lr=0.1,
)
# the hierarchy over a slow model (the case "hierarchical"): its slow level's settings
MODEL_LEVEL = dict(
    slow_level="model",
    slow_horizon=4,
    slow_samples=64,
    slow_iters=3,
    slow_replan_every=1,
    slow_cost="latent",
)


class ToySlow(LinearModel):
    """Slow toy: one slow step = k fast steps of the held action."""

    k, search = 4, "held"

    def __init__(self, nan_rows: bool = False):
        super().__init__(dt=0.1 * self.k, nan_rows=nan_rows)


def toy_distance() -> LearnedDistance:
    """A learned distance's stand-in: straight lines and a landmark graph over a grid of the
    plane."""
    metric = StraightLine()
    grid = torch.cartesian_prod(*[torch.arange(-6.0, 6.01, 0.5)] * 2)
    return LearnedDistance(metric, LandmarkGraph(metric, grid, radius=0.75))


# every registered planner, and the hierarchy's other slow level
CASES = [*PLANNERS, "hierarchical/landmarks"]


def case(name: str, seed: int = 0, nan: bool = False):
    """(planner name, settings, models: the slow model and learned distance) of a test case."""
    planner = name.split("/")[0]
    if name.endswith("/landmarks"):
        s = SETTINGS.with_flags(planner=planner, planner_seed=seed, slow_lookahead=0.5)
        return planner, s, dict(distance=toy_distance())
    if PLANNERS[planner].composite:
        s = SETTINGS.with_flags(planner=planner, planner_seed=seed, **MODEL_LEVEL)
        return planner, s, dict(slow_model=ToySlow(nan_rows=nan))
    return planner, replace(SETTINGS, planner=planner, planner_seed=seed), {}


def build(name: str, seed: int = 0, nan: bool = False, seeds=None):
    planner, s, models = case(name, seed, nan)
    return make_planner(planner, LinearModel(nan_rows=nan), s, seeds=seeds, **models)


Z0 = torch.tensor([[0.0, 0.0], [0.2, -0.1], [-0.3, 0.25]])
GOAL = Z0 + torch.tensor([[0.3, -0.2], [-0.25, 0.1], [0.1, 0.3]])


@pytest.mark.parametrize("name", CASES)
def test_actions_stay_in_bounds_and_head_for_the_goal(name):
    goal = torch.tensor([[5.0, -5.0], [-4.0, 3.0]])  # unreachable with |a| <= 1
    plan = build(name).plan(torch.zeros(2, 2), GoalDistance(goal))
    assert plan.actions.shape == (2, T, 2) and plan.cost.shape == (2,)
    assert torch.all(plan.actions.abs() <= 1.0)
    assert torch.all(torch.sign(plan.actions[:, :, 0].mean(1)) == torch.sign(goal[:, 0]))


@pytest.mark.parametrize("name", CASES)
def test_same_seed_same_plan_and_batch_equals_single_calls(name):
    cost = GoalDistance(GOAL, norm="sql2")
    a = build(name, seed=3).plan(Z0, cost).actions
    torch.testing.assert_close(a, build(name, seed=3).plan(Z0, cost).actions, atol=0, rtol=0)
    for i in range(len(Z0)):
        single = build(name, seed=3).plan(Z0[i : i + 1], GoalDistance(GOAL[i : i + 1], norm="sql2"))
        torch.testing.assert_close(a[i : i + 1], single.actions, atol=1e-5, rtol=1e-5)
    other = build(name, seed=4).plan(Z0, cost).actions
    assert not torch.equal(a, other)  # the seed is used


@pytest.mark.parametrize("name", CASES)
def test_cost_decreases_over_iterations(name):
    curve = build(name).plan(Z0, GoalDistance(GOAL, norm="sql2")).info["cost_per_iter"]  # [I, B]
    assert curve.shape[1] == len(Z0) and curve.shape[0] >= 2
    assert torch.all(curve[1:] <= curve[:-1] + 1e-7) and torch.all(curve[-1] < curve[0])


@pytest.mark.parametrize("name", CASES)
def test_nan_from_the_model_gives_finite_in_bound_actions_and_a_warning(name):
    with pytest.warns(RuntimeWarning, match="not finite"):
        plan = build(name, nan=True).plan(Z0, GoalDistance(GOAL))
    assert torch.all(torch.isfinite(plan.actions)) and torch.all(plan.actions.abs() <= 1)


def test_the_registry_drives_the_command_line_choices():
    from mpc_jepa.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    planner = next(a for a in sub.choices["eval"]._actions if a.dest == "planner")
    assert list(planner.choices) == list(PLANNERS)
    with pytest.raises(ValueError, match="unknown planner 'nope'; known: cem, mppi"):
        PlanSettings(planner="nope")


@pytest.mark.parametrize("name", CASES)
def test_per_problem_seeds_give_each_problem_its_single_call_plan(name):
    """With one seed per problem, problem b of a batch plans as a single call seeded seeds[b]
    (what batched evaluation relies on to equal sequential episodes)."""
    seeds = (11, 12, 13)
    batch = build(name, seeds=seeds)
    cost = GoalDistance(GOAL, norm="sql2")
    first = batch.plan(Z0, cost)
    second = batch.plan(Z0, cost, first.shifted(1))  # generators advance per problem
    for b, seed in enumerate(seeds):
        single = build(name, seed=seed)
        one = GoalDistance(GOAL[b : b + 1], norm="sql2")
        p1 = single.plan(Z0[b : b + 1], one)
        p2 = single.plan(Z0[b : b + 1], one, p1.shifted(1))
        torch.testing.assert_close(first.actions[b : b + 1], p1.actions, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(second.actions[b : b + 1], p2.actions, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="3 per-problem seeds, the call 2 problems"):
        batch.plan(Z0[:2], GoalDistance(GOAL[:2]))


def test_landmark_slow_level_settings_are_checked():
    _, s, models = case("hierarchical/landmarks")
    with pytest.raises(ValueError, match="lookahead 2.0 exceeds the graph's trusted hop radius"):
        make_planner("hierarchical", LinearModel(), s.with_flags(slow_lookahead=2.0), **models)
    with pytest.raises(ValueError, match="slow_level='landmarks' .the default. needs a learned"):
        make_planner("hierarchical", LinearModel(), s, slow_model=ToySlow())
    with pytest.raises(ValueError, match="slow_level must be one of landmarks, model"):
        PlanSettings.from_flags(slow_level="graphs")
    # a setting of the other slow level would be ignored: named instead
    with pytest.raises(ValueError, match="slow_samples=64 is a setting of slow_level='model'"):
        s.with_flags(slow_samples=64)
    with pytest.raises(
        ValueError, match="slow_lookahead=0.5 is a setting of slow_level='landmarks'"
    ):
        s.with_flags(slow_level="model")
    with pytest.raises(ValueError, match="unknown plan settings: slow_sample"):
        s.with_flags(slow_sample=64)
    PlanSettings.from_flags(planner="cem", slow_samples=64)  # flat planners ignore the slow level's


def test_plan_settings_nest_with_one_flat_name_per_setting():
    """The settings nest (shared fields, one group per planner family and level) and every
    setting keeps one flat name, its flag: ``from_flags`` and ``flags`` are inverses."""
    from dataclasses import fields, is_dataclass

    top = [f.name for f in fields(PlanSettings)]
    assert len(top) <= 12 and {"sampling", "grad", "cost", "hierarchy"} <= set(top)
    s = PlanSettings.from_flags(planner="hierarchical", slow_level="model", slow_samples=32,
                                num_samples=64, grad_lr=0.5, goal_metric="temporal")  # fmt: skip
    assert s.hierarchy.model.slow_samples == 32 and s.sampling.num_samples == 64
    assert s.grad.grad_lr == 0.5 and s.cost.goal_metric == "temporal"
    assert PlanSettings.from_flags(**s.flags()) == s

    def leaves(settings) -> list[str]:
        out = []
        for f in fields(settings):
            value = getattr(settings, f.name)
            out += leaves(value) if is_dataclass(value) else [f.name]
        return out

    assert len(leaves(s)) == len(s.flags()) == 33  # no name shared by two groups: none lost


def test_python_defaults_are_the_command_lines():
    """One source of truth: a planner or cost built in Python with no arguments is the one
    `mpc-jepa eval` builds with no flags (issue 39)."""
    from mpc_jepa.cli import build_parser
    from mpc_jepa.cli.args import dataclass_from_args
    from mpc_jepa.evaluation import make_cost

    cli = dataclass_from_args(PlanSettings, build_parser().parse_args(["eval"]))
    assert cli == PlanSettings()
    for name, spec in PLANNERS.items():
        if not spec.composite:
            assert spec.config() == spec.config.from_settings(replace(cli, planner=name)), name
    assert make_cost(LinearModel(), cli) == GoalDistance()
    built = make_planner("cem", LinearModel(), cli)
    assert built.config == PLANNERS["cem"].config()

import numpy as np
import pytest
import torch

from mpc_jepa.control import CountingModel
from mpc_jepa.costs import GoalDistance
from mpc_jepa.planners import (
    CEMConfig,
    CEMPlanner,
    GradCEMConfig,
    GradCEMPlanner,
    GradientConfig,
    GradientPlanner,
    MPPIConfig,
    MPPIPlanner,
)
from mpc_jepa.types import Plan
from tests.toy import LinearModel, quadratic_problem

T = 5


def make(name, model, seed=0):
    return {
        "cem": lambda: CEMPlanner(
            model,
            CEMConfig(
                horizon=T, num_samples=300, num_elites=20, num_iters=12, seed=seed, min_std=0.005
            ),
        ),
        "icem_white_mean": lambda: CEMPlanner(
            model,
            CEMConfig(
                horizon=T,
                num_samples=300,
                num_elites=20,
                num_iters=12,
                noise_beta=0.0,
                return_mode="mean",
                min_std=0.005,
                seed=seed,
            ),
        ),
        "mppi": lambda: MPPIPlanner(
            model,
            MPPIConfig(
                horizon=T,
                num_samples=300,
                num_elites=300,
                num_iters=12,
                temperature=0.05,
                min_std=0.005,
                seed=seed,
            ),
        ),
        "grad": lambda: GradientPlanner(
            model,
            GradientConfig(
                horizon=T, num_restarts=4, num_steps=100, lr=0.1, early_stop_patience=25, seed=seed
            ),
        ),
        "grad_clip": lambda: GradientPlanner(
            model,
            GradientConfig(
                horizon=T,
                num_restarts=4,
                num_steps=100,
                lr=0.05,
                bound="clip",
                early_stop_patience=25,
                seed=seed,
            ),
        ),
        "gradcem_refine": lambda: GradCEMPlanner(
            model,
            GradCEMConfig(
                cem=CEMConfig(horizon=T, num_iters=3, seed=seed),
                grad=GradientConfig(horizon=T, num_steps=60, lr=0.1, seed=seed),
            ),
        ),
        "gradcem_inner": lambda: GradCEMPlanner(
            model,
            GradCEMConfig(
                cem=CEMConfig(horizon=T, num_iters=4, seed=seed),
                grad=GradientConfig(horizon=T, num_steps=10, lr=0.1, seed=seed),
                mode="inner",
            ),
        ),
    }[name]()


NAMES = ["cem", "icem_white_mean", "mppi", "grad", "grad_clip", "gradcem_refine", "gradcem_inner"]


@pytest.fixture
def problem():
    z0 = torch.tensor([[0.0, 0.0], [0.2, -0.1], [-0.3, 0.25]])
    goal = z0 + torch.tensor([[0.3, -0.2], [-0.25, 0.1], [0.1, 0.3]])
    cost, c_opt, a_opt = quadratic_problem(z0, goal, horizon=T)
    return z0, goal, cost, c_opt, a_opt


@pytest.mark.parametrize("name", NAMES)
def test_reaches_known_optimum_within_one_percent(name, problem):
    z0, goal, cost, c_opt, a_opt = problem
    plan = make(name, LinearModel()).plan(z0, cost)
    assert plan.actions.shape == (3, T, 2) and plan.cost.shape == (3,)
    true_cost = cost(LinearModel().rollout(z0, plan.actions), plan.actions)
    assert torch.all(true_cost <= c_opt * 1.01), (true_cost, c_opt)
    torch.testing.assert_close(plan.cost, true_cost, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_cost_decreases_over_iterations(name, problem):
    z0, goal, cost, *_ = problem
    curve = make(name, LinearModel()).plan(z0, cost).info["cost_per_iter"]  # [I, B]
    assert curve.shape[1] == 3 and curve.shape[0] >= 2
    assert torch.all(curve[1:] <= curve[:-1] + 1e-7) and torch.all(curve[-1] < curve[0])


@pytest.mark.parametrize("name", NAMES)
def test_actions_stay_in_bounds_when_goal_needs_more(name):
    z0 = torch.zeros(2, 2)
    goal = torch.tensor([[5.0, -5.0], [-4.0, 3.0]])  # unreachable with |a| <= 1
    plan = make(name, LinearModel()).plan(z0, GoalDistance(goal))
    assert torch.all(plan.actions.abs() <= 1.0)
    assert torch.all(torch.sign(plan.actions[:, :, 0].mean(1)) == torch.sign(goal[:, 0]))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_plan_and_batch_equals_single_calls(name, problem):
    z0, goal, cost, *_ = problem
    a = make(name, LinearModel(), seed=3).plan(z0, cost).actions
    b = make(name, LinearModel(), seed=3).plan(z0, cost).actions
    torch.testing.assert_close(a, b)
    for i in range(3):
        single_cost = GoalDistance(goal[i : i + 1], norm="sql2")
        batch = make(name, LinearModel(), seed=3).plan(z0, GoalDistance(goal, norm="sql2")).actions
        single = make(name, LinearModel(), seed=3).plan(z0[i : i + 1], single_cost).actions
        torch.testing.assert_close(batch[i : i + 1], single, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_nan_from_model_gives_finite_in_bound_actions_and_a_warning(name, problem):
    z0, goal, cost, *_ = problem
    with pytest.warns(RuntimeWarning, match="not finite"):
        plan = make(name, LinearModel(nan_rows=True)).plan(z0, cost)
    assert torch.all(torch.isfinite(plan.actions)) and torch.all(plan.actions.abs() <= 1)


def test_plan_shifted_warm_start():
    actions = torch.arange(12.0).reshape(1, 6, 2) / 12
    p = Plan(actions, torch.zeros(1), None, {"elites": actions.unsqueeze(1)})
    s = p.shifted(2)
    torch.testing.assert_close(s.actions[0, :4], actions[0, 2:])
    torch.testing.assert_close(s.actions[0, 4:], actions[0, -1:].expand(2, 2))
    assert s.info["elites"].shape == (1, 1, 6, 2) and s.latents is None
    with pytest.raises(ValueError, match="-1"):
        p.shifted(-1)


def test_warm_start_is_used(problem):
    z0, goal, cost, c_opt, a_opt = problem
    init = a_opt.unsqueeze(1).expand(3, T, 2).clone()
    plan = CEMPlanner(
        LinearModel(), CEMConfig(horizon=T, num_samples=16, num_elites=4, num_iters=1)
    ).plan(z0, cost, init)
    assert torch.all(plan.cost <= c_opt * 1.0001)


def test_warm_started_cem_spends_its_warm_budget(problem):
    """warm_samples / warm_iters apply only to warm-started plans (the hierarchy's slow replans)."""
    z0, goal, cost, c_opt, a_opt = problem
    counting = CountingModel(LinearModel())
    cfg = CEMConfig(horizon=T, num_samples=64, num_elites=4, num_iters=3, population_decay=1,
                    keep_elites=0, add_mean=False, warm_samples=8, warm_iters=1)  # fmt: skip
    planner = CEMPlanner(counting, cfg)
    cold = planner.plan(z0, cost)
    assert counting.evals == 3 * 3 * 64 * T  # problems x iterations x samples x steps
    counting.evals = 0
    warm = planner.plan(z0, cost, cold.shifted(0))
    assert counting.evals == 3 * 1 * (8 + 1) * T  # + the warm start itself
    assert torch.all(warm.cost <= cold.cost + 1e-6)  # never worse than where it started
    with pytest.raises(ValueError, match="warm_samples"):
        CEMConfig(num_elites=16, warm_samples=8)
    with pytest.raises(ValueError, match="warm_iters"):
        CEMConfig(warm_iters=0)


def test_bad_configs_and_inputs_name_the_value(problem):
    with pytest.raises(ValueError, match="num_elites.*50"):
        CEMConfig(num_samples=10, num_elites=50)
    with pytest.raises(ValueError, match="temperature"):
        MPPIConfig(temperature=0)
    with pytest.raises(ValueError, match="bound"):
        GradientConfig(bound="sigmoid")
    z0, goal, cost, *_ = problem
    with pytest.raises(ValueError, match=r"init must have shape"):
        CEMPlanner(LinearModel(), CEMConfig(horizon=T)).plan(z0, cost, torch.zeros(3, T + 1, 2))
    with pytest.raises(ValueError, match="goal"):
        GoalDistance()(torch.zeros(2, 3, 2), torch.zeros(2, 2, 2))


def test_cost_broadcasts_goal_over_candidates():
    goal = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    latents = torch.zeros(6, 4, 2)  # B=2 problems x N=3 candidates
    c = GoalDistance(goal, weighting="uniform", terminal_weight=0.0)(latents, torch.zeros(6, 3, 2))
    torch.testing.assert_close(c, torch.ones(6))
    latents[3:, -1] = torch.tensor([0.0, 1.0])  # problem 1 reaches its goal at the end
    term = GoalDistance(goal, weighting="terminal", terminal_weight=0.0)(
        latents, torch.zeros(6, 3, 2)
    )
    torch.testing.assert_close(term, torch.tensor([1.0, 1, 1, 0, 0, 0]), atol=1e-5, rtol=0)


def test_callback_sees_every_iteration(problem):
    z0, goal, cost, *_ = problem
    seen = []
    CEMPlanner(
        LinearModel(), CEMConfig(horizon=T, num_iters=3), callback=lambda i, d: seen.append(i)
    ).plan(z0, cost)
    assert seen == [0, 1, 2]


def test_gradient_early_stop_ends_a_converged_search(problem):
    z0, goal, cost, c_opt, a_opt = problem
    init = a_opt.unsqueeze(1).expand(3, T, 2).clone()
    plan = GradientPlanner(
        LinearModel(),
        GradientConfig(horizon=T, num_restarts=2, num_steps=200, lr=0.01, early_stop_patience=5),
    ).plan(z0, cost, init)
    assert plan.info["num_steps"] < 200
    assert torch.all(plan.cost <= c_opt * 1.001)


def test_controller_rejects_non_finite_observations():
    from mpc_jepa.control import MPCController

    ctrl = MPCController(
        LinearModel(), CEMPlanner(LinearModel(), CEMConfig(horizon=T)), GoalDistance()
    )
    with pytest.raises(ValueError, match="non-finite"):
        ctrl.reset(np.array([np.nan, 0.0], dtype=np.float32))
    ctrl.reset(np.zeros(2, dtype=np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        ctrl.act(np.array([0.0, np.inf], dtype=np.float32))
    assert ctrl.act(np.zeros(2, dtype=np.float32)).shape == (2,)


def test_single_restart_gradient_planner_plans(problem):
    """One restart means no random restarts at all (an empty noise batch must not break the FFT)."""
    z0, goal, cost, c_opt, a_opt = problem
    plan = GradientPlanner(
        LinearModel(), GradientConfig(horizon=T, num_restarts=1, num_steps=3)
    ).plan(z0, cost)
    assert (
        plan.actions.shape == (3, T, 2)
        and torch.isfinite(plan.actions).all()
        and torch.all(plan.actions.abs() <= 1)
    )


# odd and even: the Nyquist bin is real-only for even T
@pytest.mark.parametrize("horizon", [15, 16])
def test_colored_noise_has_a_1_over_f_beta_spectrum_down_to_the_constant_component(horizon):
    from mpc_jepa.planners.sampling import colored_noise, make_generator

    beta = 2.0
    x = colored_noise(4000, horizon, 2, beta, make_generator(0, "cpu"), "cpu")  # [N, T, A]
    assert x.shape == (4000, horizon, 2) and torch.isfinite(x).all()
    assert abs(float(x.std()) - 1) < 1e-3  # unit variance over the sample
    power = torch.fft.rfft(x, dim=1).abs().square().mean(dim=(0, 2))  # [F] per frequency bin
    freqs = torch.fft.rfftfreq(horizon)
    freqs[0] = freqs[1]  # the constant component gets the lowest frequency's scale
    ratio = power / freqs.pow(-beta)
    # every bin, the constant one (mean action) and the Nyquist one included, carries its
    # 1/f^beta share
    assert float(ratio.max() / ratio.min()) < 1.15, ratio
    white = colored_noise(4000, horizon, 2, 0.0, make_generator(0, "cpu"), "cpu")
    flat = torch.fft.rfft(white, dim=1).abs().square().mean(dim=(0, 2))
    assert float(flat[1:-1].max() / flat[1:-1].min()) < 1.15  # beta = 0: white

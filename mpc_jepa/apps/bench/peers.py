"""Side-by-side planner benchmark against mbrl-lib's CEM / iCEM / MPPI and pytorch_mppi.

Same learned model, same cost, same start states and goals, budgets matched by *counted* model
evaluations (a ``CountingModel`` wraps the model for every optimiser). The peers are installed in
the benchmark environment only (``make bench``), never as runtime dependencies.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from mpc_jepa.control import CountingModel
from mpc_jepa.costs import GoalDistance
from mpc_jepa.models.compiled import CompiledModel
from mpc_jepa.planners import CEMConfig, CEMPlanner, MPPIConfig, MPPIPlanner


def make_problems(task, model, n: int, seed: int):
    out = []
    for i in range(n):
        obs = task.reset(seed=seed + i)
        with torch.no_grad():
            out.append(
                (
                    model.encode(torch.as_tensor(obs["state"])[None]),
                    model.encode(torch.as_tensor(task.goal.state)[None]),
                )
            )
    return out


def peer_optimisers(counting, horizon: int, action_dim: int, budget_samples: int, iters: int):
    """({name: plan(z0, cost) -> actions [T, A]} for each installed peer,
    [names of missing peers])."""
    peers: dict = {}
    missing: list[str] = []
    try:
        peers.update(_mbrl_planners(counting, horizon, action_dim, budget_samples, iters))
    except ImportError:
        missing.append("mbrl-lib")
    try:
        peers["pytorch_mppi"] = _pytorch_mppi_planner(
            counting, horizon, action_dim, budget_samples * iters
        )
    except ImportError:
        missing.append("pytorch_mppi")
    return peers, missing


def _mbrl_planners(
    counting, horizon: int, action_dim: int, budget_samples: int, iters: int
) -> dict:
    """mbrl-lib's CEM, iCEM and MPPI optimisers over the counted model (ImportError without it)."""
    import mbrl.planning as mp

    lb, ub = [[-1.0] * action_dim] * horizon, [[1.0] * action_dim] * horizon

    def mbrl_plan(make):
        def plan(z0, cost):
            opt = make()

            def obj(pop):  # [N, T, A] -> [N] to maximise
                with torch.no_grad():
                    lat = counting.rollout(z0.expand(pop.shape[0], -1), pop.float())
                    return -cost(lat, pop)

            return opt.optimize(obj, torch.zeros(horizon, action_dim))

        return plan

    dev = torch.device("cpu")
    return {
        "mbrl-lib CEM": mbrl_plan(
            lambda: mp.CEMOptimizer(iters, 0.1, budget_samples, lb, ub, 0.1, dev)
        ),
        "mbrl-lib iCEM": mbrl_plan(
            lambda: mp.ICEMOptimizer(iters, 0.1, budget_samples, 1.25, 2.0, lb, ub, 0.3, 0.1, dev)
        ),
        "mbrl-lib MPPI": mbrl_plan(
            lambda: mp.MPPIOptimizer(iters, budget_samples, 1.0, 0.5, 0.6, lb, ub, dev)
        ),
    }


def _pytorch_mppi_planner(counting, horizon: int, action_dim: int, num_samples: int):
    """pytorch_mppi's MPPI with the whole budget in one iteration (ImportError without it)."""
    from pytorch_mppi import MPPI

    def plan(z0, cost):
        goal = cost.goal
        dist = lambda z: torch.linalg.vector_norm(z - goal, dim=-1)  # noqa: E731
        ctrl = MPPI(
            lambda s, a: counting.predict(s, a),
            lambda s, a: dist(s) / horizon,
            z0.shape[1],
            noise_sigma=0.25 * torch.eye(action_dim),
            num_samples=num_samples,
            horizon=horizon,
            lambda_=0.05,
            u_min=-torch.ones(action_dim),
            u_max=torch.ones(action_dim),
            terminal_state_cost=lambda states, actions: dist(states[..., -1, :]),
        )
        with torch.no_grad():
            ctrl.command(z0[0], shift_nominal_trajectory=False)
        return ctrl.U.clamp(-1, 1)

    return plan


class _BatchLog:
    """Passes calls to ``model``; ``sizes`` records the batch size of every rollout."""

    def __init__(self, model):
        self.model, self.sizes = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def rollout(self, z0, actions):
        self.sizes.append(actions.shape[0])
        return self.model.rollout(z0, actions)


def run_peers(
    task,
    model,
    *,
    problems: int = 20,
    seed: int = 100000,
    horizon: int = 15,
    num_samples: int = 128,
    num_iters: int = 3,
    compiled: bool = False,
) -> dict:
    """Rows {planner: {ms_per_plan (median), mean_cost, model_evals_per_plan}} plus the peers found.

    ``compiled``: every planner, ours and the peers', calls the same ``CompiledModel`` (rows
    suffixed ", compiled model"); costs are always scored on the eager model.
    """
    counting = CountingModel(CompiledModel(model) if compiled else model)
    probs = make_problems(task, model, problems, seed)
    A = model.action_dim
    icem = CEMConfig(horizon=horizon, num_samples=num_samples, num_elites=12, num_iters=num_iters)
    ours = {
        "mpc_jepa iCEM": lambda: CEMPlanner(counting, icem),
        "mpc_jepa MPPI": lambda: MPPIPlanner(
            counting,
            MPPIConfig(
                horizon=horizon,
                num_samples=num_samples,
                num_elites=num_samples,
                num_iters=num_iters,
            ),
        ),
    }
    # the peers get our iCEM's counted budget per plan (its population decays, so measure it)
    z0, zg = probs[0]
    counting.evals = 0
    batches = _BatchLog(counting)
    CEMPlanner(batches, icem).plan(z0, GoalDistance(zg))
    budget = counting.evals
    per_iter = max(1, budget // (horizon * num_iters))
    planners = {
        name: (lambda f=f: lambda z, c: f().plan(z, c).actions[0]) for name, f in ours.items()
    }
    planners = {name: mk() for name, mk in planners.items()}

    def model_alone(z0, cost):  # the floor: our iCEM's rollout batches with no planner around them
        with torch.inference_mode():
            for n in batches.sizes:
                counting.rollout(z0.expand(n, -1), torch.zeros(n, horizon, A))
        return None

    planners["model rollouts alone (our iCEM's batches)"] = model_alone
    peers, missing = peer_optimisers(counting, horizon, A, per_iter, num_iters)
    planners.update(peers)
    suffix = ", compiled model" if compiled else ""
    rows = {
        name + suffix: score_planner(plan, probs, counting, model, seed)
        for name, plan in planners.items()
    }
    return {"rows": rows, "problems": problems, "budget_evals": budget, "missing_peers": missing}


def score_planner(plan, probs: list, counting, model, seed: int) -> dict:
    """One planner over the problems: median ms per plan, mean cost of its plans under the eager
    ``model`` (None when it returns no plan), mean counted model evaluations per plan."""
    costs, times, evals = [], [], []
    for j, (z0, zg) in enumerate(probs):
        torch.manual_seed(seed + j)  # the peers sample from torch's global generator: same draws
        cost = GoalDistance(zg)
        counting.evals = 0
        t = time.perf_counter()
        actions = plan(z0, cost)  # [T, A]
        times.append(1000 * (time.perf_counter() - t))
        evals.append(counting.evals)
        if actions is None:  # no plan: the cost column is n/a
            continue
        with torch.no_grad():
            a = torch.as_tensor(actions, dtype=torch.float32).clamp(-1, 1)[None]
            costs.append(float(cost(model.rollout(z0, a), a)))
    return {
        "ms_per_plan": float(np.median(times)),
        "mean_cost": float(np.mean(costs)) if costs else None,
        "model_evals_per_plan": float(np.mean(evals)),
    }

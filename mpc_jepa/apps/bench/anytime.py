"""Section anytime: the cost each planner reaches within a wall-clock budget per plan.

Every planner, ours and the peers' (mbrl-lib, pytorch_mppi), runs a ladder of budgets (samples per
iteration x iterations) on the same problems, model and cost as the peers section, one torch thread.
Each rung gives a median time per plan and a mean cost; a planner's anytime curve at budget b is
the best mean cost among its rungs whose median time fits in b (None: even its smallest rung is
slower). One run, all planners interleaved rung by rung, so drifts in the machine's speed hit all.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import tasks  # noqa: E402
from mpc_jepa.apps.bench.common import bench_model  # noqa: E402
from mpc_jepa.apps.bench.peers import make_problems, peer_optimisers, score_planner  # noqa: E402
from mpc_jepa.apps.bench.settings import BenchSettings  # noqa: E402
from mpc_jepa.control import CountingModel  # noqa: E402
from mpc_jepa.planners import CEMConfig, CEMPlanner, MPPIConfig, MPPIPlanner  # noqa: E402

BUDGETS_MS = (2, 5, 10, 20, 40)
# (samples in the first iteration, iterations): from far below to far above every budget
LADDER = ((16, 1), (32, 1), (32, 2), (64, 2), (64, 3), (128, 3), (256, 3), (256, 4), (512, 4))
OURS = ("mpc_jepa iCEM", "mpc_jepa MPPI")


def bench_anytime(s: BenchSettings) -> dict:
    """Anytime curves on the peers section's point_mass model and problems, and their plot."""
    model = bench_model("point_mass", s.train_steps)
    res = run_anytime(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed)
    plot_anytime(res["curves"], Path(s.out) / "anytime.png")
    res["command"] = (
        "mpc-jepa bench --sections anytime (point_mass JEPA, 20 start/goal pairs, horizon 15, "
        f"one torch thread; rungs (samples, iterations) {list(LADDER)})"
    )
    res["problems"] = 20
    return res


def _ours(counting, horizon: int, samples: int, iters: int) -> dict:
    """Our planners at one rung: {name: plan(z0, cost) -> actions [T, A]}."""
    icem = CEMConfig(horizon=horizon, num_samples=samples, num_elites=min(12, samples // 2),
                     num_iters=iters)  # fmt: skip
    mppi = MPPIConfig(horizon=horizon, num_samples=samples, num_elites=samples, num_iters=iters)
    return {
        "mpc_jepa iCEM": lambda z, c: CEMPlanner(counting, icem).plan(z, c).actions[0],
        "mpc_jepa MPPI": lambda z, c: MPPIPlanner(counting, mppi).plan(z, c).actions[0],
    }


def run_anytime(task, model, *, problems: int = 20, seed: int = 100000, horizon: int = 15) -> dict:
    """{"points": {planner: [rung results]}, "curves": {planner: {budget_ms: cost | None}},
    "missing_peers": [...]}; rung results as ``score_planner``'s plus samples and iters."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        counting = CountingModel(model)
        probs = make_problems(task, model, problems, seed)
        points: dict[str, list] = {}
        missing: list[str] = []
        for samples, iters in LADDER:
            planners = _ours(counting, horizon, samples, iters)
            peers, missing = peer_optimisers(counting, horizon, model.action_dim, samples, iters)
            planners.update(peers)
            for name, plan in planners.items():
                row = score_planner(plan, probs, counting, model, seed)
                points.setdefault(name, []).append({**row, "samples": samples, "iters": iters})
    finally:
        torch.set_num_threads(threads)
    return {"points": points, "curves": anytime_curves(points), "missing_peers": missing}


def anytime_curves(points: dict[str, list]) -> dict[str, dict[str, float | None]]:
    """{planner: {budget: best mean cost of the rungs whose median ms per plan fits in it}}."""
    out = {}
    for name, rows in points.items():
        out[name] = {}
        for budget in BUDGETS_MS:
            fits = [r["mean_cost"] for r in rows if r["ms_per_plan"] <= budget]
            out[name][str(budget)] = min(fits) if fits else None
    return out


def plot_anytime(curves: dict, path: str | Path) -> Path:
    """Cost within each budget, one line per planner (ours solid, peers dashed)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in curves.items():
        xs = [float(b) for b, c in curve.items() if c is not None]
        ys = [c for c in curve.values() if c is not None]
        ax.plot(xs, ys, "o-" if name in OURS else "s--", label=name)
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks([float(b) for b in BUDGETS_MS], [str(b) for b in BUDGETS_MS])
    ax.set_xlabel("wall-clock budget per plan (ms, one thread)")
    ax.set_ylabel("mean cost reached (lower is better)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

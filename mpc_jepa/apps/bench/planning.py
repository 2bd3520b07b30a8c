"""Sections planning and peers: closed-loop planners on point_mass and reacher; planners side by
side."""

from __future__ import annotations

import tasks
from mpc_jepa.apps.bench.common import bench_model, check_known, ordered, stored_section
from mpc_jepa.apps.bench.peers import run_peers
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.models.oracle import OracleModel

PLANNING_RUNS = {  # row label: (overrides of PlanSettings, model)
    "cem / learned": ({"planner": "cem"}, "learned"),
    "mppi / learned": ({"planner": "mppi"}, "learned"),
    "grad / learned": ({"planner": "grad"}, "learned"),
    "gradcem / learned": ({"planner": "gradcem"}, "learned"),
    "cem / oracle": ({"planner": "cem"}, "oracle"),
    "mppi / oracle": ({"planner": "mppi"}, "oracle"),
    "cem / learned, compiled": ({"planner": "cem", "compile": True}, "learned"),
    "grad, 1 Adam step x 2 restarts / learned": (
        {"planner": "grad", "grad_steps": 1, "grad_restarts": 2},
        "learned",
    ),
    "grad, 1 Adam step x 2 restarts / learned, compiled": (
        {"planner": "grad", "grad_steps": 1, "grad_restarts": 2, "compile": True},
        "learned",
    ),
    "grad, 1 Adam step x 8 restarts / learned": (
        {"planner": "grad", "grad_steps": 1, "grad_restarts": 8},
        "learned",
    ),
    "grad, 1 Adam step x 8 restarts / learned, compiled": (
        {"planner": "grad", "grad_steps": 1, "grad_restarts": 8, "compile": True},
        "learned",
    ),
}


def bench_planning(s: BenchSettings) -> dict:
    """Every planner of PLANNING_RUNS on point_mass and reacher, learned model and oracle."""
    labels = check_known(s.planning_runs, PLANNING_RUNS, "planning run")
    old = stored_section(s.out, "planning") if s.planning_runs else {}
    rows = dict(old.get("rows", {}))  # rows not re-run are kept
    for task_name in ("point_mass", "reacher"):
        model = bench_model(task_name, s.train_steps)
        task = tasks.load(task_name, seed=s.seed)
        for label in labels:
            overrides, kind = PLANNING_RUNS[label]
            m = model if kind == "learned" else OracleModel(task)
            ev = evaluate(
                task,
                m,
                PlanSettings.from_flags(**overrides),
                s.episodes,
                seed=s.seed,
                progress=False,
            )
            rows[f"{task_name} / {label}"] = ev["summary"]
            print(f"{task_name:10s} {label:50s} {ev['summary']}", flush=True)
    order = [f"{t} / {k}" for t in ("point_mass", "reacher") for k in PLANNING_RUNS]
    return {
        "command": "mpc-jepa eval --task T --planner P --model learned|oracle [--compile] "
        f"--episodes {s.episodes} --seed {s.seed}",
        "settings": PlanSettings().flags(),
        "notes": old.get("notes", []),
        "rows": ordered(rows, order),
    }


def bench_peers(s: BenchSettings) -> dict:
    """Our planners beside mbrl-lib's and pytorch_mppi's on the same model, cost and problems."""
    model = bench_model("point_mass", s.train_steps)
    res = run_peers(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed)
    compiled = run_peers(
        tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed, compiled=True
    )
    res["rows"].update(compiled["rows"])
    res["command"] = (
        "mpc-jepa bench --sections peers (point_mass JEPA, 20 start/goal pairs, one plan each, "
        "horizon 15)"
    )
    return res

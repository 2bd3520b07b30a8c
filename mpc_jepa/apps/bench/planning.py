"""Sections planning and peers: closed-loop planners on point_mass and reacher; planners side by side."""

from __future__ import annotations

import json
from pathlib import Path

import tasks
from mpc_jepa.apps.bench.common import train_model
from mpc_jepa.apps.bench.peers import run_peers
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.models.checkpoints import load_world_model
from mpc_jepa.models.oracle import OracleModel

PLANNING_RUNS = {  # row label: (overrides of PlanSettings, model)
    "cem / learned": ({"planner": "cem"}, "learned"),
    "mppi / learned": ({"planner": "mppi"}, "learned"),
    "grad / learned": ({"planner": "grad"}, "learned"),
    "gradcem / learned": ({"planner": "gradcem"}, "learned"),
    "cem / oracle": ({"planner": "cem"}, "oracle"),
    "mppi / oracle": ({"planner": "mppi"}, "oracle"),
    "cem / learned, compiled": ({"planner": "cem", "compile": True}, "learned"),
    "grad, 1 Adam step x 2 restarts / learned": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 2}, "learned"),
    "grad, 1 Adam step x 2 restarts / learned, compiled": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 2, "compile": True}, "learned"),
    "grad, 1 Adam step x 8 restarts / learned": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 8}, "learned"),
    "grad, 1 Adam step x 8 restarts / learned, compiled": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 8, "compile": True}, "learned"),
}


def bench_planning(s: BenchSettings) -> dict:

    unknown = set(s.planning_runs) - set(PLANNING_RUNS)
    if unknown:
        raise ValueError(f"no planning run {sorted(unknown)}; known: {', '.join(PLANNING_RUNS)}")
    stored = Path(s.out) / "results" / "planning.json"
    old = json.loads(stored.read_text()) if stored.exists() and s.planning_runs else {}
    rows = dict(old.get("rows", {}))  # rows not re-run are kept
    for task_name in ("point_mass", "reacher"):
        ckpt = Path(f"runs/bench/{task_name}.pt")
        model = load_world_model(ckpt, task=task_name) if ckpt.exists() else train_model(task_name, s.train_steps).model
        task = tasks.load(task_name, seed=s.seed)
        for label, (overrides, kind) in PLANNING_RUNS.items():
            if s.planning_runs and label not in s.planning_runs:
                continue
            m = model if kind == "learned" else OracleModel(task)
            ev = evaluate(task, m, PlanSettings(**overrides), s.episodes, seed=s.seed, progress=False)
            rows[f"{task_name} / {label}"] = ev["summary"]
            print(f"{task_name:10s} {label:50s} {ev['summary']}", flush=True)
    order = [f"{t} / {k}" for t in ("point_mass", "reacher") for k in PLANNING_RUNS]
    return {
        "command": f"mpc-jepa eval --task T --planner P --model learned|oracle [--compile] --episodes {s.episodes} --seed {s.seed}",
        "settings": PlanSettings().__dict__,
        "notes": old.get("notes", []),
        "rows": {k: rows[k] for k in sorted(rows, key=lambda k: order.index(k) if k in order else len(order))},
    }


def bench_peers(s: BenchSettings) -> dict:

    ckpt = Path("runs/bench/point_mass.pt")
    model = load_world_model(ckpt, task="point_mass") if ckpt.exists() else train_model("point_mass", s.train_steps).model
    res = run_peers(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed)
    compiled = run_peers(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed, compiled=True)
    res["rows"].update(compiled["rows"])
    res["command"] = "mpc-jepa bench --sections peers (point_mass JEPA, 20 start/goal pairs, one plan each, horizon 15)"
    return res

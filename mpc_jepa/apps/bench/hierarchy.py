"""Section hierarchy: hierarchical vs flat planning on the tasks with long detours."""

from __future__ import annotations

import json
from pathlib import Path

import tasks
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, evaluate, needs_slow_model
from mpc_jepa.pipeline import ModelPaths, dataset_dir, ensure_models
from mpc_jepa.pipeline.sharding import EvalJob, evaluate_sharded

HIERARCHY_CASES = {  # task: episodes evaluated (models trained by the task's TrainingRecipe)
    "two_room": 50,
    "point_mass": 20,
    "reacher": 20,
    "pendulum": 20,  # swing-up: energy must be pumped first, a long-horizon case without walls
    # maze: two_room's mass in an S of three corridors; outer-corridor paths of 0.6-1.5 m, up to ~190 steps
    "maze": 30,  # 30: its episodes are twice two_room's length
}

HIERARCHY_RUNS = {  # row label: planner settings (overrides of PlanSettings)
    "hierarchical": {"planner": "hierarchical"},  # slow cost: the landmark graph over the metric (default)
    "hierarchical, fast-model verification": {"planner": "hierarchical", "slow_verify": True},  # --slow-verify
    "hierarchical, temporal slow cost": {"planner": "hierarchical", "slow_cost": "temporal"},
    "hierarchical, latent slow cost": {"planner": "hierarchical", "slow_cost": "latent"},
    "flat CEM, graph cost": {"planner": "cem", "goal_metric": "graph"},
    "flat CEM, temporal-distance cost": {"planner": "cem", "goal_metric": "temporal"},
    "flat CEM, temporal-distance cost, 3x samples": {"planner": "cem", "goal_metric": "temporal", "num_samples": 384, "num_elites": 36},
    "flat CEM, temporal-distance cost, 3x horizon": {"planner": "cem", "goal_metric": "temporal", "horizon": 45},
    "flat CEM, 3x samples": {"planner": "cem", "num_samples": 384, "num_elites": 36},
    "flat CEM, 3x horizon": {"planner": "cem", "horizon": 45},
    "flat CEM, default": {"planner": "cem"},
}


def bench_hierarchy(s: BenchSettings) -> dict:
    """Hierarchical vs flat planning at matched model evaluations per control step."""

    unknown = set(s.hierarchy_tasks) - set(HIERARCHY_CASES)
    if unknown:
        raise ValueError(f"no hierarchy case for {sorted(unknown)}; known: {', '.join(HIERARCHY_CASES)}")
    unknown = set(s.hierarchy_runs) - set(HIERARCHY_RUNS)
    if unknown:
        raise ValueError(f"no hierarchy run {sorted(unknown)}; known: {', '.join(HIERARCHY_RUNS)}")
    run = [t for t in HIERARCHY_CASES if not s.hierarchy_tasks or t in s.hierarchy_tasks]
    labels = [k for k in HIERARCHY_RUNS if not s.hierarchy_runs or k in s.hierarchy_runs]
    stored = Path(s.out) / "results" / "hierarchy.json"
    old = json.loads(stored.read_text()) if stored.exists() else {}
    rows = dict(old.get("rows", {}))  # rows not re-run are kept (same machine)
    for name in run:
        eval_eps = HIERARCHY_CASES[name]
        paths = ModelPaths.of_run("bench", f"hier_{name}", dataset=dataset_dir(name, prefix="bench_hier_"))
        _, fast, slow = ensure_models(name, paths, s.train_steps)  # reused (delete runs/bench/hier_* to retrain)
        task = tasks.load(name, seed=s.seed)
        for label in labels:
            ps = PlanSettings(**HIERARCHY_RUNS[label])
            if s.workers > 1:  # episodes shared by processes, one torch thread each (timings differ from one process)
                ev = evaluate_sharded(EvalJob(name, "learned", str(paths.fast), str(paths.slow), "cpu", ps, eval_eps, s.seed), s.workers)
            else:
                ev = evaluate(task, fast, ps, eval_eps, seed=s.seed, progress=False, slow_model=slow if needs_slow_model(ps) else None)
            rows[f"{name} / {label}"] = {**ev["summary"], "workers": s.workers}
            print(f"{name:10s} {label:32s} {ev['summary']}", flush=True)
    order = [f"{t} / {k}" for t in HIERARCHY_CASES for k in HIERARCHY_RUNS]
    return {
        "command": "mpc-jepa train --level fast|slow --task T; mpc-jepa eval --task T --planner hierarchical [--slow-cost temporal|latent] | cem [--goal-metric graph|temporal"
        " | --num-samples 384 | --horizon 45] --seed " + str(s.seed) + " (all: mpc-jepa bench --sections hierarchy --workers 2)",
        "settings": {k: v for k, v in PlanSettings().__dict__.items() if k.startswith("slow_")},
        "notes": old.get("notes", []),
        "rows": {k: rows[k] for k in sorted(rows, key=lambda k: order.index(k) if k in order else len(order))},
    }


# The pixel configurations (README, docs/ARCHITECTURE.md): name -> (episodes collected, collection seed,
# TrainConfig overrides, WorldModelConfig overrides).

"""Section hierarchy: hierarchical vs flat planning on the tasks with long detours."""

from __future__ import annotations

import time

import tasks
from mpc_jepa.apps.bench.common import check_known, ordered, save_section, stored_section
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, evaluate, needs_slow_model
from mpc_jepa.pipeline import ModelPaths, dataset_dir, ensure_models
from mpc_jepa.pipeline.eval_settings import EvalSettings
from mpc_jepa.pipeline.sharding import evaluate_sharded

HIERARCHY_CASES = {  # task: episodes evaluated (models trained by the task's TrainingRecipe)
    "two_room": 50,
    "point_mass": 20,
    "reacher": 20,
    "pendulum": 20,  # swing-up: energy must be pumped first, a long-horizon case without walls
    # maze: two_room's mass in an S of three corridors; outer-corridor paths of 0.6-1.5 m, up
    # to ~190 steps
    "maze": 50,
}

HIERARCHY_RUNS = {  # row label: planner settings (overrides of PlanSettings)
    # the landmark graph's shortest paths as the slow level (planners.landmark; the default)
    "hierarchical, landmark slow level": {"planner": "hierarchical", "slow_level": "landmarks"},
    # slow CEM over the learned slow model; slow cost: the landmark graph over the metric
    "hierarchical, model slow level": {"planner": "hierarchical", "slow_level": "model"},
    "hierarchical, landmark slow level, temporal fast cost": {
        "planner": "hierarchical",
        "slow_level": "landmarks",
        "goal_metric": "temporal",
    },
    # --slow-verify
    "hierarchical, fast-model verification": {
        "planner": "hierarchical",
        "slow_level": "model",
        "slow_verify": True,
    },
    "hierarchical, temporal slow cost": {
        "planner": "hierarchical",
        "slow_level": "model",
        "slow_cost": "temporal",
    },
    "hierarchical, latent slow cost": {
        "planner": "hierarchical",
        "slow_level": "model",
        "slow_cost": "latent",
    },
    "flat CEM, graph cost": {"planner": "cem", "goal_metric": "graph"},
    "flat CEM, temporal-distance cost": {"planner": "cem", "goal_metric": "temporal"},
    "flat CEM, temporal-distance cost, 3x samples": {
        "planner": "cem",
        "goal_metric": "temporal",
        "num_samples": 384,
        "num_elites": 36,
    },
    "flat CEM, temporal-distance cost, 3x horizon": {
        "planner": "cem",
        "goal_metric": "temporal",
        "horizon": 45,
    },
    "flat CEM, 3x samples": {"planner": "cem", "num_samples": 384, "num_elites": 36},
    "flat CEM, 3x horizon": {"planner": "cem", "horizon": 45},
    "flat CEM, default": {"planner": "cem"},
}


def bench_hierarchy(s: BenchSettings) -> dict:
    """Hierarchical vs flat planning; the section is stored after every row (a killed run keeps
    the rows it finished)."""
    run = check_known(s.hierarchy_tasks, HIERARCHY_CASES, "hierarchy case")
    labels = check_known(s.hierarchy_runs, HIERARCHY_RUNS, "hierarchy run")
    old = stored_section(s.out, "hierarchy")
    rows = dict(old.get("rows", {}))  # rows not re-run are kept (same machine)
    order = [f"{t} / {k}" for t in HIERARCHY_CASES for k in HIERARCHY_RUNS]
    command = (
        "mpc-jepa train --level fast|distance|slow --task T; mpc-jepa eval --task T --planner"
        " hierarchical"
        " [--slow-level model [--slow-cost temporal|latent]] | cem [--goal-metric graph|temporal"
        f" | --num-samples 384 | --horizon 45] --seed {s.seed} [--batch N] (all: mpc-jepa bench"
        " --sections hierarchy [--hierarchy-batch N | --workers 2])"
    )

    def payload() -> dict:
        return {
            "command": command,
            "settings": {k: v for k, v in PlanSettings().flags().items() if k.startswith("slow_")},
            "notes": old.get("notes", []),
            "rows": ordered(rows, order),
        }

    for name in run:
        for key, row in _case_rows(name, labels, s):
            rows[key] = row
            save_section(s.out, "hierarchy", payload())
    return payload()


def _case_rows(name: str, labels: list[str], s: BenchSettings):
    """Yield (key, row) for the rows ``labels`` of one task; its models made by its recipe or
    reused (delete runs/bench/hier_<task>* to retrain)."""
    eval_eps = HIERARCHY_CASES[name]
    paths = ModelPaths.of_run(
        "bench", f"hier_{name}", dataset=dataset_dir(name, prefix="bench_hier_")
    )
    runs = {label: PlanSettings.from_flags(**HIERARCHY_RUNS[label]) for label in labels}
    slow_needed = any(needs_slow_model(ps) for ps in runs.values())
    _, fast, distance, slow = ensure_models(name, paths, s.train_steps, slow=slow_needed)
    task = tasks.load(name, seed=s.seed)
    for label, ps in runs.items():
        t0 = time.perf_counter()
        if s.workers > 1:  # episodes shared by processes of one torch thread each
            job = EvalSettings(
                task=name, checkpoint=str(paths.fast), distance_checkpoint=str(paths.distance),
                slow_checkpoint=str(paths.slow), seed=s.seed, episodes=eval_eps,
                batch=s.hierarchy_batch,
            )  # fmt: skip
            ev = evaluate_sharded(job, ps, s.workers)
        else:
            ev = evaluate(
                task, fast, ps, eval_eps, seed=s.seed, progress=False, slow_model=slow,
                distance=distance, batch=s.hierarchy_batch,
            )  # fmt: skip
        wall = time.perf_counter() - t0
        row = {
            **ev["summary"],
            "workers": s.workers,
            "batch": s.hierarchy_batch,
            "wall_seconds": wall,
            "episodes_per_second": eval_eps / wall,
        }
        print(f"{name:10s} {label:32s} {row}", flush=True)
        yield f"{name} / {label}", row

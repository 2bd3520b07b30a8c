"""Sections data, world_model and anti_collapse: datasets, world-model diagnostics, collapse
ablations."""

from __future__ import annotations

import tasks
from mpc_jepa.apps.bench.common import train_model
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.data import collect
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.pipeline import dataset_dir


def bench_data(s: BenchSettings) -> dict:

    rows = {}
    for name in ("point_mass", "two_room", "reacher"):
        ds = collect(
            tasks.load(name, seed=0),
            dataset_dir(name, prefix="bench_"),
            episodes=200,
            seed=0,
            overwrite=True,
            progress=False,
        )
        rows[name] = {
            "coverage_10x10": ds.meta["coverage_10x10"],
            "frames": len(ds),
            "frames_per_second": ds.meta["frames_per_second"],
        }
    ds = collect(
        tasks.load("point_mass", seed=0, pixels=True),
        dataset_dir("point_mass", pixels=True, prefix="bench_"),
        episodes=20,
        seed=0,
        overwrite=True,
        progress=False,
    )
    rows["point_mass (64x64 pixels)"] = {
        "coverage_10x10": ds.meta["coverage_10x10"],
        "frames": len(ds),
        "frames_per_second": ds.meta["frames_per_second"],
    }
    return {
        "command": "mpc-jepa collect --task T --episodes 200 (pixels: --pixels --episodes 20)",
        "rows": rows,
    }


def bench_world_model(s: BenchSettings) -> dict:
    rows = {}
    for task in ("point_mass", "two_room", "reacher"):
        rows[task] = train_model(task, s.train_steps).metrics
    return {"command": f"mpc-jepa train --task T --steps {s.train_steps}", "rows": rows}


ANTI_COLLAPSE = {
    "VICReg var+cov, no EMA, no geometry": dict(
        ema_target=False, var_weight=1.0, cov_weight=1.0, reach_weight=0.0
    ),
    "EMA target only, no geometry": dict(ema_target=True, var_weight=0.0, reach_weight=0.0),
    "VICReg var+cov + EMA, no geometry": dict(
        ema_target=True, var_weight=1.0, cov_weight=1.0, reach_weight=0.0
    ),
    "VICReg var + reach geometry, no EMA": dict(ema_target=False, var_weight=1.0, reach_weight=1.0),
    "default: EMA + VICReg var + reach geometry": dict(),
}


def bench_anti_collapse(s: BenchSettings) -> dict:

    rows = {}
    episodes = max(10, s.episodes // 2)
    for i, (name, over) in enumerate(ANTI_COLLAPSE.items()):
        res = train_model("point_mass", s.train_steps, tag=f"_ablation{i}", **dict(over))
        task = tasks.load("point_mass", seed=s.seed)
        ev = evaluate(
            task, res.model, PlanSettings(planner="cem"), episodes, seed=s.seed, progress=False
        )
        rows[name] = {
            **res.metrics,
            "cem_success": ev["summary"]["success_rate"],
            "cem_final_distance": ev["summary"]["mean_final_distance"],
            "episodes": episodes,
        }
    return {
        "command": f"mpc-jepa train --task point_mass --steps {s.train_steps} [variant flags]; "
        f"mpc-jepa eval --planner cem --episodes {episodes}",
        "rows": rows,
    }

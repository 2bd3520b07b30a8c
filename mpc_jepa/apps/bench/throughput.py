"""Section throughput: episodes per second of one evaluation run sequentially and batched."""

from __future__ import annotations

import time

import tasks
from mpc_jepa.apps.bench.common import bench_model
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, evaluate

BATCHES = (1, 8, 64)
"""Episodes advanced together (1: the sequential run every other section uses)."""
EPISODES = 64


def bench_throughput(s: BenchSettings) -> dict:
    """point_mass, learned iCEM, 64 episodes in one process: sequential vs ``--batch`` 8 and 64;
    the per-episode results of every batched run against the sequential one."""
    model = bench_model("point_mass", s.train_steps)
    task = tasks.load("point_mass", seed=s.seed)
    rows, base = {}, None
    for batch in BATCHES:
        start = time.perf_counter()
        ev = evaluate(
            task,
            model,
            PlanSettings(planner="cem"),
            EPISODES,
            seed=s.seed,
            progress=False,
            batch=batch,
        )
        wall = time.perf_counter() - start
        base = base or (wall, ev["episodes"])
        diff = max(
            abs(a["final_distance"] - b["final_distance"]) for a, b in zip(base[1], ev["episodes"])
        )
        same = all(a["success"] == b["success"] for a, b in zip(base[1], ev["episodes"]))
        rows[f"point_mass, cem / learned, --batch {batch}"] = {
            "episodes": EPISODES,
            "wall_s": wall,
            "episodes_per_second": EPISODES / wall,
            "speedup": base[0] / wall,
            "success_rate": ev["summary"]["success_rate"],
            "same_success_as_sequential": same,
            "max_final_distance_difference": diff,
        }
        print(f"batch {batch}: {rows[f'point_mass, cem / learned, --batch {batch}']}", flush=True)
    command = (
        f"mpc-jepa eval --task point_mass --planner cem --episodes {EPISODES} --seed {s.seed} "
        "--batch N"
    )
    return {"command": command, "rows": rows}

"""Per-plan time, one process, alternating on the same starts: flat CEM on the landmark-graph
cost vs the landmark hierarchy (the default).
Usage: python benchmarks/plan_time_flat_vs_landmarks.py TASK FAST.pt DISTANCE.pt STARTS
(one torch thread; first plans from each start, no warm start)."""

import sys
import time

import numpy as np
import torch

import tasks
from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner
from mpc_jepa.models.checkpoints import load_distance, load_world_model

torch.set_num_threads(1)
task_name, fast_p, distance_p, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
task = tasks.load(task_name, seed=0)
fast = load_world_model(fast_p, task=task_name)
distance = load_distance(distance_p, fast, task=task_name)
runs = {
    "flat CEM, graph cost": PlanSettings.from_flags(planner="cem", goal_metric="graph"),
    "hierarchical (landmarks)": PlanSettings(planner="hierarchical"),
}
built = {
    k: (make_planner(p.planner, fast, p, distance=distance), make_cost(fast, p, distance))
    for k, p in runs.items()
}
times = {k: [] for k in runs}
for i in range(n):
    task.reset(seed=100000 + i)
    with torch.no_grad():
        z0 = fast.encode(torch.as_tensor(task.state_observation())[None])
        zg = fast.encode(torch.as_tensor(task.goal.state)[None])
    for k, (planner, cost) in built.items():
        c = cost.with_goal(zg)
        t0 = time.perf_counter()
        with torch.no_grad():
            planner.plan(z0, c)
        times[k].append(1000 * (time.perf_counter() - t0))
for k, v in times.items():
    print(
        f"{task_name}  {k:28s} median {np.median(v):.1f} ms  mean {np.mean(v):.1f} ms"
        f" per plan ({n} starts)"
    )

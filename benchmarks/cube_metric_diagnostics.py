"""Does the learned temporal distance guide a pick-and-place? Two measurements on OGBench's
cube-single (observation: effector xyz at [12:15], cube xyz at [19:22], both x10 metres).

1. approach share, on dataset episodes: for every 10th episode's first pick-and-place, the share of
   the metric's fall (toward the state 20 steps after the place) that happens in the 30 steps before
   the lift, beside those steps' share of the segment (a metric that tracked steps would match it).
2. closed loop: one evaluation episode (OGBench task 1) of flat CEM on the temporal distance, every
   20 steps the effector-to-cube distance (m) and the metric's and the graph's distance to the goal.

Usage: python benchmarks/cube_metric_diagnostics.py [FAST.pt DISTANCE.pt]
(default: the models of ``runs/ogbench_cube-single-play-v0/``)."""

import sys

import numpy as np
import torch

import tasks
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.models.checkpoints import load_distance, load_world_model

NAME, RUN = "ogbench:cube-single-play-v0", "runs/ogbench_cube-single-play-v0"
EFF, CUBE = slice(12, 15), slice(19, 22)


def approach_share(fast, slow, states, length: int = 1001) -> tuple[float, float, int]:
    """(median share of the metric's fall in the approach, median share of steps, segments)."""
    got, ideal = [], []
    for ep in range(0, len(states) // length, 10):
        s = np.array(states[ep * length : (ep + 1) * length])
        moved = np.linalg.norm(s[:, CUBE] - s[0, CUBE], axis=1) > 0.5  # 5 cm
        lift = int(np.argmax(moved)) - 5
        rest = np.abs(s[lift + 10 :, 21] - 0.2) < 0.01  # back on the table (z = 0.02 m)
        if not moved.any() or lift < 10 or not rest.any():
            continue
        t0, t2 = max(0, lift - 30), min(lift + 10 + int(np.argmax(rest)) + 20, length - 1)
        with torch.no_grad():
            z = fast.encode(torch.as_tensor(s[[t0, lift, t2]]))
            d = slow.metric.distance(z, z[2:3].expand(3, -1)).numpy()
        if d[0] > d[2]:
            got.append((d[0] - d[1]) / (d[0] - d[2]))
            ideal.append((lift - t0) / (t2 - t0))
    return float(np.median(got)), float(np.median(ideal)), len(got)


def closed_loop_trace(fast, slow) -> list[tuple]:
    """(step, effector-cube m, metric, graph) every 20 steps of one flat-CEM episode."""
    task, log = tasks.load(NAME, seed=0), []
    step = task.step

    def logged_step(action):
        obs = step(action)
        s = obs["state"]
        with torch.no_grad():
            z = fast.encode(torch.as_tensor(np.stack([s, task.goal.state])))  # [2, D]
            d, dg = slow.metric.distance(z[:1], z[1:]), slow.graph.distance(z[:1], z[1:])
        log.append((np.linalg.norm(s[EFF] - s[CUBE]) / 10, float(d), float(dg)))
        return obs

    task.step = logged_step
    ps = PlanSettings.from_flags(planner="cem", goal_metric="temporal")
    evaluate(task, fast, ps, episodes=1, seed=100000, progress=False, distance=slow)
    return [(t, *log[t]) for t in range(0, len(log), 20)]


if __name__ == "__main__":
    torch.set_num_threads(1)
    fast_p, slow_p = (
        sys.argv[1:3] if len(sys.argv) > 2 else (f"{RUN}/world_model.pt", f"{RUN}/distance.pt")
    )
    fast = load_world_model(fast_p, task=NAME)
    slow = load_distance(slow_p, fast, task=NAME)  # the learned distance (metric, graph)
    states = np.load("data/ogbench_cube-single-play-v0/states.npy", mmap_mode="r")
    got, ideal, n = approach_share(fast, slow, states)
    print(
        f"approach share of the metric's fall: median {got:.2f} over {n} segments "
        f"(of steps: {ideal:.2f})"
    )
    for t, reach, d, dg in closed_loop_trace(fast, slow):
        print(f"step {t:3d}  effector-cube {reach:.3f} m  metric {d:.2f}  graph {dg:.2f}")

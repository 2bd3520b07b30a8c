"""Probe: a goal-conditioned actor pi(z, z_g) on cube-single, trained by advantage-weighted
regression on the temporal metric (GCIVL's actor, over our JEPA latents), run alone in the loop.

    python benchmarks/cube_policy_probe.py [--alpha 3] [--steps 20000] [--episodes 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import tasks
from mpc_jepa.data import Dataset, embed_rows, episode_ends
from mpc_jepa.models.checkpoints import load_distance, load_world_model
from mpc_jepa.models.encoders import mlp

NAME = "ogbench:cube-single-play-v0"
RUN = "runs/ogbench_cube-single-play-v0"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--alpha", type=float, default=3.0)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--episodes", type=int, default=2)
    p.add_argument("--batch", type=int, default=1024)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    fast = load_world_model(f"{RUN}/world_model.pt")
    metric = load_distance(f"{RUN}/distance.pt", fast).metric
    ds = Dataset(f"data/{NAME.replace(':', '_')}")
    t0 = time.time()
    z = embed_rows(fast, ds)  # [N, D]
    acts = torch.as_tensor(np.asarray(ds["actions"]), dtype=torch.float32)
    end = episode_ends(ds.episode_starts)  # [N]
    rows = np.flatnonzero(np.arange(len(ds)) < end)
    print(f"embedded {len(ds)} rows in {time.time() - t0:.0f}s")
    D, A = z.shape[1], acts.shape[1]
    actor = mlp(2 * D, 512, A, 3)
    opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    t0 = time.time()
    for step in range(a.steps):
        i = rng.choice(rows, a.batch)
        g = rng.integers(i + 1, end[i] + 1)  # uniform future of the same episode
        zi, zn, zg = z[i], z[i + 1], z[g]
        with torch.no_grad():
            adv = (metric.distance(zi, zg) - metric.distance(zn, zg)) / metric.step_scale
            w = torch.exp(a.alpha * adv).clamp(max=100.0)
        pred = torch.tanh(actor(torch.cat([zi, zg], -1)))
        loss = (w * (pred - acts[i]).pow(2).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 2000 == 0:
            print(
                f"step {step} loss {loss.item():.3f} adv mean {adv.mean():.2f} "
                f"w mean {w.mean():.2f} {time.time() - t0:.0f}s",
                flush=True,
            )
    actor.eval()
    task = tasks.load(NAME, seed=0)
    wins = []
    for task_id in range(5):
        for e in range(a.episodes):
            obs = task.reset(seed=100000 + task_id + 5 * e)
            with torch.no_grad():
                zgoal = fast.encode(torch.as_tensor(task.goal.state)[None])
            for _ in range(task.episode_length):
                with torch.no_grad():
                    z_now = fast.encode(torch.as_tensor(obs["state"])[None])
                    act = torch.tanh(actor(torch.cat([z_now, zgoal], -1)))[0].numpy()
                obs = task.step(act)
                if task.success():
                    break
            wins.append(task.success())
            print(
                f"task {task.task_id} episode {e}: {'success' if wins[-1] else 'fail'} "
                f"distance {task.distance():.3f}",
                flush=True,
            )
    print(f"success {np.mean(wins):.0%} of {len(wins)}")


if __name__ == "__main__":
    main()

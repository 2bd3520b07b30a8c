"""two_room diagnostics: does a world model know the wall? (issue 5's failure analysis)

- ``geodesic_rank_correlation``: Spearman of latent distance vs shortest-path (through the door)
  and vs straight-line distance over random pairs of dataset states at rest. A latent space made
  for planning should follow the path length; a Euclidean-like one makes the wall cheap to "cross".
- ``wall_leak``: the fraction of open-loop rollouts, pushing into the dividing wall from beside it,
  that the model predicts on the wrong side after k steps (probed positions vs the true physics).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from mpc_jepa.data import Dataset
from mpc_jepa.diagnostics import physical_probe


@torch.no_grad()
def geodesic_rank_correlation(model, dataset: Dataset, num_rows: int = 3000, num_pairs: int = 20000, seed: int = 0) -> dict:
    """Spearman(latent distance, geodesic) and Spearman(latent distance, Euclidean), on all pairs
    and on pairs in different rooms. The states are taken at rest (velocity 0), as goals are."""
    from tasks.two_room import geodesic_distance

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(dataset), size=min(num_rows, len(dataset)), replace=False)
    states = torch.as_tensor(np.asarray(dataset["states"])[rows]).float()
    states[:, 2:] = 0
    z = model.encode(states).cpu().numpy()
    p = np.asarray(dataset["physical"])[rows]
    i, j = rng.integers(0, len(rows), num_pairs), rng.integers(0, len(rows), num_pairs)
    dz, dg, de = np.linalg.norm(z[i] - z[j], axis=1), geodesic_distance(p[i], p[j]), np.linalg.norm(p[i] - p[j], axis=1)
    cross = np.sign(p[i, 0]) != np.sign(p[j, 0])
    rho = lambda a, b: float(spearmanr(a, b).statistic)  # noqa: E731
    return {
        "spearman_geodesic": rho(dz, dg),
        "spearman_euclidean": rho(dz, de),
        "cross_room_spearman_geodesic": rho(dz[cross], dg[cross]),
        "cross_room_spearman_euclidean": rho(dz[cross], de[cross]),
    }


@torch.no_grad()
def wall_leak(model, dataset: Dataset, steps=(8, 16, 32), per_band: int = 60, seed: int = 0) -> dict:
    """Push into the dividing wall from 3-6 cm beside it, for max(steps) steps, in three bands of y
    (bottom corner, middle, top corner). Returns {band: {k: fraction predicted on the wrong side}}."""
    import tasks

    task = tasks.load("two_room", seed=seed)
    probe = physical_probe(model, dataset)
    rng = np.random.default_rng(seed)
    horizon = max(steps)
    out = {}
    for band, (lo, hi) in {"bottom": (-0.28, -0.15), "middle": (-0.15, 0.05), "top": (0.22, 0.28)}.items():
        starts, actions, sides = [], [], []
        for _ in range(per_band):
            side = rng.choice([-1.0, 1.0])
            task.reset(seed=int(rng.integers(2**31)))
            task.set_position(np.array([side * rng.uniform(0.03, 0.06), rng.uniform(lo, hi)]))
            a = np.array([-side, rng.uniform(-0.5, 0.5)])  # toward the wall, with some slide along it
            starts.append(task.state_observation())
            xs = [task.step(a)["state"][0] for _ in range(horizon)]
            actions.append(np.repeat(a[None], horizon, 0))
            sides.append(np.sign(xs))
        z = model.rollout(model.encode(torch.as_tensor(np.array(starts)).float()), torch.as_tensor(np.array(actions)).float())
        x_pred = probe(z.cpu().numpy())[..., 0]  # [n, horizon + 1]
        sides = np.array(sides)  # [n, horizon], true side after step t+1
        out[band] = {k: float(np.mean(np.sign(x_pred[:, k]) != sides[:, k - 1])) for k in steps}
    return out

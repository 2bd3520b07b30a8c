"""two_room and maze diagnostics: does a world model know the walls? (issue 5's failure analysis)

- ``geodesic_rank_correlation``: Spearman of latent distance vs shortest-path (through the door)
  and vs straight-line distance over random pairs of dataset states at rest (or the same for the
  learned temporal distance). A latent space made for planning should follow the path length; a
  Euclidean-like one makes the wall cheap to "cross".
- ``wall_leak``: the fraction of open-loop rollouts, pushing into the dividing wall from beside it,
  that the model predicts on the wrong side after k steps (probed positions vs the true physics).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from mpc_jepa.data import Dataset
from mpc_jepa.diagnostics import physical_probe

_LONG = 0.8  # m: pairs farther apart than this along the shortest path are "long" (maze: two bends)


@torch.no_grad()
def geodesic_rank_correlation(
    model, dataset: Dataset, num_rows: int = 3000, num_pairs: int = 20000, seed: int = 0, task: str = "two_room", metric=None
) -> dict:
    """Spearman(distance, geodesic) and Spearman(distance, Euclidean), on all pairs, on pairs in
    different rooms (two_room) or corridors (maze), and on pairs over ``_LONG`` apart along the path.
    The distance is the latent norm, or ``metric``'s (a ``TemporalDistance`` or ``LandmarkGraph``) when given.
    The states are taken at rest (velocity 0), as goals are. task: "two_room" or "maze"."""
    import importlib

    layout = {"two_room": "room_of", "maze": "corridor_of"}
    if task not in layout:
        raise ValueError(f"geodesic_rank_correlation: task must be one of {sorted(layout)}, got {task!r}")
    module = importlib.import_module(f"tasks.{task}")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(dataset), size=min(num_rows, len(dataset)), replace=False)
    states = torch.as_tensor(np.asarray(dataset["states"])[rows]).float()
    states[:, 2:] = 0
    z = model.encode(states)
    p = np.asarray(dataset["physical"])[rows]
    i, j = rng.integers(0, len(rows), num_pairs), rng.integers(0, len(rows), num_pairs)
    if metric is None:
        dz = (z[i] - z[j]).norm(dim=-1).cpu().numpy()
    else:
        dz = metric.distance(z[i], z[j]).cpu().numpy()
    dg, de = module.geodesic_distance(p[i], p[j]), np.linalg.norm(p[i] - p[j], axis=1)
    cross = getattr(module, layout[task])(p[i]) != getattr(module, layout[task])(p[j])
    long = dg > _LONG
    rho = lambda a, b: float(spearmanr(a, b).statistic) if len(a) > 2 else float("nan")  # noqa: E731
    return {
        "spearman_geodesic": rho(dz, dg),
        "spearman_euclidean": rho(dz, de),
        "cross_room_spearman_geodesic": rho(dz[cross], dg[cross]),
        "cross_room_spearman_euclidean": rho(dz[cross], de[cross]),
        "long_spearman_geodesic": rho(dz[long], dg[long]),
        "long_pairs": int(long.sum()),
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

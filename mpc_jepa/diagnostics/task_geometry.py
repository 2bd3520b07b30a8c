"""Does a world model know the obstacles? Diagnostics for every task with a path geometry.

They read the task object (``Task.geodesic_distance``, ``region_of``, ``at_rest``,
``leak_probes``), never a task module by name, so a new task with walls gets them by providing
those methods.

- ``geodesic_rank_correlation``: Spearman of latent distance vs shortest-path and vs straight-line
  distance over random pairs of dataset states at rest (or the same for a learned distance). A
  latent space made for planning should follow the path length; a Euclidean-like one makes a wall
  cheap to "cross".
- ``wall_leak``: the fraction of open-loop rollouts, pushing into a wall from beside it, that the
  model predicts in the wrong region after k steps (probed positions vs the true physics).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from mpc_jepa.data import Dataset
from mpc_jepa.diagnostics.world_model import physical_probe

LONG_PATH = 0.8
"""Pairs farther apart than this along the shortest path (task units) count as "long"."""


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    return float(spearmanr(a, b).statistic) if len(a) > 2 else None


@torch.no_grad()
def geodesic_rank_correlation(
    model,
    dataset: Dataset,
    task,
    num_rows: int = 3000,
    num_pairs: int = 20000,
    seed: int = 0,
    metric=None,
) -> dict:
    """Spearman(distance, geodesic) and Spearman(distance, Euclidean): on all pairs, on pairs in
    different regions of ``task`` and on pairs over ``LONG_PATH`` apart along the path.

    The distance is the latent norm, or ``metric.distance`` (a ``TemporalDistance`` or
    ``LandmarkGraph``) when given. States are taken at rest (``task.at_rest``), as goals are.
    A correlation over fewer than three pairs is None.
    """
    if not task.has_geometry:
        raise ValueError(
            f"geodesic_rank_correlation needs a task with a path geometry, got {task.name!r}"
        )
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(dataset), size=min(num_rows, len(dataset)), replace=False)
    states = torch.as_tensor(task.at_rest(np.asarray(dataset["states"])[rows])).float()
    z = model.encode(states)  # [R, D]
    p = np.asarray(dataset["physical"])[rows]  # [R, P]
    i, j = rng.integers(0, len(rows), num_pairs), rng.integers(0, len(rows), num_pairs)
    if metric is None:
        dz = (z[i] - z[j]).norm(dim=-1).cpu().numpy()
    else:
        dz = metric.distance(z[i], z[j]).cpu().numpy()
    dg, de = task.geodesic_distance(p[i], p[j]), np.linalg.norm(p[i] - p[j], axis=1)
    cross = task.region_of(p[i]) != task.region_of(p[j])
    long = dg > LONG_PATH
    return {
        "spearman_geodesic": _spearman(dz, dg),
        "spearman_euclidean": _spearman(dz, de),
        "cross_room_spearman_geodesic": _spearman(dz[cross], dg[cross]),
        "cross_room_spearman_euclidean": _spearman(dz[cross], de[cross]),
        "long_spearman_geodesic": _spearman(dz[long], dg[long]),
        "long_pairs": int(long.sum()),
    }


@torch.no_grad()
def wall_leak(
    model, dataset: Dataset, task, steps=(8, 16, 32), per_band: int = 60, seed: int = 0
) -> dict:
    """Run ``task.leak_probes`` (starts beside a wall, actions pushing into it) for max(steps)
    steps in the true physics and open loop through ``model``. Returns {band: {k: fraction of
    probes whose predicted position (linear probe) is in another region than the true one}}."""
    probe = physical_probe(model, dataset)
    rng = np.random.default_rng(seed)
    horizon = max(steps)
    out = {}
    for band, probes in task.leak_probes(rng, per_band).items():
        starts, actions, regions = [], [], []
        for xy, action in probes:
            task.reset(seed=int(rng.integers(2**31)))
            task.set_position(xy)
            starts.append(task.state_observation())
            regions.append([task.region_of(task.step(action)["state"][:2]) for _ in range(horizon)])
            actions.append(np.repeat(action[None], horizon, 0))
        z0 = model.encode(torch.as_tensor(np.array(starts)).float())
        z = model.rollout(z0, torch.as_tensor(np.array(actions)).float())  # [n, horizon + 1, D]
        predicted = task.region_of(probe(z.cpu().numpy()))  # [n, horizon + 1]
        regions = np.array(regions)  # [n, horizon], true region after step t+1
        out[band] = {k: float(np.mean(predicted[:, k] != regions[:, k - 1])) for k in steps}
    return out

"""Fit the object readout (``models.object_readout``) over a trained fast model: a ridge map from
its latent to the objects' dimensions the data shows (``goal_actor.slot_dims``: at rest in most
steps, not a switch; the same dimensions an object slot keeps)."""

from __future__ import annotations

import numpy as np
import torch

from mpc_jepa.data import Dataset, embed_rows
from mpc_jepa.models.goal_actor import slot_dims
from mpc_jepa.models.object_readout import ObjectReadout


def fit_object_readout(
    model, dataset: Dataset, rows: np.ndarray, lam: float = 1e-3, device="cpu"
) -> tuple[ObjectReadout | None, dict]:
    """Fit the readout on dataset ``rows`` (the object dims found over the whole dataset); returns
    it and its fit: the number of object dims, their mean and least R^2 on the rows' last tenth,
    held out of the fit. (None, {})
    when the data shows no object dimension (an agent alone: every dimension moves)."""
    states = torch.as_tensor(np.array(dataset["states"]))  # a copy: the file is read-only
    dims = slot_dims(states, torch.as_tensor(np.array(dataset.episode_starts)))
    if not bool(dims.any()):
        return None, {}
    rows = np.asarray(rows)
    z = embed_rows(model, dataset, rows, device).cpu().double()
    y = states[rows][:, dims].double()
    cut = int(0.9 * len(rows))
    z1 = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], 1)
    fit = z1[:cut]
    w = torch.linalg.solve(
        fit.T @ fit + lam * torch.eye(fit.shape[1], dtype=z.dtype), fit.T @ y[:cut]
    )
    resid = (z1[cut:] @ w - y[cut:]).pow(2).sum(0)
    total = (y[cut:] - y[cut:].mean(0)).pow(2).sum(0).clamp_min(1e-12)
    r2 = 1 - resid / total
    fit_metrics = {"object_dims": float(dims.sum()), "object_r2_mean": r2.mean().item(),
                   "object_r2_min": r2.min().item()}  # fmt: skip
    return ObjectReadout(w, dims, y.std(0)), fit_metrics

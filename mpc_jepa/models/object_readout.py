"""Which way are the objects going? A readout of the objects' dimensions off the JEPA latent.

A goal observation hands out the whole scene, the arm's pose included; OGBench's goals carry an
arbitrary arm pose, so a latent distance to the goal pulls the arm toward a pose the task never
asks for. The objects are what a manipulation goal is about. Which dimensions they occupy is
learned from the data (``goal_actor.object_dims``: at rest in most steps), and a ridge map from
the fast model's latent to those dimensions (standardised by the data's spread), fit on the
dataset's rows after the model is trained, reads them off predicted latents: the cost
``--goal-metric objects`` compares the readout of the plan's latents with the goal's. The model
is untouched (a frozen readout, not a reconstruction loss).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from mpc_jepa.data import Dataset, embed_rows
from mpc_jepa.models.goal_actor import object_dims


class ObjectReadout(nn.Module):
    """latents [..., D] -> the object dimensions [..., K], each divided by its spread in the data.

    Args:
        weight: [D + 1, K] ridge weights (bias last).
        dims: bool [O], the observation's object dimensions (K of them).
        scale: [K] their standard deviations in the data.
    """

    def __init__(self, weight: Tensor, dims: Tensor, scale: Tensor):
        super().__init__()
        k = int(dims.sum())
        if weight.ndim != 2 or weight.shape[1] != k or scale.shape != (k,):
            raise ValueError(
                f"need weight [D + 1, {k}] and scale [{k}] for {k} object dims, got "
                f"{list(weight.shape)} and {list(scale.shape)}"
            )
        self.register_buffer("weight", weight.float())
        self.register_buffer("dims", dims.bool())
        self.register_buffer("scale", scale.float().clamp_min(1e-6))

    def forward(self, z: Tensor) -> Tensor:
        """[..., D] -> [..., K]."""
        return (z @ self.weight[:-1] + self.weight[-1]) / self.scale

    def state(self) -> dict:
        """What a checkpoint stores (``ObjectReadout(**state)`` rebuilds it)."""
        return {"weight": self.weight.cpu(), "dims": self.dims.cpu(), "scale": self.scale.cpu()}


def fit_object_readout(
    model, dataset: Dataset, rows: np.ndarray, lam: float = 1e-3, device="cpu"
) -> tuple[ObjectReadout | None, dict]:
    """Fit the readout on dataset ``rows`` (the object dims found over the whole dataset); returns
    it and its fit: the number of object dims, their mean and least R^2 on the rows' last tenth,
    held out of the fit. (None, {})
    when the data shows no object dimension (an agent alone: every dimension moves)."""
    states = torch.as_tensor(np.array(dataset["states"]))  # a copy: the file is read-only
    dims = object_dims(states, torch.as_tensor(np.array(dataset.episode_starts)))
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

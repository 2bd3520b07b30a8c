"""The one dataset embedder: every row (or chosen rows) through a frozen encoder."""

from __future__ import annotations

import numpy as np
import torch

from mpc_jepa.data.dataset import Dataset
from mpc_jepa.data.observations import history_of, history_rows, obs_key, obs_tensor


@torch.no_grad()
def embed_rows(
    model, dataset: Dataset, rows: np.ndarray | None = None, device="cpu", chunk: int = 4096
) -> torch.Tensor:
    """Embeddings [n, D] (float32, on ``device``) of dataset ``rows`` [n] (default: every row).

    Pixel models with a history of h frames see each row's h-frame history, clamped at its
    episode's start (the first frame repeated), exactly as ``control.FrameStack`` shows a
    controller an episode's first steps.
    """
    key, h = obs_key(model), history_of(model)
    rows = np.arange(len(dataset)) if rows is None else np.asarray(rows)
    data = dataset[key]
    out = []
    for i in range(0, len(rows), chunk):
        r = rows[i : i + chunk]
        if h == 1:
            obs = obs_tensor(model, np.asarray(data[r]), device)
        else:
            idx = history_rows(dataset, r, h)  # [n, h]
            # [n, h, H, W, 3]
            frames = np.asarray(data[idx.ravel()]).reshape(*idx.shape, *data.shape[1:])
            obs = obs_tensor(model, frames, device)[:, 0]  # [n, 3h, H, W]
        out.append(model.encode(obs).float())
    if not out:
        return torch.zeros(0, model.latent_dim, device=device)
    return torch.cat(out)

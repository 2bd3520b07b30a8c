"""World-model diagnostics: open-loop prediction vs the copy baseline, collapse, probes, geometry."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from mpc_jepa.data import Dataset, WindowSampler
from mpc_jepa.models.losses import effective_rank

HORIZONS = (1, 5, 10, 20)


def _obs_key(model) -> str:
    return "pixels" if len(model.obs_shape) == 3 else "states"


def obs_tensor(model, array: np.ndarray, device="cpu") -> torch.Tensor:
    """Dataset rows -> encoder input: states as float32; pixels [.., H, W, 3] -> [.., 3*history, H, W]."""
    x = torch.as_tensor(np.asarray(array), device=device)
    if _obs_key(model) == "pixels":
        x = x.movedim(-1, -3)  # [..., 3, H, W]
        history = model.obs_shape[0] // 3
        if history > 1:
            raise ValueError("frame-history diagnostics go through the pixel pipeline (issue 7)")
        return x
    return x.float()


@torch.no_grad()
def prediction_errors(model, dataset: Dataset, episodes: np.ndarray, horizons=HORIZONS, num_windows: int = 512, seed: int = 0, device="cpu") -> dict:
    """Open-loop latent prediction MSE at each horizon k, and its ratio to the copy baseline z_{t+k} ~ z_t."""
    kmax = max(horizons)
    sampler = WindowSampler(dataset, kmax, episodes, keys=(_obs_key(model),))
    rng = np.random.default_rng(seed)
    batch = sampler.windows(rng.choice(sampler.starts, size=min(num_windows, len(sampler)), replace=False))
    obs = obs_tensor(model, batch[_obs_key(model)], device)  # [B, K+1, *O]
    z = model.encoder(obs)  # [B, K+1, D]
    pred = model.rollout(z[:, 0], torch.as_tensor(batch["actions"], device=device).float())  # [B, K+1, D]
    out = {}
    for k in horizons:
        mse = (pred[:, k] - z[:, k]).pow(2).sum(-1).mean().item()
        copy = (z[:, 0] - z[:, k]).pow(2).sum(-1).mean().item()
        out[f"pred_mse_h{k}"] = mse
        out[f"copy_mse_h{k}"] = copy
        out[f"pred_ratio_h{k}"] = mse / max(copy, 1e-12)
    return out


def _ridge_r2(x_tr, y_tr, x_te, y_te, lam=1e-3) -> float:
    x_tr1 = np.c_[x_tr, np.ones(len(x_tr))]
    x_te1 = np.c_[x_te, np.ones(len(x_te))]
    w = np.linalg.solve(x_tr1.T @ x_tr1 + lam * np.eye(x_tr1.shape[1]), x_tr1.T @ y_tr)
    resid = ((x_te1 @ w - y_te) ** 2).sum(0)
    total = ((y_te - y_te.mean(0)) ** 2).sum(0)
    return float(np.mean(1 - resid / np.maximum(total, 1e-12)))


@torch.no_grad()
def embed_rows(model, dataset: Dataset, rows: np.ndarray, device="cpu", chunk: int = 4096) -> np.ndarray:
    """Embeddings [len(rows), D] of dataset rows."""
    key = _obs_key(model)
    out = [model.encoder(obs_tensor(model, dataset[key][rows[i : i + chunk]], device)).cpu().numpy() for i in range(0, len(rows), chunk)]
    return np.concatenate(out)


def geometry_report(model, dataset: Dataset, train_eps, val_eps, num_rows: int = 4000, seed: int = 0, device="cpu") -> dict:
    """Collapse check (per-dimension std, effective rank), a linear probe to the physical goal
    quantity (R^2), and the rank correlation of latent vs physical distance over random pairs."""
    rng = np.random.default_rng(seed)

    def rows_of(eps):
        rows = np.concatenate([np.arange(dataset.episode_starts[e], dataset.episode_starts[e + 1]) for e in eps])
        return np.sort(rng.choice(rows, size=min(num_rows, len(rows)), replace=False))

    tr, te = rows_of(train_eps), rows_of(val_eps)
    z_tr, z_te = embed_rows(model, dataset, tr, device), embed_rows(model, dataset, te, device)
    p_tr, p_te = np.asarray(dataset["physical"][tr]), np.asarray(dataset["physical"][te])
    std = z_te.std(0)
    i, j = rng.integers(len(te), size=(2, 4000))
    dz = np.linalg.norm(z_te[i] - z_te[j], axis=1)
    dp = np.linalg.norm(p_te[i] - p_te[j], axis=1)
    return {
        "std_min_over_mean": float(std.min() / max(std.mean(), 1e-12)),
        "std_mean": float(std.mean()),
        "effective_rank": effective_rank(torch.as_tensor(z_te)),
        "latent_dim": int(z_te.shape[1]),
        "probe_r2": _ridge_r2(z_tr, p_tr, z_te, p_te),
        "distance_spearman": float(spearmanr(dz, dp).statistic) if dz.std() > 0 else 0.0,
    }


def collapsed(report: dict, threshold: float = 0.1) -> bool:
    """True when some embedding dimension's std is below ``threshold`` x the mean std, or all ~0."""
    return report["std_min_over_mean"] < threshold or report["std_mean"] < 1e-6

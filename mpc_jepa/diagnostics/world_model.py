"""World-model diagnostics: open-loop prediction vs the copy baseline, collapse, probes,
geometry."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from mpc_jepa.data import Dataset, WindowSampler, embed_rows, history_of, obs_key, obs_tensor
from mpc_jepa.models.losses import effective_rank

HORIZONS = (1, 5, 10, 20)


@torch.no_grad()
def prediction_errors(
    model,
    dataset: Dataset,
    episodes: np.ndarray,
    horizons=HORIZONS,
    num_windows: int = 512,
    seed: int = 0,
    device="cpu",
) -> dict:
    """Open-loop latent prediction MSE at each horizon k, and its ratio to the copy baseline z_{t+k}
    ~ z_t."""
    kmax, h = max(horizons), history_of(model)
    # h-1 frames of history first
    sampler = WindowSampler(dataset, kmax + h - 1, episodes, keys=(obs_key(model),))
    rng = np.random.default_rng(seed)
    batch = sampler.windows(
        rng.choice(sampler.starts, size=min(num_windows, len(sampler)), replace=False)
    )
    obs = obs_tensor(model, batch[obs_key(model)], device)  # [B, K+1, *O]
    z = model.encoder(obs)  # [B, K+1, D]
    # [B, K+1, D]
    pred = model.rollout(
        z[:, 0], torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float()
    )
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


def physical_probe(model, dataset: Dataset, num_rows: int = 4000, seed: int = 0, lam: float = 1e-3):
    """A ridge-regression probe latent -> physical quantity, fit on dataset rows, for plots only
    (subgoals on a map). Returns f: [..., D] array -> [..., P] array."""
    rows = np.sort(
        np.random.default_rng(seed).choice(
            len(dataset), size=min(num_rows, len(dataset)), replace=False
        )
    )
    z = embed_rows(model, dataset, rows).cpu().numpy()
    z1 = np.c_[z, np.ones(len(z))]
    w = np.linalg.solve(
        z1.T @ z1 + lam * np.eye(z1.shape[1]), z1.T @ np.asarray(dataset["physical"])[rows]
    )
    return lambda x: np.concatenate([np.asarray(x), np.ones((*np.shape(x)[:-1], 1))], -1) @ w


def geometry_report(
    model, dataset: Dataset, train_eps, val_eps, num_rows: int = 4000, seed: int = 0, device="cpu"
) -> dict:
    """Collapse check (per-dimension std, effective rank), a linear probe to the physical goal
    quantity (R^2), and the rank correlation of latent vs physical distance over random pairs."""
    rng = np.random.default_rng(seed)

    def rows_of(eps):
        rows = dataset.rows(eps)
        return np.sort(rng.choice(rows, size=min(num_rows, len(rows)), replace=False))

    tr, te = rows_of(train_eps), rows_of(val_eps)
    z_tr = embed_rows(model, dataset, tr, device).cpu().numpy()
    z_te = embed_rows(model, dataset, te, device).cpu().numpy()
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


def format_report(metrics: dict) -> str:
    """A short human-readable diagnostics table."""
    lines = ["horizon  pred/copy"]
    for k in HORIZONS:
        if f"pred_ratio_h{k}" in metrics:
            lines.append(f"{k:7d}  {metrics[f'pred_ratio_h{k}']:.3f}")
    lines.append(
        f"std min/mean {metrics['std_min_over_mean']:.2f}  "
        f"effective rank {metrics['effective_rank']:.1f}/{metrics['latent_dim']}  "
        f"probe R^2 {metrics['probe_r2']:.3f}  "
        f"latent-vs-physical distance Spearman {metrics['distance_spearman']:.2f}  "
        f"collapsed={metrics['collapsed']}"
    )
    return "\n".join(lines)


def report(model, dataset, train_eps, val_eps, device="cpu") -> dict:
    """Held-out prediction errors by horizon (vs copy) and the geometry / collapse report."""
    length = int(np.min(np.diff(dataset.episode_starts)))
    horizons = tuple(h for h in HORIZONS if h < length)
    out = prediction_errors(model, dataset, val_eps, horizons=horizons, device=device)
    out.update(geometry_report(model, dataset, train_eps, val_eps, device=device))
    out["collapsed"] = collapsed(out)
    return out

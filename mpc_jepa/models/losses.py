"""Training losses: latent prediction, anti-collapse (VICReg), and the reachability geometry."""

from __future__ import annotations

import torch
from torch import Tensor


def vicreg_variance(z: Tensor, gamma: float = 1.0, eps: float = 1e-4) -> Tensor:
    """Hinge on each dimension's std: mean(relu(gamma - std)). z: [N, D] -> scalar."""
    std = torch.sqrt(z.var(dim=0) + eps)
    return torch.relu(gamma - std).mean()


def vicreg_covariance(z: Tensor) -> Tensor:
    """Sum of squared off-diagonal covariances / D. z: [N, D] -> scalar."""
    n, d = z.shape
    zc = z - z.mean(dim=0)
    cov = (zc.T @ zc) / max(n - 1, 1)  # [D, D]
    off = cov - torch.diag(torch.diag(cov))
    return off.pow(2).sum() / d


def reach_local(z: Tensor, step: float) -> Tensor:
    """Local constraint of the reachability geometry: one transition moves at most ``step``.

    z: [B, T+1, D] consecutive embeddings -> scalar mean(relu(|z_{t+1} - z_t| - step)^2) / step^2.
    """
    d = (z[:, 1:] - z[:, :-1]).norm(dim=-1)  # [B, T]
    return (torch.relu(d - step) / step).pow(2).mean()


def reach_spread(z: Tensor, step: float, horizon: float) -> Tensor:
    """Global term: push random pairs apart, up to ``horizon`` steps (concave, saturating).

    Maximising the distance between random pairs subject to the local constraint makes the
    Euclidean latent distance approach the number of steps needed to go from one to the other
    (the shortest-path dual, as in quasimetric RL). z: [N, D] -> scalar (to minimise).
    """
    perm = torch.roll(torch.arange(z.shape[0], device=z.device), 1)
    d = (z - z[perm]).norm(dim=-1) / step  # [N], in steps
    return -(horizon * torch.tanh(d / horizon)).mean() / horizon


def effective_rank(z: Tensor) -> float:
    """exp(entropy) of the normalised singular values of centred embeddings [N, D]."""
    s = torch.linalg.svdvals(z - z.mean(dim=0))
    p = s / s.sum().clamp_min(1e-12)
    return float(torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()))

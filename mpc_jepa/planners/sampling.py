"""Helpers shared by the sampling planners: coloured noise, clamping, evaluation, elites."""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from mpc_jepa.types import CostFn, Plan


def colored_noise(
    num: int,
    horizon: int,
    action_dim: int,
    beta: float,
    generator: torch.Generator,
    device,
    dtype=torch.float32,
) -> Tensor:
    """Unit-variance Gaussian noise with power spectrum 1/f^beta along time: [num, T, A].

    beta = 0 is white noise; iCEM uses beta ~ 2-3 (smooth, low-frequency action sequences).
    """
    if beta == 0 or horizon == 1 or num == 0:  # (the FFT backend rejects an empty batch)
        return torch.randn(
            num, horizon, action_dim, generator=generator, device=device, dtype=dtype
        )
    freqs = torch.fft.rfftfreq(horizon, device=device)  # [F], F = T // 2 + 1
    freqs[0] = freqs[1]  # the constant component gets the lowest frequency's (largest) scale
    scale = freqs.pow(-beta / 2)  # [F]
    re = torch.randn(num, action_dim, len(freqs), generator=generator, device=device)
    im = torch.randn(num, action_dim, len(freqs), generator=generator, device=device)
    # irfft keeps only the real part of the constant bin (and of the Nyquist bin for even T):
    # scale it
    # by sqrt(2) so those bins carry the power 1/f^beta gives them (without it, constant action
    # sequences, which goal reaching often wants, got half their share: iCEM's cost was ~5% worse)
    real_only = [0] + ([len(freqs) - 1] if horizon % 2 == 0 else [])
    re[..., real_only] *= 2**0.5
    x = torch.fft.irfft(torch.complex(re, im) * scale, n=horizon)  # [num, A, T]
    x = x / x.std().clamp_min(1e-8)  # unit variance over the whole sample (not per sequence)
    return x.transpose(1, 2).to(dtype).contiguous()  # [num, T, A]


def make_generator(seed: int, device) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


class SeededPlanner:
    """Mixin: a noise generator seeded from ``config.seed`` at first use, re-made if the device
    changes."""

    _generator: torch.Generator | None = None

    def _gen(self, device) -> torch.Generator:
        if self._generator is None or self._generator.device != torch.device(device):
            self._generator = make_generator(self.config.seed, device)
        return self._generator


def evaluate(model, z0: Tensor, actions: Tensor, cost: CostFn) -> tuple[Tensor, Tensor]:
    """Roll out candidates and score them.

    Args:
        z0: [B, *Z]; actions: [B, N, T, A].
    Returns:
        cost [B, N] (non-finite -> +inf, with a warning) and latents [B, N, T+1, *Z].
    """
    B, N, T, A = actions.shape
    z = z0.unsqueeze(1).expand(B, N, *z0.shape[1:]).reshape(B * N, *z0.shape[1:])  # [B*N, *Z]
    flat = actions.reshape(B * N, T, A)  # [B*N, T, A]
    latents = model.rollout(z, flat)  # [B*N, T+1, *Z]
    c = cost(latents, flat).reshape(B, N)  # [B, N]
    return sanitize(c), latents.reshape(B, N, *latents.shape[1:])


def sanitize(c: Tensor) -> Tensor:
    """Replace non-finite costs by +inf (with a warning), so a NaN never becomes a plan."""
    bad = ~torch.isfinite(c)
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} of {c.numel()} candidate costs were not finite (NaN/inf from the "
            "model or cost); treated as +inf",
            RuntimeWarning,
            stacklevel=3,
        )
        c = torch.where(bad, torch.full_like(c, float("inf")), c)
    return c


def init_mean(
    z0: Tensor, horizon: int, action_dim: int, init: Tensor | Plan | None
) -> tuple[Tensor, Tensor | None]:
    """Initial mean [B, T, A] (zeros or the warm start) and warm-start elites [B, E, T, A] or
    None."""
    B = z0.shape[0]
    elites = None
    if isinstance(init, Plan):
        elites = init.info.get("elites")
        init = init.actions
    if init is None:
        return torch.zeros(B, horizon, action_dim, device=z0.device, dtype=torch.float32), None
    if init.shape != (B, horizon, action_dim):
        raise ValueError(
            f"init must have shape [B={B}, T={horizon}, A={action_dim}], got {list(init.shape)}"
        )
    if not torch.isfinite(init).all():
        raise ValueError("init actions must be finite")
    return init.clamp(-1, 1).float(), elites


def best_of(costs: Tensor, actions: Tensor, latents: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per problem, the lowest-cost candidate: costs [B, N] -> ([B], [B, T, A], [B, T+1, *Z])."""
    idx = costs.argmin(dim=1)  # [B]
    ar = torch.arange(costs.shape[0], device=costs.device)
    return costs[ar, idx], actions[ar, idx], latents[ar, idx]


def keep_best(
    best: tuple[Tensor, Tensor, Tensor | None], new: tuple[Tensor, Tensor, Tensor]
) -> tuple[Tensor, Tensor, Tensor]:
    """Per problem, the better of the best-so-far and a new candidate (ties keep the old one).

    best, new: (cost [B], actions [B, T, A], latents [B, T+1, *Z]); best latents may be None
    before the first candidate. Returns the updated (cost, actions, latents).
    """
    best_cost, best_actions, best_latents = best
    cost, actions, latents = new
    better = cost < best_cost  # [B]
    if best_latents is None:
        best_latents = latents
    return (
        torch.where(better, cost, best_cost),
        torch.where(better[:, None, None], actions, best_actions),
        torch.where(better.view(-1, *[1] * (latents.dim() - 1)), latents, best_latents),
    )


def fallback_if_nonfinite(actions: Tensor) -> Tensor:
    """Final guard: any non-finite action becomes 0 (in bounds), everything clamped to [-1, 1]."""
    return torch.nan_to_num(actions, nan=0.0, posinf=0.0, neginf=0.0).clamp(-1, 1)

"""Helpers shared by the sampling planners: coloured noise, clamping, evaluation, elites."""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch
from torch import Tensor

from mpc_jepa.costs import check_latent
from mpc_jepa.resources import check_memory
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


Seed = int | tuple[int, ...]
"""A planner's noise seed: one int shared by the B problems of a call (common random numbers), or
one int per problem (problem b then draws exactly what a single-problem call seeded seed[b] draws:
batched evaluation equals sequential episodes)."""


def check_seed(seed: Seed) -> None:
    """ValueError naming a seed that is neither an int nor a non-empty tuple of ints."""
    ok = isinstance(seed, int) or (
        isinstance(seed, tuple) and seed and all(isinstance(s, int) for s in seed)
    )
    if not ok:
        raise ValueError(f"seed must be an int or a non-empty tuple of ints, got {seed!r}")


class SeededPlanner:
    """Mixin: noise generators seeded from ``config.seed`` at first use (one, or one per problem),
    re-made if the device changes."""

    _generators: list[torch.Generator] | None = None

    def keep_rows(self, rows: list[int]) -> None:
        """Keep problems ``rows`` of the per-problem seeds (``types.Narrowable``): their noise
        streams continue where they were, so each plans as it would have in the whole batch. A
        shared seed draws the same noise for any batch: nothing to narrow."""
        seed = self.config.seed
        if isinstance(seed, tuple):
            self.config = replace(self.config, seed=tuple(seed[i] for i in rows))
            if self._generators is not None:
                self._generators = [self._generators[i] for i in rows]

    def _gen(self, device, batch: int | None = None) -> torch.Generator | list[torch.Generator]:
        """The shared generator, or with per-problem seeds the list of ``batch`` generators."""
        seed = self.config.seed
        seeds = seed if isinstance(seed, tuple) else (seed,)
        if batch is not None and isinstance(seed, tuple) and len(seeds) != batch:
            raise ValueError(
                f"the planner has {len(seeds)} per-problem seeds, the call {batch} problems"
            )
        gens = self._generators
        if gens is None or gens[0].device != torch.device(device):
            self._generators = gens = [make_generator(s, device) for s in seeds]
        return gens if isinstance(seed, tuple) else gens[0]


def noise(num: int, horizon: int, action_dim: int, beta: float, gen, device) -> Tensor:
    """``colored_noise`` from one generator, [num, T, A] (broadcast over the problems), or from
    one generator per problem, [B, num, T, A]."""
    if isinstance(gen, list):
        return torch.stack([colored_noise(num, horizon, action_dim, beta, g, device) for g in gen])
    return colored_noise(num, horizon, action_dim, beta, gen, device)


def randn_like_rows(x: Tensor, gen) -> Tensor:
    """Standard normal noise shaped like ``x`` [B, ...]: one draw from one generator, or one per
    problem from per-problem generators."""
    if isinstance(gen, list):
        return torch.stack([torch.randn(x.shape[1:], generator=g, device=x.device) for g in gen])
    return torch.randn(x.shape, generator=gen, device=x.device)


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


CHECKED_BYTES = 256 * 2**20
"""Plans needing less than this are not checked against the machine's memory (no cost per call)."""


def check_budget(z0: Tensor, num_candidates: int, horizon: int, action_dim: int) -> None:
    """``ResourceError`` before a plan whose candidates' latents and actions ([B, N, T+1, *Z],
    float32, with the temporaries of the model's calls: x4) would not fit in memory; checks
    ``z0`` first (``costs.check_latent``)."""
    check_latent(z0, "z0")
    B, D = z0.shape[0], z0[0].numel()
    nbytes = 16 * B * num_candidates * (horizon + 1) * (D + action_dim)
    if nbytes > CHECKED_BYTES:
        what = f"planning {B} problem(s) x {num_candidates} candidates x horizon {horizon}"
        check_memory(nbytes, f"{what} (latent size {D})", z0.device)


def init_mean(
    z0: Tensor, horizon: int, action_dim: int, init: Tensor | Plan | None
) -> tuple[Tensor, Tensor | None]:
    """Initial mean [B, T, A] (zeros or the warm start) and warm-start elites [B, E, T, A] or
    None. Checks ``z0`` [B, *Z] at the planner's door (type, dtype, shape, finite values)."""
    check_latent(z0, "z0")
    B = z0.shape[0]
    elites = None
    if isinstance(init, Plan):
        elites = init.info.get("elites")
        init = init.actions
    if init is None:
        return torch.zeros(B, horizon, action_dim, device=z0.device, dtype=torch.float32), None
    if not isinstance(init, Tensor):
        raise TypeError(
            f"init must be a torch.Tensor [B, T, A] or a Plan, got {type(init).__name__}"
        )
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

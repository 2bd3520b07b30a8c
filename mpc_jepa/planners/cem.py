"""Cross-entropy method with the iCEM refinements (Pinneri et al., 2020), each switchable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from mpc_jepa.planners import sampling as S
from mpc_jepa.types import CostFn, Plan


@dataclass(frozen=True)
class CEMConfig:
    """CEM / iCEM settings. Defaults are iCEM's refinements at the command line's budget (one
    source of truth: ``CEMConfig()`` is what ``mpc-jepa eval --planner cem`` builds with no flags;
    ``tests/test_planner_contract.py`` holds them equal)."""

    horizon: int = 15
    """T: planned actions."""
    num_samples: int = 128
    """N: candidates in the first iteration."""
    num_elites: int = 12
    """E: best candidates that refit the sampling distribution."""
    num_iters: int = 3
    """I: refit iterations per plan."""
    init_std: float = 0.5
    """Initial sampling std (actions live in [-1, 1])."""
    min_std: float = 0.05
    """Std floor, so sampling never freezes."""
    noise_beta: float = 2.0
    """Coloured noise exponent: 0 white, ~2 iCEM's smooth low-frequency noise."""
    population_decay: float = 1.25
    """N_i = N / decay^i: later iterations sample fewer candidates (1 disables)."""
    keep_elites: float = 0.3
    """Fraction of elites carried to the next iteration and, shifted, to the next control step."""
    momentum: float = 0.1
    """mean, std <- momentum * old + (1 - momentum) * elite statistics."""
    add_mean: bool = True
    """Add the current mean as a candidate in the last iteration."""
    warm_samples: int | None = None
    """N when warm-started from the previous plan (None: num_samples): a shifted plan is close to
    the answer already, so fewer candidates find it (the hierarchy's slow replans use this)."""
    warm_iters: int | None = None
    """I when warm-started (None: num_iters)."""
    prior_samples: int = 0
    """P: candidates proposed by ``CEMPlanner.prior`` (a policy's rollout and P - 1 noisy copies),
    in every iteration; with no warm start the search also starts at the prior's sequence."""
    prior_std: float = 0.3
    """Std of the white noise on the prior's noisy copies."""
    return_mode: Literal["best", "mean"] = "best"
    """Return the best candidate seen, or the final mean of the elites."""
    seed: S.Seed = 0
    """Seed of the sampling noise (same seed, same plan): one for all problems of a call, or a
    tuple with one per problem (see ``planners.sampling.Seed``)."""

    def __post_init__(self):
        for name in ("horizon", "num_samples", "num_elites", "num_iters"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("num_samples", "warm_samples"):
            if getattr(self, name) is not None and self.num_elites > getattr(self, name):
                raise ValueError(
                    f"num_elites ({self.num_elites}) must be <= {name} ({getattr(self, name)})"
                )
        if self.warm_iters is not None and self.warm_iters < 1:
            raise ValueError(f"warm_iters must be >= 1, got {self.warm_iters}")
        if not 0 <= self.min_std <= self.init_std:
            raise ValueError(
                f"need 0 <= min_std <= init_std, got min_std={self.min_std}, "
                f"init_std={self.init_std}"
            )
        if self.population_decay < 1:
            raise ValueError(f"population_decay must be >= 1, got {self.population_decay}")
        if not 0 <= self.keep_elites <= 1 or not 0 <= self.momentum < 1:
            raise ValueError(
                f"keep_elites must be in [0, 1] and momentum in [0, 1), got {self.keep_elites}, "
                f"{self.momentum}"
            )
        S.check_seed(self.seed)
        if self.prior_samples < 0 or self.prior_std < 0:
            raise ValueError(
                f"prior_samples and prior_std must be >= 0, got {self.prior_samples}, "
                f"{self.prior_std}"
            )
        if self.return_mode not in ("best", "mean"):
            raise ValueError(f"return_mode must be 'best' or 'mean', got {self.return_mode!r}")

    @classmethod
    def from_settings(cls, s) -> CEMConfig:
        """From the shared planner settings ``s`` (``evaluation.PlanSettings`` or alike)."""
        n = s.sampling
        return cls(
            horizon=s.horizon,
            num_samples=n.num_samples,
            num_elites=min(n.num_elites, n.num_samples),
            num_iters=n.num_iters,
            noise_beta=n.noise_beta,
            prior_samples=n.policy_samples,
            seed=s.planner_seed,
        )


class CEMPlanner(S.SeededPlanner):
    """CEM / iCEM over a world model. ``plan(z0 [B, *Z], cost) -> Plan`` with actions [B, T, A].

    All B problems are solved at once; candidates live on axis 1 ([B, N, T, A]) and are flattened
    to [B*N, ...] only for the model call. The sampling noise is shared across the B problems
    (common random numbers), so a batch gives exactly the plans of B single calls.

    ``prior``: None, or ``(z0 [B, *Z], T) -> [B, T, A]`` (a policy's rollout through the model,
    ``ValueHeads.policy_rollout``) whose sequence and ``config.prior_samples - 1`` noisy copies join
    the candidates of every iteration.
    """

    def __init__(
        self,
        model,
        config: CEMConfig = CEMConfig(),
        callback: Callable[[int, dict], None] | None = None,
        prior: Callable[[Tensor, int], Tensor] | None = None,
    ):
        self.model, self.config, self.callback, self.prior = model, config, callback, prior
        self.action_dim = int(model.action_dim)

    def refit(
        self, elites: Tensor, elite_costs: Tensor, mean: Tensor, std: Tensor
    ) -> tuple[Tensor, Tensor]:
        """CEM's update: elite mean and std, with momentum. elites [B, E, T, A] -> ([B, T, A], [B,
        T, A])."""
        m = self.config.momentum
        return m * mean + (1 - m) * elites.mean(1), m * std + (1 - m) * elites.std(
            1, unbiased=False
        )

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        """Plan for B problems. z0: [B, *Z]; init: warm start [B, T, A] or ``prev.shifted(k)``."""
        cfg = self.config
        with torch.inference_mode():
            return self._plan(z0, cost, init, cfg)

    def _proposals(self, z0: Tensor, gen) -> Tensor | None:
        """The prior's candidates [B, P, T, A] (None without a prior or with P = 0)."""
        cfg = self.config
        if self.prior is None or cfg.prior_samples == 0:
            return None
        base = self.prior(z0, cfg.horizon).unsqueeze(1)  # [B, 1, T, A]
        noise = S.noise(cfg.prior_samples - 1, cfg.horizon, self.action_dim, 0.0, gen, z0.device)
        return torch.cat([base, (base + cfg.prior_std * noise).clamp(-1, 1)], dim=1)

    def _candidates(
        self, i: int, mean: Tensor, std: Tensor, kept, proposals, warm: bool, gen
    ) -> Tensor:
        """Iteration ``i``'s candidates [B, N_i, T, A]: coloured noise around ``mean`` [B, T, A]
        (shared by the B problems, or each problem's own with per-problem seeds), the kept
        elites, the prior's ``proposals``, the mean in the last iteration, and the warm start
        itself in the first."""
        cfg = self.config
        n0 = cfg.warm_samples if warm and cfg.warm_samples else cfg.num_samples
        n = max(cfg.num_elites, int(n0 / cfg.population_decay**i))
        T, A = mean.shape[1:]
        noise = S.noise(n, T, A, cfg.noise_beta, gen, mean.device)  # [n, T, A] or [B, n, T, A]
        cand = (mean.unsqueeze(1) + std.unsqueeze(1) * noise).clamp(-1, 1)  # [B, n, T, A]
        extra = [x for x in (kept, proposals) if x is not None]
        if cfg.add_mean and i == self._iters(warm) - 1:
            extra.append(mean.unsqueeze(1))
        if i == 0 and warm:
            extra.append(mean.unsqueeze(1))  # the warm start itself is always a candidate
        return torch.cat([cand, *extra], dim=1) if extra else cand

    def _iters(self, warm: bool) -> int:
        cfg = self.config
        return cfg.warm_iters if warm and cfg.warm_iters else cfg.num_iters

    def _plan(self, z0, cost, init, cfg) -> Plan:
        T, A = cfg.horizon, self.action_dim
        S.check_budget(z0, max(cfg.num_samples, cfg.warm_samples or 0) + cfg.prior_samples, T, A)
        mean, kept = S.init_mean(z0, T, A, init)  # [B, T, A], [B, K, T, A] | None
        B = z0.shape[0]
        gen = self._gen(z0.device, B)
        proposals = self._proposals(z0, gen)  # [B, P, T, A] | None
        if init is None and proposals is not None:
            mean = proposals[:, 0].clone()
        std = torch.full_like(mean, cfg.init_std)
        n_keep = int(round(cfg.keep_elites * cfg.num_elites))
        kept = kept[:, :n_keep] if kept is not None and n_keep > 0 else None
        best_cost = torch.full((B,), float("inf"), device=z0.device)
        best_actions, best_latents = mean.clone(), None
        cost_per_iter, elite_cost_per_iter = [], []
        for i in range(self._iters(init is not None)):
            # [B, N_i, T, A]
            cand = self._candidates(i, mean, std, kept, proposals, warm=init is not None, gen=gen)
            costs, latents = S.evaluate(self.model, z0, cand, cost)  # [B, N_i], [B, N_i, T+1, *Z]
            best = S.keep_best(
                (best_cost, best_actions, best_latents), S.best_of(costs, cand, latents)
            )
            best_cost, best_actions, best_latents = best
            elite_costs, idx = torch.topk(costs, cfg.num_elites, dim=1, largest=False)  # [B, E]
            # [B, E, T, A]
            elites = torch.gather(cand, 1, idx[:, :, None, None].expand(-1, -1, T, A))
            mean, std = self.refit(elites, elite_costs, mean, std)
            std = std.clamp_min(cfg.min_std)
            kept = elites[:, :n_keep] if n_keep > 0 else None
            cost_per_iter.append(best_cost.clone())
            elite_cost_per_iter.append(
                torch.where(torch.isfinite(elite_costs), elite_costs, torch.nan).nanmean(1)
            )
            if self.callback is not None:
                stats = {
                    "best_cost": best_cost,
                    "mean": mean,
                    "std": std,
                    "num_samples": cand.shape[1],
                }
                self.callback(i, stats)
        actions, plan_cost, latents = best_actions, best_cost, best_latents
        if cfg.return_mode == "mean":
            c, lat = S.evaluate(self.model, z0, mean.unsqueeze(1), cost)
            actions, plan_cost, latents = mean, c[:, 0], lat[:, 0]
        info = {
            "cost_per_iter": torch.stack(cost_per_iter),
            "elite_cost_per_iter": torch.stack(elite_cost_per_iter),
            "std": std,
            "last_elites": elites,
        }
        if kept is not None:
            info["elites"] = kept
        return Plan(S.fallback_if_nonfinite(actions), plan_cost, latents, info)

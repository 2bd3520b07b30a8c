"""Gradient-based planning: Adam on the action sequence through the differentiable predictor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from mpc_jepa.planners import sampling as S
from mpc_jepa.types import CostFn, Plan


@dataclass(frozen=True)
class GradientConfig:
    """Gradient planner settings."""

    horizon: int = 15
    """T: planned actions."""
    num_restarts: int = 8
    """R: independent action sequences optimised together in one batch (restart 0 is the warm
    start)."""
    num_steps: int = 10
    """Adam steps."""
    lr: float = 0.3
    """Adam step size on the unconstrained parameters."""
    bound: Literal["tanh", "clip"] = "tanh"
    """Keep actions in [-1, 1] by a tanh reparametrisation or by projection after each step."""
    init_std: float = 0.5
    """Std of the random restarts' initial actions."""
    noise_std: float = 0.0
    """Gaussian noise added to the parameters after each step, decaying linearly to 0."""
    noise_beta: float = 2.0
    """Coloured-noise exponent of the random restarts."""
    early_stop_tol: float = 1e-5
    """Stop when no restart improved its cost by this relative amount ..."""
    early_stop_patience: int = 10
    """... for this many consecutive steps."""
    seed: S.Seed = 0
    """Seed of the restarts and noise: one for all problems of a call, or one per problem."""

    def __post_init__(self):
        for name in ("horizon", "num_restarts", "num_steps", "early_stop_patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.init_std < 0 or self.noise_std < 0:
            raise ValueError(
                f"need lr > 0, init_std >= 0, noise_std >= 0; got {self.lr}, {self.init_std}, "
                f"{self.noise_std}"
            )
        S.check_seed(self.seed)
        if self.bound not in ("tanh", "clip"):
            raise ValueError(f"bound must be 'tanh' or 'clip', got {self.bound!r}")

    @classmethod
    def from_settings(cls, s) -> GradientConfig:
        """From the shared planner settings ``s`` (``evaluation.PlanSettings`` or alike)."""
        return cls(
            horizon=s.horizon,
            num_restarts=s.grad.grad_restarts,
            num_steps=s.grad.grad_steps,
            lr=s.grad.grad_lr,
            noise_beta=s.sampling.noise_beta,
            seed=s.planner_seed,
        )


_ATANH_LIMIT = 0.995  # warm-start actions at the bound would need infinite parameters


class GradientPlanner(S.SeededPlanner):
    """Adam over [B, R, T, A] action sequences at once; returns each problem's best restart."""

    def __init__(
        self,
        model,
        config: GradientConfig = GradientConfig(),
        callback: Callable[[int, dict], None] | None = None,
    ):
        self.model, self.config, self.callback = model, config, callback
        self.action_dim = int(model.action_dim)

    def _to_params(self, actions: Tensor) -> Tensor:
        if self.config.bound == "tanh":
            return torch.atanh(actions.clamp(-_ATANH_LIMIT, _ATANH_LIMIT))
        return actions.clone()

    def _to_actions(self, params: Tensor) -> Tensor:
        return torch.tanh(params) if self.config.bound == "tanh" else params.clamp(-1, 1)

    def initial_actions(self, z0: Tensor, init: Tensor | Plan | None) -> Tensor:
        """[B, R, T, A]: restart 0 = warm start (or zeros), the rest coloured noise around it."""
        cfg = self.config
        # Adam keeps gradients and two moments of every restart: x3 the candidates' memory
        S.check_budget(z0, 3 * cfg.num_restarts, cfg.horizon, self.action_dim)
        mean, elites = S.init_mean(z0, cfg.horizon, self.action_dim, init)  # [B, T, A]
        gen = self._gen(z0.device, z0.shape[0])
        noise = S.noise(
            cfg.num_restarts - 1, cfg.horizon, self.action_dim, cfg.noise_beta, gen, z0.device
        )
        rand = (mean.unsqueeze(1) + cfg.init_std * noise).clamp(-1, 1)  # [B, R-1, T, A]
        starts = torch.cat([mean.unsqueeze(1), rand], dim=1)
        if elites is not None:  # previous elites replace some random restarts
            k = min(elites.shape[1], cfg.num_restarts - 1)
            starts[:, 1 : 1 + k] = elites[:, :k]
        return starts

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        with torch.no_grad():
            starts = self.initial_actions(z0, init)
        return self.optimize(z0, cost, starts)

    def optimize(
        self, z0: Tensor, cost: CostFn, starts: Tensor, num_steps: int | None = None
    ) -> Plan:
        """Run Adam from ``starts`` [B, R, T, A]; returns the best sequence per problem."""
        cfg = self.config
        steps = cfg.num_steps if num_steps is None else num_steps
        z0 = z0.detach()
        params = self._to_params(starts).detach().requires_grad_(True)  # [B, R, T, A]
        opt = torch.optim.Adam([params], lr=cfg.lr)
        B = z0.shape[0]
        best_cost = torch.full((B,), float("inf"), device=z0.device)
        best_actions = starts[:, 0].detach().clone()
        best_latents = None
        cost_per_iter = []
        prev = torch.full((B,), float("inf"), device=z0.device)
        # per problem, so a batch = B single calls
        stall = torch.zeros(B, dtype=torch.long, device=z0.device)
        gen = self._gen(z0.device, B)
        for i in range(steps + 1):  # the last pass only evaluates, without building a graph
            with torch.set_grad_enabled(i < steps):
                actions = self._to_actions(params)
                # [B, R], [B, R, T+1, *Z]
                costs, latents = S.evaluate(self.model, z0, actions, cost)
                loss = torch.where(torch.isfinite(costs), costs, torch.zeros_like(costs)).sum()
            new = S.best_of(costs.detach(), actions.detach(), latents.detach())
            best_cost, best_actions, best_latents = S.keep_best(
                (best_cost, best_actions, best_latents), new
            )
            cost_per_iter.append(best_cost.clone())
            if self.callback is not None:
                self.callback(i, {"best_cost": best_cost, "costs": costs.detach()})
            improved = best_cost < torch.where(
                torch.isfinite(prev), prev - cfg.early_stop_tol * prev.abs(), prev
            )
            stall = torch.where(improved, torch.zeros_like(stall), stall + 1)
            prev = torch.minimum(prev, best_cost)
            active = stall < cfg.early_stop_patience  # [B]
            if i == steps or not active.any():
                break
            (grad,) = torch.autograd.grad(loss, params)
            with torch.no_grad():
                before = params.detach().clone()
                params.grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
                opt.step()
                if cfg.noise_std > 0:
                    params.add_(cfg.noise_std * (1 - i / steps) * S.randn_like_rows(params, gen))
                if cfg.bound == "clip":
                    params.clamp_(-1, 1)
                # converged problems stay put
                params.copy_(torch.where(active.view(-1, 1, 1, 1), params, before))
        info = {"cost_per_iter": torch.stack(cost_per_iter), "num_steps": i}
        return Plan(
            S.fallback_if_nonfinite(best_actions.detach()), best_cost.detach(), best_latents, info
        )

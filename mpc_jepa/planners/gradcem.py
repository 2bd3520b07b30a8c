"""GradCEM hybrids: CEM whose elites take gradient steps, or CEM followed by gradient refinement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.gradient import GradientConfig, GradientPlanner
from mpc_jepa.planners.sampling import keep_best
from mpc_jepa.types import CostFn, Plan


@dataclass(frozen=True)
class GradCEMConfig:
    """Hybrid settings: a CEM config, a gradient config, and how they are combined."""

    cem: CEMConfig = field(default_factory=CEMConfig)
    """The sampling stage."""
    grad: GradientConfig = field(default_factory=GradientConfig)
    """The gradient stage (its horizon must equal the CEM horizon)."""
    mode: Literal["refine", "inner"] = "refine"
    """'refine': CEM, then the elites are refined by Adam; 'inner': every CEM iteration's elites
    take ``grad.num_steps`` Adam steps before the refit (GradCEM, Bharadhwaj et al. 2020)."""

    def __post_init__(self):
        if self.cem.horizon != self.grad.horizon:
            raise ValueError(
                f"cem.horizon ({self.cem.horizon}) must equal grad.horizon ({self.grad.horizon})"
            )
        if self.mode not in ("refine", "inner"):
            raise ValueError(f"mode must be 'refine' or 'inner', got {self.mode!r}")

    @classmethod
    def from_settings(cls, s) -> GradCEMConfig:
        """From the shared planner settings: the flat CEM's and gradient planner's configs."""
        return cls(cem=CEMConfig.from_settings(s), grad=GradientConfig.from_settings(s))


class _GradRefitCEM(CEMPlanner):
    """CEM whose refit first moves the elites downhill with the gradient planner."""

    def __init__(self, model, cem: CEMConfig, grad: GradientPlanner, callback=None):
        super().__init__(model, cem, callback)
        self.grad = grad
        self._z0 = self._cost = None
        self.best: Plan | None = None  # best refined sequence of the current plan() call

    def refit(self, elites, elite_costs, mean, std):
        refined = self.grad.optimize(
            self._z0, self._cost, elites.clone(), num_steps=self.grad.config.num_steps
        )
        new = (refined.cost, refined.actions, refined.latents)
        if self.best is not None:
            new = keep_best((self.best.cost, self.best.actions, self.best.latents), new)
        self.best = Plan(new[1], new[0], new[2])
        # the refined best replaces the worst elite before the refit
        elites = torch.cat([elites[:, :-1], refined.actions.unsqueeze(1)], dim=1)
        return super().refit(elites, elite_costs, mean, std)


class GradCEMPlanner:
    """CEM + gradient descent through the predictor (see ``GradCEMConfig.mode``)."""

    def __init__(self, model, config: GradCEMConfig = GradCEMConfig(), callback=None):
        self.model, self.config = model, config
        self.grad = GradientPlanner(model, config.grad, callback)
        self.cem = (
            _GradRefitCEM(model, config.cem, self.grad, callback)
            if config.mode == "inner"
            else CEMPlanner(model, config.cem, callback)
        )

    def keep_rows(self, rows: list[int]) -> None:
        """Both stages keep problems ``rows`` (see ``types.Narrowable``)."""
        self.grad.keep_rows(rows)
        self.cem.keep_rows(rows)

    def plan(self, z0: Tensor, cost: CostFn, init: Tensor | Plan | None = None) -> Plan:
        if self.config.mode == "inner":
            self.cem._z0, self.cem._cost, self.cem.best = z0, cost, None
            with torch.no_grad():  # not inference_mode: the refit needs autograd
                sampled = self.cem._plan(z0, cost, init, self.cem.config)
            return self._merge(sampled, self.cem.best)
        sampled = self.cem.plan(z0, cost, init)
        starts = sampled.info.get("elites", sampled.actions.unsqueeze(1))
        starts = torch.cat([sampled.actions.unsqueeze(1), starts], dim=1).clone()  # [B, 1+K, T, A]
        refined = self.grad.optimize(z0.clone(), cost, starts)
        return self._merge(sampled, refined)

    @staticmethod
    def _merge(sampled: Plan, refined: Plan) -> Plan:
        """Per problem, the better of the sampling stage's and the gradient stage's plans."""
        old = (sampled.cost, sampled.actions, sampled.latents)
        cost_, actions, latents = keep_best(old, (refined.cost, refined.actions, refined.latents))
        curve = sampled.info["cost_per_iter"]
        if "cost_per_iter" in refined.info:
            curve = torch.cat([curve, torch.minimum(refined.info["cost_per_iter"], sampled.cost)])
        info = {"cost_per_iter": curve, "elites": sampled.info.get("elites")}
        info = {k: v for k, v in info.items() if v is not None}
        return Plan(actions, cost_, latents, info)

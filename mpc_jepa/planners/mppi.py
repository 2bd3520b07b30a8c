"""MPPI: CEM's sampling loop with a soft, cost-weighted refit instead of hard elites."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner


@dataclass(frozen=True)
class MPPIConfig(CEMConfig):
    """MPPI settings (the sampling options are CEM's)."""

    num_elites: int = 128
    """Candidates that enter the weighted refit (all of them by default: num_samples)."""
    population_decay: float = 1.0
    """Keep the population constant over iterations."""
    keep_elites: float = 0.0
    """No hard elites carried over by default."""
    temperature: float = 0.1
    """Softmax temperature *relative to the cost scale* (mean minus min of the candidates' costs),
    so one value works across tasks whose costs differ by orders of magnitude."""
    adapt_std: bool = True
    """Refit the std from the weighted candidates too (otherwise it stays at init_std)."""
    return_mode: str = "mean"
    """Return the weighted mean (MPPI's answer) or the best candidate seen."""

    def __post_init__(self):
        super().__post_init__()
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")

    @classmethod
    def from_settings(cls, s) -> MPPIConfig:
        """From the shared planner settings: every candidate enters the weighted refit."""
        return cls(
            horizon=s.horizon,
            num_samples=s.sampling.num_samples,
            num_elites=s.sampling.num_samples,
            num_iters=s.sampling.num_iters,
            seed=s.planner_seed,
        )


class MPPIPlanner(CEMPlanner):
    """Model-predictive path integral control, batched like ``CEMPlanner``."""

    def __init__(self, model, config: MPPIConfig = MPPIConfig(), callback=None):
        super().__init__(model, config, callback)

    def refit(
        self, elites: Tensor, elite_costs: Tensor, mean: Tensor, std: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Soft-min weights over the candidates [B, E, T, A] with costs [B, E] (inf -> weight 0)."""
        cfg = self.config
        finite = torch.isfinite(elite_costs)
        c = torch.where(finite, elite_costs, torch.nan)
        c_min = elite_costs.min(1, keepdim=True).values  # [B, 1] (topk sorted: finite if any is)
        scale = (c.nanmean(1, keepdim=True) - c_min).clamp_min(1e-8)  # [B, 1]
        logits = torch.where(finite, -(elite_costs - c_min) / (cfg.temperature * scale), -torch.inf)
        w = torch.softmax(logits, dim=1)  # [B, E]
        w = torch.nan_to_num(w, nan=1.0 / w.shape[1])
        new_mean = (w[:, :, None, None] * elites).sum(1)  # [B, T, A]
        new_std = (
            ((w[:, :, None, None] * (elites - new_mean.unsqueeze(1)).pow(2)).sum(1)).sqrt()
            if cfg.adapt_std
            else std
        )
        m = cfg.momentum
        return m * mean + (1 - m) * new_mean, m * std + (1 - m) * new_std

"""World-model training settings (``TrainConfig``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """World-model training settings."""

    steps: int = 3000
    """Optimiser steps."""
    batch_size: int = 256
    """Windows per batch."""
    rollout_steps: int = 5
    """T: open-loop steps in the prediction loss."""
    lr: float = 1e-3
    """Peak AdamW learning rate (linear warm-up, cosine decay)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    warmup_steps: int = 100
    """Linear warm-up steps."""
    grad_clip: float = 1.0
    """Gradient-norm clipping."""
    var_weight: float = 1.0
    """VICReg variance hinge weight (0 disables)."""
    cov_weight: float = 0.0
    """VICReg covariance weight (0 disables)."""
    ema_tau: float = 0.99
    """EMA rate of the target encoder (used when the model has one)."""
    smooth_weight: float = 0.0
    """Temporal smoothness weight (0 disables)."""
    inverse_weight: float = 0.0
    """Inverse-dynamics auxiliary head weight (0 disables)."""
    reward_weight: float = 0.0
    """Weight of an auxiliary reward head read from the predicted latents (shapes the latent with
    the reward, as TD-MPC2 does; 0 keeps the JEPA reward-free)."""
    value_weight: float = 0.0
    """Weight of an auxiliary TD critic read from the predicted latents (TD-MPC2's value shaping:
    the latent keeps what the return beyond the window depends on; needs rewards)."""
    shaping_gamma: float = 0.99
    """Discount per agent step of that critic (the planning critics have their own)."""
    reach_weight: float = 1.0
    """Weight of the reachability-geometry spread term (0 disables the geometry)."""
    reach_local_weight: float = 10.0
    """Weight of its local constraint |z_{t+1} - z_t| <= reach_step."""
    reach_step: float = 0.1
    """Latent length of one transition at most: latent distance ~ reach_step x steps-to-go."""
    reach_horizon: float = 100.0
    """Steps beyond which the spread term stops pushing pairs apart."""
    val_fraction: float = 0.1
    """Held-out fraction of episodes for evaluation."""
    eval_every: int = 1000
    """Held-out evaluation interval (steps)."""
    checkpoint_every: int = 500
    """Checkpoint interval (steps): a killed run loses at most this much."""
    seed: int = 0
    """Seed of initialisation, batches and split."""
    device: str = "cpu"
    """Torch device (cpu, cuda, cuda:1, ...)."""
    log_csv: bool = True
    """Write <checkpoint>.csv beside the checkpoint (and TensorBoard logs when tensorboard is
    installed)."""

    def __post_init__(self):
        for name in ("steps", "batch_size", "rollout_steps", "eval_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        weights = ("var", "cov", "smooth", "inverse", "reward", "value", "reach", "reach_local")
        for name in (f"{w}_weight" for w in weights):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 < self.shaping_gamma < 1:
            raise ValueError(f"shaping_gamma must be in (0, 1), got {self.shaping_gamma}")
        if not 0 <= self.ema_tau < 1:
            raise ValueError(f"ema_tau must be in [0, 1), got {self.ema_tau}")
        if not 0 < self.lr < float("inf"):  # NaN too
            raise ValueError(f"lr must be a finite number > 0, got {self.lr}")

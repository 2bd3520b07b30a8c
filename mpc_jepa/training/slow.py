"""Training of the slow level on top of a trained, frozen fast JEPA.

Loss on windows of S slow steps (S*k fast steps): the slow rollout from z_t under the chunk
encoder's macro-actions must match the frozen fast encoder's embeddings at t+k, t+2k, ...,
measured in units of the fast model's step (``reach_step``). Macro-actions are kept from collapsing
by a variance hinge and a covariance term (VICReg) over the batch, so the slow planner's box
[-1, 1]^M is covered by plausible macro-actions.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from mpc_jepa.data import Dataset, WindowSampler, history_of, obs_key, obs_tensor
from mpc_jepa.models.checkpoints import save_slow
from mpc_jepa.models.losses import vicreg_covariance, vicreg_variance
from mpc_jepa.models.slow import SlowModelConfig, SlowWorldModel
from mpc_jepa.training.schedules import cosine_schedule


@dataclass(frozen=True)
class SlowTrainConfig:
    """Slow-level training settings."""

    steps: int = 2000
    """Optimiser steps."""
    batch_size: int = 256
    """Windows per batch."""
    slow_steps: int = 3
    """S: open-loop slow steps in the loss."""
    lr: float = 1e-3
    """AdamW learning rate (cosine decay)."""
    macro_var_weight: float = 1.0
    """Variance hinge on macro-actions (std >= 0.5 per dimension)."""
    macro_cov_weight: float = 0.1
    """Covariance penalty on macro-actions."""
    reach_step: float = 0.1
    """The fast model's latent step (errors are measured in these units)."""
    seed: int = 0
    """Seed."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        for name in ("steps", "batch_size", "slow_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def train_slow(
    dataset: Dataset,
    fast,
    out,
    config: SlowTrainConfig = SlowTrainConfig(),
    model_config: SlowModelConfig = SlowModelConfig(),
    progress: bool = True,
):
    """Train a ``SlowWorldModel`` over the frozen ``fast`` model and save it to ``out``.
    Returns (model, metrics)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = torch.device(config.device)
    k = model_config.k
    train_eps, val_eps = dataset.split(0.1, seed=config.seed)
    key, h = obs_key(fast), history_of(fast)
    # h-1 frames of history first
    sampler = WindowSampler(dataset, k * config.slow_steps + h - 1, train_eps, keys=(key,))
    slow = SlowWorldModel(fast.to(device).eval(), model_config).to(device)
    params = list(slow.chunk_encoder.parameters()) + list(slow.predictor.parameters())
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-4)
    sched = cosine_schedule(opt, config.steps)
    t0 = time.perf_counter()
    for _ in tqdm(range(config.steps), desc="train slow", disable=not progress):
        loss = slow_loss(slow, sampler.sample(config.batch_size, rng), config, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
    metrics = {
        "steps_per_second": config.steps / (time.perf_counter() - t0),
        **slow_report(slow, dataset, val_eps, config, device),
    }
    slow.meta, slow.train_config = metrics, asdict(config)  # as load_slow gives them
    save_slow(out, slow, dataset.task, slow.train_config, metrics)
    return slow.eval(), metrics


def slow_loss(slow: SlowWorldModel, batch: dict, config: SlowTrainConfig, device) -> torch.Tensor:
    """The slow level's loss on a batch of windows (see the module docstring): slow-rollout error
    in units of the fast step, plus the macro-actions' variance hinge and covariance."""
    fast, k = slow.fast, slow.k
    h = history_of(fast)
    obs = _slow_obs(fast, batch[obs_key(fast)], k, device)  # [B, S+1, *O]
    actions = torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float()  # [B, S*k, A]
    with torch.no_grad():
        target = fast.encoder(obs)  # [B, S+1, D]
    macros = slow.encode_actions(actions)  # [B, S, M]
    pred = slow.rollout_macros(target[:, 0], macros)  # [B, S+1, D]
    flat = macros.reshape(-1, macros.shape[-1])  # [B*S, M]
    loss = (pred[:, 1:] - target[:, 1:]).pow(2).sum(-1).mean() / config.reach_step**2
    loss = loss + config.macro_var_weight * vicreg_variance(flat, gamma=0.5)
    return loss + config.macro_cov_weight * vicreg_covariance(flat)


def _slow_obs(fast, window: np.ndarray, k: int, device) -> torch.Tensor:
    """Encoder inputs every k steps of a window: states [B, S*k+1, S_obs] -> [B, S+1, S_obs]; pixels
    with history h, [B, S*k+h, H, W, 3] -> [B, S+1, 3h, H, W] (each stacks its frame and the h-1
    before)."""
    h = history_of(fast)
    # [S+1] first frame of each observation's history
    rows = np.arange(0, window.shape[1] - h + 1, k)
    if obs_key(fast) != "pixels":
        return torch.as_tensor(window[:, rows], device=device).float()
    runs = window[:, rows[:, None] + np.arange(h)[None]]  # [B, S+1, h, H, W, 3]
    return obs_tensor(fast, runs, device).squeeze(2)  # [B, S+1, 3h, H, W]


@torch.no_grad()
def slow_report(
    slow, dataset, episodes, config: SlowTrainConfig, device="cpu", num: int = 512
) -> dict:
    """Held-out slow prediction error per slow step vs the copy baseline, and macro-action
    spread."""
    k, key, h = slow.k, obs_key(slow.fast), history_of(slow.fast)
    sampler = WindowSampler(dataset, k * config.slow_steps + h - 1, episodes, keys=(key,))
    batch = sampler.windows(
        np.random.default_rng(0).choice(sampler.starts, size=min(num, len(sampler)), replace=False)
    )
    z = slow.fast.encoder(_slow_obs(slow.fast, batch[key], k, device))
    macros = slow.encode_actions(
        torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float()
    )
    pred = slow.rollout_macros(z[:, 0], macros)
    out = {}
    for s in range(1, config.slow_steps + 1):
        out[f"slow_pred_ratio_s{s}"] = float(
            (pred[:, s] - z[:, s]).pow(2).sum(-1).mean()
            / (z[:, 0] - z[:, s]).pow(2).sum(-1).mean().clamp_min(1e-12)
        )
    out["macro_std_min"] = float(macros.reshape(-1, macros.shape[-1]).std(0).min())
    return out


__all__ = [
    "SlowTrainConfig",
    "slow_report",
    "train_slow",
]

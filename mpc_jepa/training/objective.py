"""The world model's training objective: every loss term on a batch of windows (see
training.world_model)."""

from __future__ import annotations

import torch
from torch import nn

from mpc_jepa.models.losses import reach_local, reach_spread, vicreg_covariance, vicreg_variance
from mpc_jepa.models.world_model import JEPAWorldModel


def compute_losses(
    model: JEPAWorldModel,
    obs: torch.Tensor,
    actions: torch.Tensor,
    cfg,
    aux: nn.ModuleDict,
    rewards: torch.Tensor | None = None,
) -> dict:
    """All loss terms on a batch: obs [B, T+1, *O], actions [B, T, A], rewards [B, T] (needed by
    the reward term) -> {name: scalar}; ``cfg``: a ``TrainConfig`` (its weights and reach
    geometry); ``aux``: the auxiliary heads ('inverse': [2D] -> [A], 'reward': [D+A] -> [1])."""
    z = model.encoder(obs)  # [B, T+1, D]
    # [B, T+1, D]
    target = model.encode_target(obs) if model.target_encoder is not None else z.detach()
    pred = model.rollout(z[:, 0], actions)  # [B, T+1, D]
    d = z.shape[-1]
    # errors measured in units of one step
    scale = cfg.reach_step**2 if cfg.reach_weight > 0 else 1.0
    losses = {"pred": (pred[:, 1:] - target[:, 1:]).pow(2).sum(-1).mean() / scale}
    flat = z.reshape(-1, d)  # [B*(T+1), D]
    if cfg.var_weight > 0:
        losses["var"] = cfg.var_weight * vicreg_variance(
            flat / (cfg.reach_step * 10 if cfg.reach_weight > 0 else 1.0)
        )
    if cfg.cov_weight > 0:
        losses["cov"] = cfg.cov_weight * vicreg_covariance(flat)
    if cfg.smooth_weight > 0:
        losses["smooth"] = cfg.smooth_weight * (z[:, 1:] - z[:, :-1]).pow(2).sum(-1).mean() / scale
    if cfg.inverse_weight > 0 and "inverse" in aux:
        a_hat = aux["inverse"](torch.cat([z[:, :-1], z[:, 1:]], dim=-1))  # [B, T, A]
        losses["inverse"] = cfg.inverse_weight * (a_hat - actions).pow(2).mean()
    if cfg.reward_weight > 0 and "reward" in aux:
        if rewards is None:
            raise ValueError("reward_weight > 0 needs the windows' rewards")
        # read from the *predicted* latents, as a planner reads them: the rollout must keep what
        # the reward depends on (TD-MPC2's latent shaping)
        r_hat = aux["reward"](torch.cat([pred[:, :-1], actions], dim=-1)).squeeze(-1)  # [B, T]
        losses["reward"] = cfg.reward_weight * (r_hat - rewards).pow(2).mean()
    if cfg.reach_weight > 0:
        losses["reach_local"] = cfg.reach_local_weight * reach_local(z, cfg.reach_step)
        losses["reach_spread"] = cfg.reach_weight * reach_spread(
            z[:, 0], cfg.reach_step, cfg.reach_horizon
        )
    losses["total"] = sum(losses.values())
    return losses


class Losses(nn.Module):
    """The model and its auxiliary heads behind one ``forward`` (what DistributedDataParallel
    wraps)."""

    def __init__(self, model: JEPAWorldModel, aux: nn.ModuleDict, cfg):
        super().__init__()
        self.model, self.aux, self.cfg = model, aux, cfg

    def forward(
        self, obs: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor | None = None
    ) -> dict:
        return compute_losses(self.model, obs, actions, self.cfg, self.aux, rewards)

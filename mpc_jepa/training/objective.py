"""The world model's training objective: every loss term on a batch of windows (see
training.world_model)."""

from __future__ import annotations

import copy

import torch
from torch import nn

from mpc_jepa.models.encoders import mlp
from mpc_jepa.models.losses import reach_local, reach_spread, vicreg_covariance, vicreg_variance
from mpc_jepa.models.world_model import JEPAWorldModel

VALUE_TARGET_TAU = 0.01
"""EMA rate per step of the value head's target copy (as the planning critics')."""


def auxiliary_heads(cfg, latent_dim: int, action_dim: int) -> nn.ModuleDict:
    """The heads ``cfg`` (a ``TrainConfig``) weighs, for latents of size D and actions of size A."""
    d, aux = latent_dim, nn.ModuleDict()
    if cfg.inverse_weight > 0:
        aux["inverse"] = mlp(2 * d, 128, action_dim, 1)
    if cfg.reward_weight > 0:
        aux["reward"] = mlp(d + action_dim, 256, 1, 2)
    if cfg.value_weight > 0:
        aux["value"] = mlp(d, 256, 1, 2)
        aux["value_target"] = copy.deepcopy(aux["value"]).requires_grad_(False)
    return aux


@torch.no_grad()
def update_aux_targets(aux: nn.ModuleDict, tau: float = VALUE_TARGET_TAU) -> None:
    """EMA step of the value head's target copy, when there is one."""
    if "value_target" in aux:
        for pt, po in zip(aux["value_target"].parameters(), aux["value"].parameters()):
            pt.lerp_(po, tau)


def compute_losses(
    model: JEPAWorldModel,
    obs: torch.Tensor,
    actions: torch.Tensor,
    cfg,
    aux: nn.ModuleDict,
    rewards: torch.Tensor | None = None,
) -> dict:
    """All loss terms on a batch: obs [B, T+1, *O], actions [B, T, A], rewards [B, T] (needed by
    the reward and value terms) -> {name: scalar}; ``cfg``: a ``TrainConfig`` (its weights and
    reach geometry); ``aux``: the auxiliary heads ('inverse': [2D] -> [A], 'reward': [D+A] -> [1],
    'value' and its EMA copy 'value_target': [D] -> [1], each (1 - gamma) V)."""
    z = model.encoder(obs)  # [B, T+1, D]
    # [B, T+1, D]
    target = model.encode_target(obs) if model.target_encoder is not None else z.detach()
    pred = model.rollout(z[:, 0], actions)  # [B, T+1, D]
    # errors measured in units of one step
    scale = cfg.reach_step**2 if cfg.reach_weight > 0 else 1.0
    losses = {"pred": (pred[:, 1:] - target[:, 1:]).pow(2).sum(-1).mean() / scale}
    # the regularisers and the geometry shape the learned dims only: an object slot is fixed
    learned = z[..., : model.learned_dim]  # [B, T+1, D']
    flat = learned.reshape(-1, learned.shape[-1])  # [B*(T+1), D']
    if cfg.var_weight > 0:
        losses["var"] = cfg.var_weight * vicreg_variance(
            flat / (cfg.reach_step * 10 if cfg.reach_weight > 0 else 1.0)
        )
    if cfg.cov_weight > 0:
        losses["cov"] = cfg.cov_weight * vicreg_covariance(flat)
    if cfg.smooth_weight > 0:
        losses["smooth"] = (
            cfg.smooth_weight * (learned[:, 1:] - learned[:, :-1]).pow(2).sum(-1).mean() / scale
        )
    if cfg.inverse_weight > 0 and "inverse" in aux:
        a_hat = aux["inverse"](torch.cat([z[:, :-1], z[:, 1:]], dim=-1))  # [B, T, A]
        losses["inverse"] = cfg.inverse_weight * (a_hat - actions).pow(2).mean()
    if rewards is None and (cfg.reward_weight > 0 or cfg.value_weight > 0):
        raise ValueError("reward_weight or value_weight > 0 needs the windows' rewards")
    if cfg.reward_weight > 0 and "reward" in aux:
        # read from the *predicted* latents, as a planner reads them: the rollout must keep what
        # the reward depends on (TD-MPC2's latent shaping)
        r_hat = aux["reward"](torch.cat([pred[:, :-1], actions], dim=-1)).squeeze(-1)  # [B, T]
        losses["reward"] = cfg.reward_weight * (r_hat - rewards).pow(2).mean()
    if cfg.value_weight > 0 and "value" in aux:
        # TD(0) from the predicted latents toward the target copy on the next observation's
        # embedding; (1 - gamma) V keeps the target in reward units
        c = aux["value"](pred[:, :-1]).squeeze(-1)  # [B, T]
        with torch.no_grad():
            c_next = aux["value_target"](target[:, 1:]).squeeze(-1)  # [B, T]
            y = (1.0 - cfg.shaping_gamma) * rewards + cfg.shaping_gamma * c_next
        losses["value"] = cfg.value_weight * (c - y).pow(2).mean()
    if cfg.reach_weight > 0:
        losses["reach_local"] = cfg.reach_local_weight * reach_local(learned, cfg.reach_step)
        losses["reach_spread"] = cfg.reach_weight * reach_spread(
            learned[:, 0], cfg.reach_step, cfg.reach_horizon
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

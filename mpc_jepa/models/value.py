"""The cost module's trainable half: a reward predictor and a critic on the JEPA latent.

LeCun's cost has an intrinsic part and a *trainable critic* that predicts the cost beyond the
planning horizon. For tasks scored by a reward (dm-control's suite) both are learned here, on the
world model's embeddings, and combined by ``costs.ReturnCost``:

    cost(z_0..T, a_0..T-1) = -( sum_t gamma^t r(z_t, a_t) + gamma^T V(z_T) ).

``r(z, a)`` regresses the reward of the agent step taken with action a from the state embedded as z
(summed over the task's action repeat). ``V(z)`` is the discounted return from z, trained by
temporal differences against a slowly moving target copy (``training.value``). The heads read the
latent detached: the JEPA stays a reward-free world model that serves every objective, unless
``TrainConfig.reward_weight`` / ``value_weight`` shape it with reward and TD heads of its own
(``training.objective``).

With ``ValueConfig.policy`` the heads also hold a deterministic policy pi(z) (TD-MPC2's policy
prior): trained to maximise r(z, pi(z)) + gamma V(f(z, pi(z))) through the world model's predictor
f, its rollouts join the sampling planner's candidates, so a search over a long action sequence
starts from what the critic already knows.

With ``ValueConfig.q_critic`` the critics are Q(z, a) instead, trained by Q-learning against that
policy (TD-MPC2's critic: the target bootstraps from Q'(z', pi(z')), so the critic follows the
policy as it improves rather than the policies that made the data), and V(z) = Q(z, pi(z)).

Scale: the critics output (1 - gamma) * V, a per-step average of the same scale as a reward, so one
learning rate and one initialisation suit every discount; ``value`` multiplies it back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mpc_jepa.models.encoders import mlp


@dataclass(frozen=True)
class ValueConfig:
    """Sizes of the reward and critic heads and the discount they are trained for."""

    hidden: int = 256
    """Width of the heads' MLPs."""
    depth: int = 2
    """Hidden layers of each head."""
    critics: int = 2
    """Independent critics; planning reads their mean, training bootstraps from their minimum."""
    gamma: float = 0.99
    """Discount per agent step, of the critic's return and of ``ReturnCost``."""
    policy: bool = False
    """Also a policy prior pi(z) -> a (``ValueHeads.policy``)."""
    q_critic: bool = False
    """Critics Q(z, a), trained by Q-learning against the policy prior (needs ``policy``)."""

    def __post_init__(self):
        if self.hidden < 1 or self.depth < 0 or self.critics < 1:
            raise ValueError(
                f"need hidden >= 1, depth >= 0, critics >= 1; got {self.hidden}, {self.depth}, "
                f"{self.critics}"
            )
        if not 0 < self.gamma < 1:
            raise ValueError(f"gamma must be in (0, 1), got {self.gamma}")
        if self.q_critic and not self.policy:
            raise ValueError("q_critic=True bootstraps from the policy prior: set policy=True")


class ValueHeads(nn.Module):
    """r(z, a) and V(z) or Q(z, a) on latents of size D (leading dims kept; *Z flattened to D).

    Args:
        latent_dim: D (a pixel model's latent is a vector too).
        action_dim: A.
        config: ``ValueConfig``.
    """

    def __init__(self, latent_dim: int, action_dim: int, config: ValueConfig = ValueConfig()):
        super().__init__()
        self.latent_dim, self.action_dim, self.config = int(latent_dim), int(action_dim), config
        self.reward_net = mlp(latent_dim + action_dim, config.hidden, 1, config.depth)
        critic_in = latent_dim + (action_dim if config.q_critic else 0)
        self.critic_nets = nn.ModuleList(
            mlp(critic_in, config.hidden, 1, config.depth) for _ in range(config.critics)
        )
        self.target_nets = copy.deepcopy(self.critic_nets).requires_grad_(False)
        self.policy_net = (
            mlp(latent_dim, config.hidden, action_dim, config.depth) if config.policy else None
        )

    @property
    def gamma(self) -> float:
        return self.config.gamma

    def _check(self, z: Tensor) -> None:
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"latents must end in D={self.latent_dim}, got {list(z.shape)}")

    def _with_action(self, z: Tensor, a: Tensor) -> Tensor:
        """[..., D], [..., A] -> [..., D + A], the shapes checked."""
        self._check(z)
        if a.shape[-1] != self.action_dim or a.shape[:-1] != z.shape[:-1]:
            raise ValueError(
                f"actions must have shape {[*z.shape[:-1], self.action_dim]}, got {list(a.shape)}"
            )
        return torch.cat([z, a.to(z.dtype)], -1)

    def reward(self, z: Tensor, a: Tensor) -> Tensor:
        """[..., D], [..., A] -> [...]: the predicted reward of taking a in z."""
        return self.reward_net(self._with_action(z, a)).squeeze(-1)

    def critics(self, z: Tensor, target: bool = False, a: Tensor | None = None) -> Tensor:
        """[..., D] -> [critics, ...]: each critic's (1 - gamma) * V(z) (or its target copy's).

        Q critics read actions a [..., A] (default: the policy prior's, pi(z)); V critics none."""
        self._check(z)
        nets = self.target_nets if target else self.critic_nets
        if self.config.q_critic:
            z = self._with_action(z, self.policy(z) if a is None else a)
        elif a is not None:
            raise ValueError("V critics read no action (ValueConfig(q_critic=True) reads one)")
        return torch.stack([net(z).squeeze(-1) for net in nets])

    def critics_taken(self, z: Tensor, a: Tensor) -> Tensor:
        """[..., D], [..., A] -> [critics, ...]: V critics at z, or Q critics at the action a taken
        there (what a transition in the data bootstraps)."""
        return self.critics(z, a=a) if self.config.q_critic else self.critics(z)

    def value(self, z: Tensor) -> Tensor:
        """[..., D] -> [...]: V(z), the discounted return from z (the critics' mean; with Q
        critics, at the policy prior's action)."""
        return self.critics(z).mean(0) / (1.0 - self.gamma)

    def policy(self, z: Tensor) -> Tensor:
        """[..., D] -> [..., A] in [-1, 1]: the policy prior's action (needs ``config.policy``)."""
        self._check(z)
        if self.policy_net is None:
            raise ValueError("these heads have no policy (ValueConfig(policy=True) trains one)")
        return torch.tanh(self.policy_net(z))

    def policy_rollout(self, model, z0: Tensor, horizon: int) -> Tensor:
        """[B, *Z] -> [B, T, A]: the policy's actions along its own rollout through ``model``."""
        z, actions = z0, []
        for _ in range(horizon):
            actions.append(self.policy(z.flatten(1)))
            z = model.predict(z, actions[-1])
        return torch.stack(actions, 1)

    @torch.no_grad()
    def update_target(self, tau: float) -> None:
        """EMA step of the target critics: target <- (1 - tau) * target + tau * online."""
        for pt, po in zip(self.target_nets.parameters(), self.critic_nets.parameters()):
            pt.lerp_(po, tau)

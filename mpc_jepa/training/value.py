"""Training of the reward head and the critic (``models.value.ValueHeads``) over a frozen JEPA.

On the dataset's transitions (z_t, a_t, r_t, z_{t+1}), z embedded once by the world model's encoder:

    reward loss  (r(z_t, a_t) - r_t)^2
    critic loss  expectile_tau( (1-gamma) r_t + gamma * min_k c_k'(z_{t+1}) - c_k(z_t) ),

c = (1 - gamma) V, c' the EMA target critics. tau = 0.5 evaluates the policies that made the data;
tau > 0.5 leans toward the best continuations seen from each state (implicit Q-learning's
expectile), which is what a planner that can choose its actions will find. Episodes in the data end
by time limit, never by failure: the last transition of an episode still bootstraps.

With a policy prior in the heads, each step also moves pi toward the actions the critic values
most through the frozen world model: loss -( r(z, pi(z)) + gamma V(f(z, pi(z))) ), its gradient
reaching the policy alone. With Q critics (``ValueConfig.q_critic``, TD-MPC2's) the critic loss
reads Q_k(z_t, a_t) against (1-gamma) r_t + gamma * min_k Q_k'(z_{t+1}, pi(z_{t+1})), and the
policy's loss is -Q(z, pi(z)), the critics' mean: Q-learning, off the data's policies.

``ValueTrainer`` keeps the optimiser between calls, so the learning loop (``mpc-jepa learn``) can
re-embed a growing dataset after each world-model update and continue; ``train_value_heads`` is the
offline run (``mpc-jepa train --level value``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from mpc_jepa.data import Dataset, embed_rows, episode_ends
from mpc_jepa.models.value import ValueConfig, ValueHeads


@dataclass(frozen=True)
class ValueTrainConfig:
    """Reward-head and critic training settings."""

    steps: int = 5000
    """Optimiser steps."""
    batch_size: int = 512
    """Transitions per batch."""
    lr: float = 1e-3
    """Adam learning rate (constant: the learning loop continues training as data arrives)."""
    expectile: float = 0.7
    """Expectile tau of the critic loss (0.5: the data's policies' value; -> 1: the best seen)."""
    target_tau: float = 0.01
    """EMA rate of the target critics per step."""
    val_fraction: float = 0.1
    """Share of episodes held out for the reported errors."""
    seed: int = 0
    """Seed of the batches and the heads' initialisation."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        if self.steps < 0 or self.batch_size < 1:
            raise ValueError(
                f"steps must be >= 0 and batch_size >= 1, got {self.steps}, {self.batch_size}"
            )
        if not 0.5 <= self.expectile < 1:
            raise ValueError(f"expectile must be in [0.5, 1), got {self.expectile}")
        if not 0 < self.target_tau <= 1 or self.lr <= 0:
            raise ValueError(
                f"target_tau must be in (0, 1] and lr > 0, got {self.target_tau}, {self.lr}"
            )
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


@dataclass(frozen=True)
class Transitions:
    """A dataset's transitions, embedded: z [N, D], actions [N, A], rewards [N], and the rows
    ``rows`` [n] of those with a successor (row i -> i+1), split into ``train`` / ``val``."""

    z: Tensor
    actions: Tensor
    rewards: Tensor
    train: np.ndarray
    val: np.ndarray

    @classmethod
    def of(cls, dataset: Dataset, model, config: ValueTrainConfig) -> Transitions:
        """Embed every row of ``dataset`` with ``model`` and split its episodes."""
        device = torch.device(config.device)
        with torch.no_grad():
            z = embed_rows(model, dataset, device=device)
        starts = np.asarray(dataset.episode_starts)
        episode = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        rows = np.flatnonzero(np.arange(len(dataset)) < episode_ends(dataset.episode_starts))
        if len(rows) == 0:
            raise ValueError(f"{dataset.path}: no transitions (episodes of one row)")
        held = np.random.default_rng(config.seed).random(len(starts) - 1) < config.val_fraction
        if held.all():
            held[0] = False  # always something to train on
        as_t = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32, device=device)  # noqa: E731
        return cls(
            z=z,
            actions=as_t(dataset["actions"]),
            rewards=as_t(dataset["rewards"]),
            train=rows[~held[episode[rows]]],
            val=rows[held[episode[rows]]],
        )


class ValueTrainer:
    """The heads, their optimiser and batch generator; ``fit`` continues training."""

    def __init__(self, heads: ValueHeads, config: ValueTrainConfig = ValueTrainConfig()):
        self.heads, self.config = heads, config
        policy = heads.policy_net
        own = [p for n, p in heads.named_parameters() if not n.startswith("policy_net.")]
        self.opt = torch.optim.Adam(own, lr=config.lr)
        self.policy_opt = torch.optim.Adam(policy.parameters(), lr=config.lr) if policy else None
        self.rng = np.random.default_rng(config.seed)
        self.steps_done = 0

    def losses(self, data: Transitions, rows: np.ndarray) -> tuple[Tensor, Tensor]:
        """(reward loss, critic loss) on transitions ``rows`` [B] (scalars)."""
        h, gamma = self.heads, self.heads.gamma
        idx = torch.as_tensor(rows, device=data.z.device)
        z, zn, a, r = data.z[idx], data.z[idx + 1], data.actions[idx], data.rewards[idx]
        reward_loss = (h.reward(z, a) - r).pow(2).mean()
        with torch.no_grad():
            target = (1 - gamma) * r + gamma * h.critics(zn, target=True).min(0).values  # [B]
        diff = target - h.critics_taken(z, a)  # [critics, B]
        tau = self.config.expectile
        critic_loss = (torch.where(diff > 0, tau, 1 - tau) * diff.pow(2)).mean()
        return reward_loss, critic_loss

    def state(self) -> dict:
        """What resuming needs besides the heads: optimisers, step count, batch generator."""
        state = {
            "optimizer": self.opt.state_dict(),
            "steps": self.steps_done,
            "numpy_rng": self.rng.bit_generator.state,
        }
        if self.policy_opt is not None:
            state["policy_optimizer"] = self.policy_opt.state_dict()
        return state

    def load_state(self, state: dict) -> None:
        """Continue from ``state()``."""
        self.opt.load_state_dict(state["optimizer"])
        if self.policy_opt is not None:
            self.policy_opt.load_state_dict(state["policy_optimizer"])
        self.steps_done = state["steps"]
        self.rng.bit_generator.state = state["numpy_rng"]

    def policy_loss(self, data: Transitions, rows: np.ndarray, model) -> Tensor:
        """-(r(z, pi(z)) + gamma V(f(z, pi(z)))) on ``rows`` [B], in reward units (a scalar);
        with Q critics -Q(z, pi(z))."""
        h = self.heads
        z = data.z[torch.as_tensor(rows, device=data.z.device)]
        if h.config.q_critic:
            return -h.value(z).mean()
        a = h.policy(z)
        z_next = model.predict(z, a)  # the JEPA's latents are vectors [B, D]
        return -(h.reward(z, a) + h.gamma * h.value(z_next)).mean()

    def fit(self, data: Transitions, steps: int, progress: bool = False, model=None) -> dict:
        """``steps`` optimiser steps on ``data.train`` (and of the policy prior, through the world
        ``model``'s predictor, if the heads have one); returns the last losses."""
        if len(data.train) == 0:
            raise ValueError("no training transitions")
        if self.policy_opt is not None and model is None:
            raise ValueError("heads with a policy train through the world model: pass model=")
        self.heads.train()
        reward_loss = critic_loss = policy_loss = torch.zeros(())
        for _ in tqdm(range(steps), desc="train reward and critic", disable=not progress):
            rows = self.rng.choice(data.train, size=self.config.batch_size)
            reward_loss, critic_loss = self.losses(data, rows)
            self.opt.zero_grad(set_to_none=True)
            (reward_loss + critic_loss).backward()
            self.opt.step()
            self.heads.update_target(self.config.target_tau)
            if self.policy_opt is not None:
                policy_loss = self.policy_loss(data, rows, model)
                self.policy_opt.zero_grad(set_to_none=True)
                policy_loss.backward(inputs=list(self.heads.policy_net.parameters()))
                self.policy_opt.step()
        self.steps_done += steps
        self.heads.eval()
        return {
            "reward_loss": float(reward_loss.detach()),
            "critic_loss": float(critic_loss.detach()),
            **({"policy_loss": float(policy_loss.detach())} if self.policy_opt else {}),
        }


@torch.no_grad()
def evaluate_heads(heads: ValueHeads, data: Transitions, rows: np.ndarray | None = None) -> dict:
    """Held-out errors (default rows: ``data.val``, or ``data.train`` when none are held out):
    the reward head's mean squared error beside a constant predictor's (the rewards' variance)
    and R^2, and the critics' temporal-difference error (in reward units per step)."""
    rows = (data.val if len(data.val) else data.train) if rows is None else rows
    idx = torch.as_tensor(rows, device=data.z.device)
    z, zn, r = data.z[idx], data.z[idx + 1], data.rewards[idx]
    mse = float((heads.reward(z, data.actions[idx]) - r).pow(2).mean())
    var = float(r.var(unbiased=False))
    gamma = heads.gamma
    taken = heads.critics_taken(z, data.actions[idx])
    td = (1 - gamma) * r + gamma * heads.critics(zn).mean(0) - taken.mean(0)
    return {
        "reward_mse": mse,
        "reward_constant_mse": var,
        "reward_r2": 1.0 - mse / var if var > 0 else 0.0,
        "critic_td_rmse": float(td.pow(2).mean().sqrt()),
        "value_mean": float(heads.value(z).mean()),
        "rows": len(rows),
    }


def train_value_heads(
    dataset: Dataset,
    model,
    config: ValueTrainConfig = ValueTrainConfig(),
    value_config: ValueConfig = ValueConfig(),
    progress: bool = True,
) -> tuple[ValueHeads, dict]:
    """Train new heads over the frozen ``model`` on ``dataset``. Returns (heads, metrics)."""
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    data = Transitions.of(dataset, model, config)
    heads = ValueHeads(model.latent_dim, model.action_dim, value_config).to(config.device)
    trainer = ValueTrainer(heads, config)
    t1 = time.perf_counter()
    last = trainer.fit(data, config.steps, progress, model=model)
    metrics = {
        **evaluate_heads(heads, data),
        **last,
        "embed_seconds": t1 - t0,
        "steps_per_second": config.steps / max(time.perf_counter() - t1, 1e-9),
    }
    return heads, metrics

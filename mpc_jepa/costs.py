"""Costs on predicted embeddings and actions. Plain callables, goals bound by frozen dataclasses.

Every cost maps (latents [M, T+1, *Z], actions [M, T, A]) -> [M]. Planners flatten their B
problems x N candidates to M = B*N rows (problem-major), so a goal of batch B is broadcast over
the N candidates of its problem: row m belongs to goal m // N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import torch
from torch import Tensor

from mpc_jepa.types import GoalCost


def broadcast_goal(goal: Tensor, latents: Tensor) -> Tensor:
    """goal [B, *Z] (or [*Z]) -> [M, *Z] matching latents [M, T+1, *Z], M a multiple of B."""
    z_shape = latents.shape[2:]
    if goal.shape == z_shape:
        goal = goal.unsqueeze(0)
    if goal.shape[1:] != z_shape:
        raise ValueError(
            f"goal embedding has shape {list(goal.shape)}, latents have [*, T+1, "
            f"{', '.join(map(str, z_shape))}]"
        )
    M, B = latents.shape[0], goal.shape[0]
    if M % B:
        raise ValueError(f"{M} latent rows cannot be split among {B} goals")
    return goal.repeat_interleave(M // B, dim=0)  # [M, *Z]


def check_latent(z, name: str, min_dim: int = 2) -> None:
    """A planner's or cost's latent input, checked at the door: a floating torch tensor of at
    least ``min_dim`` dims (a batch axis first when 2) and finite values; else one error naming
    ``name`` (a numpy array, ints, a NaN observation encoded)."""
    if not isinstance(z, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor embedding (model.encode(obs)), got {type(z).__name__}"
        )
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got {z.dtype}")
    if z.dim() < min_dim or (min_dim == 2 and z.shape[0] == 0):
        raise ValueError(
            f"{name} must have shape {'[B, *Z] with B >= 1' if min_dim == 2 else '[*Z]'}, "
            f"got {list(z.shape)}"
        )
    bad = ~torch.isfinite(z)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} non-finite values (a NaN or infinite observation "
            "encoded?)"
        )


@dataclass(frozen=True)
class GoalDistance:
    """Distance from predicted embeddings to a goal embedding.

    Attributes:
        goal: [B, *Z] or [*Z] goal embedding (bind with ``with_goal``).
        norm: 'l2' (Euclidean), 'l1', or 'sql2' (squared Euclidean).
        weighting: 'terminal' (last step only), 'uniform' (mean over steps 1..T) or 'linear'
            (weights growing with t, normalised to sum 1).
        terminal_weight: extra weight of the last step added to the running weights.
        (Defaults: 'uniform' + 1, what the command line's ``PlanSettings()`` builds.)
        dims: optional [Z] per-dimension weights (e.g. to select part of an oracle state).
        project: optional map of latents [..., *Z] -> features [..., F]; the norm is taken on
            project(z) - project(goal) (the oracle's configuration features).
        metric: optional learned distance (z [M, T+1, *Z], goal [M, 1, *Z]) -> [M, T+1] used
            instead of the norm (e.g. a ``TemporalDistance``: steps to the goal through the data's
            transitions); ``norm``, ``dims`` and ``project`` are then unused.
    """

    goal: Tensor | None = None
    norm: Literal["l2", "l1", "sql2"] = "l2"
    weighting: Literal["terminal", "uniform", "linear"] = "uniform"
    terminal_weight: float = 1.0
    dims: Tensor | None = None
    project: Callable[[Tensor], Tensor] | None = field(default=None, compare=False)
    metric: Callable[[Tensor, Tensor], Tensor] | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.norm not in ("l2", "l1", "sql2"):
            raise ValueError(f"norm must be 'l2', 'l1' or 'sql2', got {self.norm!r}")
        if self.weighting not in ("terminal", "uniform", "linear"):
            raise ValueError(
                f"weighting must be 'terminal', 'uniform' or 'linear', got {self.weighting!r}"
            )
        if self.goal is not None:
            check_latent(self.goal, "goal", min_dim=1)

    def with_goal(self, goal: Tensor) -> GoalDistance:
        return replace(self, goal=goal)

    def per_step(self, latents: Tensor) -> Tensor:
        """[M, T+1, *Z] -> [M, T+1] distances to the goal."""
        if self.goal is None:
            raise ValueError("GoalDistance has no goal: bind one with .with_goal(z_goal)")
        goal = broadcast_goal(self.goal.to(latents.dtype), latents).unsqueeze(1)  # [M, 1, *Z]
        if self.metric is not None:
            return self.metric(latents, goal)
        diff = latents - goal
        if self.project is not None:
            diff = self.project(latents) - self.project(goal)
        diff = diff.flatten(2)  # [M, T+1, Zf]
        if self.dims is not None:
            diff = diff * self.dims.to(diff)
        if self.norm == "l1":
            return diff.abs().sum(-1)
        sq = diff.pow(2).sum(-1)
        return sq if self.norm == "sql2" else torch.sqrt(sq + 1e-12)

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        d = self.per_step(latents)[:, 1:]  # [M, T]
        T = d.shape[1]
        if self.weighting == "terminal":
            w = torch.zeros(T, device=d.device, dtype=d.dtype)
            w[-1] = 1
        elif self.weighting == "uniform":
            w = torch.full((T,), 1.0 / T, device=d.device, dtype=d.dtype)
        else:
            w = torch.arange(1, T + 1, device=d.device, dtype=d.dtype)
            w = w / w.sum()
        w = w.clone()
        w[-1] += self.terminal_weight
        return (d * w).sum(-1)  # [M]


@dataclass(frozen=True)
class ActionMagnitude:
    """weight * mean_t |a_t|^2 (summed over action dims)."""

    weight: float = 1.0

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        return self.weight * actions.pow(2).sum(-1).mean(-1)


@dataclass(frozen=True)
class ActionSmoothness:
    """weight * mean_t |a_{t+1} - a_t|^2."""

    weight: float = 1.0

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        if actions.shape[1] < 2:
            return actions.new_zeros(actions.shape[0])
        return self.weight * (actions[:, 1:] - actions[:, :-1]).pow(2).sum(-1).mean(-1)


@dataclass(frozen=True)
class ProposalDeviation:
    """weight * mean_t |a_t - p_t|^2: how far a candidate strays from a proposal p [B, T, A],
    read from ``source.proposal`` when called (``control.ActorPrior`` keeps its last one). Where
    the goal cost cannot tell candidates apart (an arm still far from the cube moves no object),
    the plan keeps to the proposal instead of drifting with the sampling noise."""

    source: object = field(compare=False)
    weight: float = 1.0

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        p = self.source.proposal
        if p is None:
            raise ValueError("no proposal to compare with: the prior has not proposed yet")
        if len(actions) % len(p) or p.shape[1] < actions.shape[1]:
            raise ValueError(
                f"proposal {list(p.shape)} does not fit candidates {list(actions.shape)}"
            )
        p = p[:, : actions.shape[1]].repeat_interleave(len(actions) // len(p), dim=0)
        return self.weight * (actions - p.to(actions)).pow(2).sum(-1).mean(-1)


@dataclass(frozen=True)
class StepReachability:
    """weight * sum_t relu(length(z_t -> z_{t+1}) - max_step): a penalty on predicted steps
    longer than any transition can be. With a temporal-distance metric (steps through the data's
    transitions) a slow step of k fast steps cannot cover more than about k steps; a model that
    predicts more (the mass through a wall) is wrong there, and this keeps a planner from
    exploiting it.
    lengths: latents [M, T+1, *Z] -> [M, T] (e.g. ``TemporalDistance.step_lengths``)."""

    lengths: Callable[[Tensor], Tensor] = field(compare=False)
    max_step: float = 1.0
    weight: float = 1.0

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        return self.weight * torch.relu(self.lengths(latents) - self.max_step).sum(-1)


@dataclass(frozen=True)
class ReturnCost:
    """The predicted discounted return, negated (a reward task's cost; no goal):

        -( sum_{t<T} gamma^t r(z_t, a_t) + critic_weight * gamma^T V(z_T) )

    heads: a ``models.value.ValueHeads`` (r, V and gamma); critic_weight 0 plans on the rewards
    within the horizon alone. Differentiable in the actions (the gradient planners use it)."""

    heads: object = field(compare=False)
    critic_weight: float = 1.0

    def __post_init__(self):
        if self.critic_weight < 0:
            raise ValueError(f"critic_weight must be >= 0, got {self.critic_weight}")

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        z = latents.flatten(2)  # [M, T+1, D]
        T, gamma = actions.shape[1], self.heads.gamma
        discounts = gamma ** torch.arange(T, device=z.device, dtype=z.dtype)  # [T]
        rewards = self.heads.reward(z[:, :-1], actions)  # [M, T]
        total = (rewards * discounts).sum(-1)
        if self.critic_weight:
            total = total + self.critic_weight * gamma**T * self.heads.value(z[:, -1])
        return -total


@dataclass(frozen=True)
class SumCost:
    """Sum of costs; ``with_goal`` binds the goal in every term that has one."""

    terms: tuple = ()

    @property
    def goal(self) -> Tensor | None:
        """The goal of its first goal-bound term (None: none has one)."""
        return next((t.goal for t in self.terms if isinstance(t, GoalCost)), None)

    def with_goal(self, goal: Tensor) -> SumCost:
        return SumCost(
            tuple(t.with_goal(goal) if isinstance(t, GoalCost) else t for t in self.terms)
        )

    def __call__(self, latents: Tensor, actions: Tensor) -> Tensor:
        return sum(t(latents, actions) for t in self.terms)


def goal_cost(
    goal: Tensor | None = None,
    *,
    norm="l2",
    weighting="terminal",
    terminal_weight=0.0,
    action_weight=0.0,
    smooth_weight=0.0,
) -> Callable:
    """The usual latent goal-reaching cost: goal distance plus optional action penalties."""
    terms = [GoalDistance(goal, norm=norm, weighting=weighting, terminal_weight=terminal_weight)]
    if action_weight:
        terms.append(ActionMagnitude(action_weight))
    if smooth_weight:
        terms.append(ActionSmoothness(smooth_weight))
    return terms[0] if len(terms) == 1 else SumCost(tuple(terms))

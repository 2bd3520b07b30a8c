"""Mode 1 proposing, mode 2 choosing: the goal actor's action chunk as the planner's prior.

The goal actor (``models.goal_actor``) reads states, not latents, so its proposal is made where the
controller stands: ``MPCController`` tells the prior the observations and goal observations of
the problems it plans (``observe``), and CEM asks it for a sequence (``(z0, T) -> [B, T, A]``,
``CEMPlanner(prior=...)``): the actor's chunk at the current observation, its last action held to
fill a horizon longer than the chunk. CEM then samples around it and keeps it, with noisy copies,
among its candidates; the model and the cost decide (TD-MPC2 mixes its policy's trajectories into
MPPI the same way). With ``--prior-weight`` the cost also charges a candidate's deviation from
the proposal (``costs.ProposalDeviation``).
"""

from __future__ import annotations

import torch
from torch import Tensor


class ActorPrior:
    """``actor.chunk(obs [B, O], goal [B, O]) -> [B, k, A]`` as a planner prior."""

    def __init__(self, actor):
        self.actor = actor
        self.obs: Tensor | None = None
        self.goal: Tensor | None = None
        self.proposal: Tensor | None = None  # the last sequence proposed [B, T, A]

    def observe(self, obs: Tensor, goal: Tensor) -> None:
        """The observations [B, O] and goal observations [B, O] of the problems planned next."""
        if obs.shape != goal.shape or obs.dim() != 2:
            raise ValueError(
                f"need observations and goals [B, O] alike, got {list(obs.shape)} and "
                f"{list(goal.shape)}"
            )
        self.obs, self.goal = obs.float(), goal.float()

    def __call__(self, z0: Tensor, horizon: int) -> Tensor:
        """[B, *Z], T -> [B, T, A]: the chunk (clamped to [-1, 1]), its last action held."""
        if self.obs is None or self.goal is None:
            raise RuntimeError("ActorPrior.observe(obs, goal) must come before planning")
        if len(self.obs) != len(z0):
            raise ValueError(f"observed {len(self.obs)} problems, asked to propose for {len(z0)}")
        with torch.no_grad():
            chunk = self.actor.chunk(self.obs.to(z0.device), self.goal.to(z0.device))
        chunk = chunk.clamp(-1.0, 1.0).to(z0.dtype)
        if horizon <= chunk.shape[1]:
            self.proposal = chunk[:, :horizon]
        else:
            held = chunk[:, -1:].expand(-1, horizon - chunk.shape[1], -1)
            self.proposal = torch.cat([chunk, held], 1)
        return self.proposal

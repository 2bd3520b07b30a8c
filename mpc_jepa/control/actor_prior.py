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
    """``actor.chunk(obs [B, O], goal [B, O]) -> [B, k, A]`` as a planner prior.

    The proposal is what the actor alone would do (``control.ActorController``): each of its first
    k steps the mean of the predictions the chunks made so far hold for that step (temporal
    ensembling), clamped to [-1, 1]; past them the last action held. So a plan that keeps the
    proposal acts exactly as the actor alone, and planning departs only where the cost says so."""

    def __init__(self, actor):
        self.actor = actor
        self.obs: Tensor | None = None
        self.goal: Tensor | None = None
        self.proposal: Tensor | None = None  # the last sequence proposed [B, T, A]
        self.reset()

    def reset(self) -> None:
        """A new batch of episodes: no chunk made yet."""
        self.history: list[tuple[int, list[int], Tensor]] = []  # (step, rows, chunk), newest first
        self.rows: list[int] = []
        self.step = 0

    def observe(self, obs: Tensor, goal: Tensor, rows=None, step: int = 0) -> None:
        """The observations [B, O] and goal observations [B, O] of the problems planned next:
        ``rows`` of the episode batch (default all), at control step ``step`` of the episodes."""
        if obs.shape != goal.shape or obs.dim() != 2:
            raise ValueError(
                f"need observations and goals [B, O] alike, got {list(obs.shape)} and "
                f"{list(goal.shape)}"
            )
        self.obs, self.goal = obs.float(), goal.float()
        self.rows = list(range(len(obs))) if rows is None else list(rows)
        self.step = int(step)

    def __call__(self, z0: Tensor, horizon: int) -> Tensor:
        """[B, *Z], T -> [B, T, A]: the ensembled chunk (clamped to [-1, 1]), last action held."""
        if self.obs is None or self.goal is None:
            raise RuntimeError("ActorPrior.observe(obs, goal) must come before planning")
        if len(self.obs) != len(z0):
            raise ValueError(f"observed {len(self.obs)} problems, asked to propose for {len(z0)}")
        with torch.no_grad():
            chunk = self.actor.chunk(self.obs.to(z0.device), self.goal.to(z0.device))
        k = chunk.shape[1]
        older = [h for h in self.history if 0 < self.step - h[0] < k]
        self.history = [(self.step, self.rows, chunk), *older]
        steps = []
        for t in range(min(horizon, k)):  # the predictions made for step self.step + t
            preds = [
                c[[r.index(x) for x in self.rows], self.step - made + t]
                for made, r, c in self.history
                if self.step - made + t < k
            ]
            steps.append(torch.stack(preds).mean(0))
        seq = torch.stack(steps, 1).clamp(-1.0, 1.0).to(z0.dtype)
        if horizon > k:
            seq = torch.cat([seq, seq[:, -1:].expand(-1, horizon - k, -1)], 1)
        self.proposal = seq
        return self.proposal

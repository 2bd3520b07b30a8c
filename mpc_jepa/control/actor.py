"""A goal-conditioned actor behind the controller interface: mode 1, no planning.

``ActorController`` answers what ``MPCController`` answers (``reset`` / ``reset_batch`` with goal
observations, ``act`` / ``act_batch`` with observations), so ``run_episode`` / ``run_episodes`` and
the evaluation drive either. Its memory: the goal and the last k action chunks the actor predicted;
each step's action is the mean of the k predictions made for it (temporal ensembling), which
smooths the hesitation a single regressed action shows where the data's actions part ways.
"""

from __future__ import annotations

import time

import numpy as np
import torch


class ActorController:
    """Acts by ``actor.chunk(obs [N, O], goal [N, O]) -> [N, k, A]``
    (``models.goal_actor.GoalActor``), ensembled over the last k calls."""

    model = None  # no world model: nothing to count

    def __init__(self, actor, device="cpu"):
        self.actor, self.device = actor, torch.device(device)
        self.goal: torch.Tensor | None = None
        self.chunks: list[torch.Tensor] = []  # newest first, each [N, k, A]
        self.last_plan_ms = 0.0

    def reset(self, goal_obs) -> None:
        """Start an episode toward ``goal_obs`` [O]."""
        self.reset_batch(np.asarray(goal_obs)[None])

    def reset_batch(self, goal_obs) -> None:
        """Start N episodes toward ``goal_obs`` [N, O]."""
        if goal_obs is None:
            raise ValueError("a goal actor needs goal observations (this task has none)")
        self.goal = self._tensor(goal_obs, "goal observations")
        self.chunks = []

    def act(self, obs) -> np.ndarray:
        """Next action [A] for ``obs`` [O]."""
        return self.act_batch(np.asarray(obs)[None])[0]

    def act_batch(self, obs, active: list[int] | None = None) -> np.ndarray:
        """Next actions [N, A] for ``obs`` [N, O] (``active`` ignored: acting costs one network
        call for all N, and the action-chunk ensemble keeps every row)."""
        if self.goal is None:
            raise RuntimeError("call reset(goal_obs) before act")
        x = self._tensor(obs, "observations")
        if x.shape != self.goal.shape:
            raise ValueError(
                f"observations {list(x.shape)} do not match goals {list(self.goal.shape)}"
            )
        start = time.perf_counter()
        with torch.no_grad():
            chunk = self.actor.chunk(x, self.goal)  # [N, k, A]
            self.chunks = [chunk, *self.chunks][: chunk.shape[1]]
            # the chunk made j calls ago predicted this step as its j-th action
            now = torch.stack([c[:, j] for j, c in enumerate(self.chunks)]).mean(0)
            actions = now.clamp(-1.0, 1.0).cpu().numpy().astype(np.float64)
        self.last_plan_ms = 1000 * (time.perf_counter() - start)
        return actions

    def _tensor(self, x, what: str) -> torch.Tensor:
        if isinstance(x, dict) or np.asarray(x).dtype == object:
            raise TypeError(f"{what} must be a state array, got {type(x).__name__}")
        return torch.as_tensor(np.asarray(x), dtype=torch.float32, device=self.device)

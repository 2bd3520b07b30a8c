"""Receding-horizon control: plan, execute the first action(s), replan."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import Tensor

from mpc_jepa.types import GoalCost, Narrowable, Plan


class MPCController:
    """Model-predictive controller over any ``WorldModel`` and ``Planner``.

    ``reset(goal_obs)`` encodes the goal and binds it into ``cost`` (anything with ``with_goal``);
    ``act(obs)`` replans every ``replan_every`` steps, warm-started explicitly from the previous
    plan shifted by the steps executed, and returns the next action [A] in [-1, 1].

    Short-term memory (LeCun's module) is exactly: the last plan, the step counter, the goal.

    ``prior``: None, or what proposes from observations (``control.ActorPrior``, also handed to
    the planner): before each plan it is told the planned problems' observations and goal
    observations (``observe``).
    """

    def __init__(self, model, planner, cost, replan_every: int = 1, device="cpu", prior=None):
        if replan_every < 1:
            raise ValueError(f"replan_every must be >= 1, got {replan_every}")
        self.model, self.planner, self.base_cost, self.prior = model, planner, cost, prior
        self.replan_every = int(replan_every)
        self.device = torch.device(device)
        self.plan_: Plan | None = None
        self.cost = cost
        self.t = 0
        self.last_plan_ms = 0.0

    def reset(self, goal_obs=None) -> None:
        """Start an episode toward ``goal_obs`` (one observation, no batch axis; None: a cost
        without a goal, such as a return)."""
        self.reset_batch(None if goal_obs is None else self._batch_of_one(goal_obs))

    def reset_batch(self, goal_obs=None) -> None:
        """Start N episodes at once toward ``goal_obs`` [N, *O] (one goal per problem; None: a
        cost without a goal, which all N share)."""
        self.rows: list[int] | None = None  # the problems planned (None: all)
        self.goal_obs = None  # [N, *O], for the prior
        if self.prior is not None:
            self.prior.reset()
        if goal_obs is None:
            self.cost, self.plan_, self.t = self.base_cost, None, 0
            return
        self.goal_obs = self._obs_batch(goal_obs)
        with torch.no_grad():
            z_goal = self.model.encode(self.goal_obs)  # [N, *Z]
        has_goal = isinstance(self.base_cost, GoalCost)
        self.cost = self.base_cost.with_goal(z_goal) if has_goal else self.base_cost
        self.plan_, self.t = None, 0

    def retarget(self, goal_obs) -> None:
        """Aim the running episode at a new goal ``goal_obs`` (one observation, no batch axis),
        keeping the last plan as the warm start and the replanning clock: a moving subgoal."""
        if not isinstance(self.base_cost, GoalCost):
            raise ValueError(f"{type(self.base_cost).__name__} takes no goal to retarget")
        self.goal_obs = self._obs_batch(self._batch_of_one(goal_obs))
        with torch.no_grad():
            z_goal = self.model.encode(self.goal_obs)
        self.cost = self.base_cost.with_goal(z_goal)

    def act(self, obs) -> np.ndarray:
        """Next action [A] for observation ``obs`` (no batch axis)."""
        return self.act_batch(self._batch_of_one(obs))[0]

    def act_batch(self, obs, active: list[int] | None = None) -> np.ndarray:
        """Next actions [N, A] for observations ``obs`` [N, *O]: the N problems are planned in
        one planner call (each with its own goal, warm start and, with per-problem seeds, noise).
        ``active``: the problems still running (a batch's finished episodes are dropped from the
        planner's batch for good, their rows of the answer left zero); a planner that cannot
        narrow (``types.Narrowable``) keeps planning them all."""
        n = len(obs)
        self.rows = list(range(n)) if self.rows is None else self.rows
        if active is not None and isinstance(self.planner, Narrowable):
            self._narrow(list(active))
        rows = self.rows
        k = self.t % self.replan_every
        if k == 0:
            x = self._obs_batch(obs)[rows]
            if self.prior is not None:
                if self.goal_obs is None:
                    raise ValueError("a prior that reads observations needs goal observations")
                self.prior.observe(x, self.goal_obs[rows], rows, self.t)
            with torch.no_grad():
                z0 = self.model.encode(x)  # [R, *Z]
            init = self.plan_.shifted(self.replan_every) if self.plan_ is not None else None
            start = time.perf_counter()
            self.plan_ = self.planner.plan(z0, self.cost, init)
            self.last_plan_ms = 1000 * (time.perf_counter() - start)
        self.t += 1
        planned = self.plan_.actions[:, k].detach().cpu().numpy().astype(np.float64)  # [R, A]
        # planners guard this already; never send NaN to a robot
        if not np.all(np.isfinite(planned)):
            raise FloatingPointError(f"planner returned a non-finite action {planned}")
        actions = np.zeros((n, planned.shape[1]))
        actions[rows] = planned
        return actions

    def _narrow(self, active: list[int]) -> None:
        """Plan only problems ``active`` (of the N) from now on: the planner's per-problem state,
        the goals and the last plan keep their rows."""
        if active == self.rows:
            return
        keep = [self.rows.index(i) for i in active]  # positions in the current batch
        self.planner.keep_rows(keep)
        goal = self.cost.goal if isinstance(self.cost, GoalCost) else None
        if goal is not None and goal.dim() > 1 and len(goal) == len(self.rows):
            self.cost = self.cost.with_goal(goal[keep])
        if self.plan_ is not None:
            self.plan_ = self.plan_.rows(keep)
        self.rows = active

    @staticmethod
    def _batch_of_one(obs):
        if isinstance(obs, (str, bytes, dict)) or obs is None:
            return obs  # refused with its type named by _obs_batch
        return np.asarray(obs)[None]

    def _obs_batch(self, obs) -> Tensor:
        """[N, *O] observations (or goals) as a tensor, checked."""
        # states arrive as float32, physics states (oracle) as float64: the model keeps
        # what it needs
        arr = (
            np.asarray(obs) if not isinstance(obs, (str, bytes, dict)) and obs is not None else None
        )
        if arr is None or arr.dtype.kind not in "fiub":
            raise TypeError(
                f"observations and goals must be numeric arrays, got {type(obs).__name__}: "
                f"{str(obs)[:80]!r}"
            )
        shape = self.model.obs_shape
        if len(shape) == 3 and (arr.dtype != np.uint8 or arr.shape[1:] != tuple(shape)):
            # a float image in [0, 1] or an HWC image would be silently misread by the pixel encoder
            raise ValueError(
                f"image observations and goals must be uint8 of shape {tuple(shape)} (use "
                f"FrameStack), got {arr.dtype} {arr.shape[1:]}"
            )
        x = torch.as_tensor(arr, device=self.device)
        if x.is_floating_point() and not torch.isfinite(x).all():
            raise ValueError(f"observation has non-finite values: {arr}")
        return x

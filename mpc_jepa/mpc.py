"""Receding-horizon control: plan, execute the first action(s), replan; and an episode runner."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import Tensor

from mpc_jepa.types import Plan


class CountingModel:
    """Wraps a world model and counts transitions it predicts (rows x steps), for fair budgets."""

    def __init__(self, model):
        self.inner = model
        self.action_dim = model.action_dim
        self.evals = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, obs: Tensor) -> Tensor:
        return self.inner.encode(obs)

    def predict(self, z: Tensor, action: Tensor) -> Tensor:
        self.evals += int(z.shape[0])
        return self.inner.predict(z, action)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        self.evals += int(actions.shape[0] * actions.shape[1])
        return self.inner.rollout(z0, actions)


class MPCController:
    """Model-predictive controller over any ``WorldModel`` and ``Planner``.

    ``reset(goal_obs)`` encodes the goal and binds it into ``cost`` (anything with ``with_goal``);
    ``act(obs)`` replans every ``replan_every`` steps, warm-started explicitly from the previous
    plan shifted by the steps executed, and returns the next action [A] in [-1, 1].

    Short-term memory (LeCun's module) is exactly: the last plan, the step counter, the goal.
    """

    def __init__(self, model, planner, cost, replan_every: int = 1, device="cpu"):
        if replan_every < 1:
            raise ValueError(f"replan_every must be >= 1, got {replan_every}")
        self.model, self.planner, self.base_cost = model, planner, cost
        self.replan_every = int(replan_every)
        self.device = torch.device(device)
        self.plan_: Plan | None = None
        self.cost = cost
        self.t = 0
        self.last_plan_ms = 0.0

    def reset(self, goal_obs) -> None:
        """Start an episode toward ``goal_obs`` (one observation, no batch axis)."""
        with torch.no_grad():
            z_goal = self.model.encode(self._obs_batch(goal_obs))  # [1, *Z]
        self.cost = self.base_cost.with_goal(z_goal) if hasattr(self.base_cost, "with_goal") else self.base_cost
        self.plan_, self.t = None, 0

    def _obs_batch(self, obs) -> Tensor:
        # states arrive as float32, physics states (oracle) as float64: the model keeps what it needs
        arr = np.asarray(obs) if not isinstance(obs, (str, bytes, dict)) else None
        if arr is None or arr.dtype.kind not in "fiub":
            raise TypeError(f"observations and goals must be numeric arrays, got {type(obs).__name__}: {str(obs)[:80]!r}")
        shape = getattr(self.model, "obs_shape", None)
        if shape is not None and len(shape) == 3 and (arr.dtype != np.uint8 or arr.shape != tuple(shape)):
            # a float image in [0, 1] or an HWC image would be silently misread by the pixel encoder
            raise ValueError(f"image observations and goals must be uint8 of shape {tuple(shape)} (use FrameStack), got {arr.dtype} {arr.shape}")
        x = torch.as_tensor(arr, device=self.device)
        if x.is_floating_point() and not torch.isfinite(x).all():
            raise ValueError(f"observation has non-finite values: {np.asarray(obs)}")
        return x.unsqueeze(0)

    def act(self, obs) -> np.ndarray:
        """Next action [A] for observation ``obs`` (no batch axis)."""
        k = self.t % self.replan_every
        if k == 0:
            with torch.no_grad():
                z0 = self.model.encode(self._obs_batch(obs))  # [1, *Z]
            init = self.plan_.shifted(self.replan_every) if self.plan_ is not None else None
            start = time.perf_counter()
            self.plan_ = self.planner.plan(z0, self.cost, init)
            self.last_plan_ms = 1000 * (time.perf_counter() - start)
        self.t += 1
        action = self.plan_.actions[0, k].detach().cpu().numpy().astype(np.float64)
        if not np.all(np.isfinite(action)):  # planners guard this already; never send NaN to a robot
            raise FloatingPointError(f"planner returned a non-finite action {action}")
        return action


@dataclass
class EpisodeResult:
    """One closed-loop episode."""

    success: bool
    final_distance: float
    min_distance: float
    start_distance: float
    steps: int
    ms_per_step: float
    """Median wall-clock milliseconds per control step (planning + encoding)."""
    mean_ms_per_step: float
    """Their mean: differs from the median when some steps replan more (a hierarchy's slow level)."""
    model_evals_per_step: float
    """Predicted transitions per control step (mean)."""
    seed: int = 0
    trajectory: list = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("trajectory")
        return d


def run_episode(
    task,
    controller: MPCController,
    seed: int,
    *,
    observe=None,
    max_steps: int | None = None,
    record: bool = False,
    frames: list | None = None,
    counters: list | None = None,
) -> EpisodeResult:
    """Run one goal-reaching episode: reset ``task`` with ``seed``, control until its length.

    Args:
        observe: maps the task's observation dict to the controller's input
            (default: ``obs['state']``; the oracle uses the physics state).
        record: keep the physical trajectory in the result.
        frames: if a list, rendered frames (goal shown) are appended to it.
        counters: ``CountingModel``s whose evaluations are summed (default: the controller's model).
    Success is the task's physical test at the final step.
    """
    observe = observe or (lambda t, o: o["state"])
    obs = task.reset(seed=seed)
    if hasattr(observe, "reset"):
        observe.reset()
    goal = {"state": task.goal.state, "pixels": task.goal.pixels, "physics": task.goal.physics_state}
    goal_obs = observe.goal(goal) if hasattr(observe, "goal") else observe(task, goal)
    controller.reset(goal_obs)
    if counters is None:
        counters = [controller.model] if isinstance(controller.model, CountingModel) else []
    evals0 = sum(c.evals for c in counters)
    start_distance = task.distance()
    times, dists, traj = [], [], []
    steps = max_steps or task.episode_length
    for _ in range(steps):
        if frames is not None:
            frames.append(task.render(show_goal=True))
        start = time.perf_counter()
        action = controller.act(observe(task, {**obs, "physics": task.get_state()}))
        times.append(1000 * (time.perf_counter() - start))
        obs = task.step(action)
        dists.append(task.distance())
        if record:
            traj.append(task.physical())
    if frames is not None:
        frames.append(task.render(show_goal=True))
    return EpisodeResult(
        success=bool(task.success()),
        final_distance=float(dists[-1]),
        min_distance=float(min(dists)),
        start_distance=float(start_distance),
        steps=steps,
        ms_per_step=float(np.median(times)),
        mean_ms_per_step=float(np.mean(times)),
        model_evals_per_step=((sum(c.evals for c in counters) - evals0) / steps) if counters else float("nan"),
        seed=seed,
        trajectory=traj,
    )


class FrameStack:
    """Observation function for pixel models: the last ``history`` frames as [3h, H, W] uint8
    (oldest first; the first frame repeated at an episode's start). The goal image is repeated
    h times: a goal at rest. Pass as ``run_episode(observe=FrameStack(h))``; goal images must be
    [H, W, 3] uint8 like the task's observations."""

    def __init__(self, history: int = 1):
        if history < 1:
            raise ValueError(f"history must be >= 1, got {history}")
        self.history, self.frames = history, []

    def reset(self) -> None:
        self.frames = []

    @staticmethod
    def _chw(image) -> np.ndarray:
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"images must be [H, W, 3] uint8, got {image.dtype} {image.shape}")
        return image.transpose(2, 0, 1)

    def goal(self, goal: dict) -> np.ndarray:
        if goal.get("pixels") is None:
            raise ValueError("the task renders no pixels: load it with pixels=True")
        return np.concatenate([self._chw(goal["pixels"])] * self.history, 0)

    def __call__(self, task, obs) -> np.ndarray:
        frame = self._chw(obs["pixels"])
        self.frames = (self.frames or [frame] * self.history)[1:] + [frame]
        return np.concatenate(self.frames, 0)


def observe_physics(task, obs) -> np.ndarray:
    """Observation function for the oracle: the full physics state."""
    return obs["physics"]

"""One closed-loop goal-reaching episode of a task under a controller, and its result."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from mpc_jepa.control.controller import MPCController
from mpc_jepa.control.counting import CountingModel


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
    """Their mean: differs from the median when some steps replan more (a hierarchy's slow
    level)."""
    model_evals_per_step: float | None
    """Predicted transitions per control step (mean); None when no model counted them."""
    seed: int = 0
    task_id: int | None = None
    """Which of the task's fixed evaluation goals the episode played (OGBench), else None."""
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
    Success is the task's physical test at the final step; a task that ``terminates_at_success``
    (OGBench) ends the episode at its first successful step.
    """
    observe = observe or (lambda t, o: o["state"])
    obs = _start(task, controller, observe, seed)
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
        if ends_at_success(task):
            break
    if frames is not None:
        frames.append(task.render(show_goal=True))
    return EpisodeResult(
        success=bool(task.success()),
        final_distance=float(dists[-1]),
        min_distance=float(min(dists)),
        start_distance=float(start_distance),
        steps=len(dists),
        ms_per_step=float(np.median(times)),
        mean_ms_per_step=float(np.mean(times)),
        model_evals_per_step=(sum(c.evals for c in counters) - evals0) / len(dists)
        if counters
        else None,
        seed=seed,
        task_id=getattr(task, "task_id", None),
        trajectory=traj,
    )


def ends_at_success(task) -> bool:
    """Whether ``task``'s episode ends now: it ``terminates_at_success`` and has succeeded."""
    return bool(getattr(task, "terminates_at_success", False) and task.success())


def _start(task, controller, observe, seed: int) -> dict:
    """Reset the task with ``seed``, the observer and the controller (bound to the goal as the
    observer shows it); the first observation dict."""
    obs = task.reset(seed=seed)
    if hasattr(observe, "reset"):
        observe.reset()
    controller.reset(goal_observation(task, observe))
    return obs


def goal_observation(task, observe):
    """The current episode's goal as ``observe`` shows observations (state, images, physics)."""
    goal = {
        "state": task.goal.state,
        "pixels": task.goal.pixels,
        "physics": task.goal.physics_state,
    }
    return observe.goal(goal) if hasattr(observe, "goal") else observe(task, goal)

"""One closed-loop episode of a task under a controller, and its result: a goal reached (goal
tasks) or a return earned (reward tasks, ``task.objective == 'reward'``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from mpc_jepa.control.controller import MPCController
from mpc_jepa.control.counting import CountingModel


@dataclass
class EpisodeResult:
    """One closed-loop episode. A reward task has no goal: its success and distances are None."""

    success: bool | None
    final_distance: float | None
    min_distance: float | None
    start_distance: float | None
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
    episode_return: float = 0.0
    """The task's rewards summed over the episode (a reward task's score; 0-1000 in the suite)."""
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
    """Run one episode: reset ``task`` with ``seed``, control until its length.

    Args:
        observe: maps the task's observation dict to the controller's input
            (default: ``obs['state']``; the oracle uses the physics state).
        record: keep the physical trajectory in the result.
        frames: if a list, rendered frames (goal shown) are appended to it.
        counters: ``CountingModel``s whose evaluations are summed (default: the controller's model).
    Success is the task's physical test at the final step; a task that ``terminates_at_success``
    (OGBench) ends the episode at its first successful step. A reward task is scored by its return.
    """
    observe = observe or (lambda t, o: o["state"])
    obs = _start(task, controller, observe, seed)
    if counters is None:
        counters = [controller.model] if isinstance(controller.model, CountingModel) else []
    evals0 = sum(c.evals for c in counters)
    goal_task = has_goal(task)
    start_distance = task.distance() if goal_task else None
    times, dists, traj, total = [], [], [], 0.0
    steps = max_steps or task.episode_length
    for _ in range(steps):
        if frames is not None:
            frames.append(task.render(show_goal=True))
        start = time.perf_counter()
        action = controller.act(observe(task, {**obs, "physics": task.get_state()}))
        times.append(1000 * (time.perf_counter() - start))
        obs = task.step(action)
        total += task.reward()
        dists.append(task.distance() if goal_task else None)
        if record:
            traj.append(task.physical())
        if ends_at_success(task):
            break
    if frames is not None:
        frames.append(task.render(show_goal=True))
    return EpisodeResult(
        **goal_outcome(task, start_distance, dists),
        steps=len(dists),
        ms_per_step=float(np.median(times)),
        mean_ms_per_step=float(np.mean(times)),
        model_evals_per_step=(sum(c.evals for c in counters) - evals0) / len(dists)
        if counters
        else None,
        seed=seed,
        task_id=task.task_id,
        episode_return=total,
        trajectory=traj,
    )


def has_goal(task) -> bool:
    """Whether ``task``'s episodes are judged by a goal (else by their return)."""
    return task.objective == "goal"


def goal_outcome(task, start: float | None, dists: list) -> dict:
    """A finished episode's success and distances (all None for a reward task)."""
    if not has_goal(task):
        return dict(success=None, final_distance=None, min_distance=None, start_distance=None)
    return dict(
        success=bool(task.success()),
        final_distance=float(dists[-1]),
        min_distance=float(min(dists)),
        start_distance=float(start),
    )


def ends_at_success(task) -> bool:
    """Whether ``task``'s episode ends now: it ``terminates_at_success`` and has succeeded."""
    return bool(task.terminates_at_success and has_goal(task) and task.success())


def _start(task, controller, observe, seed: int) -> dict:
    """Reset the task with ``seed``, the observer and the controller (bound to the goal as the
    observer shows it); the first observation dict."""
    obs = task.reset(seed=seed)
    if hasattr(observe, "reset"):
        observe.reset()
    controller.reset(goal_observation(task, observe))
    return obs


def goal_observation(task, observe):
    """The current episode's goal as ``observe`` shows observations (state, images, physics);
    None for a reward task."""
    if not has_goal(task):
        return None
    goal = {
        "state": task.goal.state,
        "pixels": task.goal.pixels,
        "physics": task.goal.physics_state,
    }
    return observe.goal(goal) if hasattr(observe, "goal") else observe(task, goal)

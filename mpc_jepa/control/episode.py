"""Closed-loop episodes of a task under a controller, and their results: a goal reached (goal
tasks) or a return earned (reward tasks, ``task.objective == 'reward'``).

One loop (``run_episodes``) runs N episodes in lockstep, planned in one call per control step;
``run_episode`` is its batch of one.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from mpc_jepa.control.controller import MPCController
from mpc_jepa.control.counting import CountingModel
from mpc_jepa.control.observers import Observer, as_observer


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
    """Run one episode: reset ``task`` with ``seed``, control until its length (a batch of one
    of ``control.run_episodes``, the one episode loop).

    Args:
        observe: maps the task's observation dict to the controller's input
            (default: ``obs['state']``; the oracle uses the physics state).
        record: keep the physical trajectory in the result.
        frames: if a list, rendered frames (goal shown) are appended to it.
        counters: ``CountingModel``s whose evaluations are summed (default: the controller's model).
    Success is the task's physical test at the final step; a task that ``terminates_at_success``
    (OGBench) ends the episode at its first successful step. A reward task is scored by its return.
    """
    from_batch = run_episodes(
        [task],
        controller,
        [seed],
        observers=[observe],
        max_steps=max_steps,
        counters=counters,
        record=record,
        frames=None if frames is None else [frames],
    )
    return from_batch[0]


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


def goal_observation(task, observe: Observer):
    """The current episode's goal as ``observe`` shows observations (state, images, physics);
    None for a reward task."""
    if not has_goal(task):
        return None
    goal = {
        "state": task.goal.state,
        "pixels": task.goal.pixels,
        "physics": task.goal.physics_state,
    }
    return observe.goal(task, goal)


def run_episodes(
    tasks: list,
    controller: MPCController,
    seeds: list[int],
    *,
    observers: list | None = None,
    max_steps: int | list[int] | None = None,
    counters: list | None = None,
    record: bool = False,
    frames: list | None = None,
) -> list[EpisodeResult]:
    """Run ``len(tasks)`` episodes together: task i is reset with ``seeds[i]``, and every control
    step the controller plans all running episodes in one call (``act_batch``), each with its own
    goal, warm start and, with per-problem planner seeds, its own noise.

    Args:
        tasks: N task instances, one per episode.
        controller: ``reset_batch(goals [N, *O] or None)`` and ``act_batch(obs [N, *O], active)
            -> [N, A]`` with ``active`` the episodes still running (``MPCController`` drops the
            others from its planner's batch; ``ActorController``).
        observers: N observers (``control.observers``; None, the default: ``obs['state']``); one
            per episode, since a ``FrameStack`` keeps its episode's frames.
        max_steps: control steps per episode: None (each task's episode length), one int, or N
            ints; each episode ends at its own length (finished ones are no longer stepped), or
            at its first success where the task ``terminates_at_success``.
        counters: ``CountingModel``s whose evaluations are counted (default: the controller's).
        record: keep each episode's physical trajectory in its result.
        frames: N lists (or None) to which each episode's rendered frames (goal shown) are
            appended.
    Returns:
        N ``EpisodeResult``s. Time and model evaluations of a batched step are shared equally by
        the episodes running in it (``ms_per_step``: an episode's share of the batch's time).
    """
    n = len(tasks)
    observers = [as_observer(o) for o in (observers or [None] * n)]  # None: the state
    lengths = _lengths(tasks, max_steps)
    if len(seeds) != n or len(observers) != n:
        raise ValueError(
            f"need one seed and one observer per task: {n} tasks, {len(seeds)} seeds, "
            f"{len(observers)} observers"
        )
    obs = _start_all(tasks, controller, observers, seeds)
    counters = _counters(controller, counters)
    start = [task.distance() if has_goal(task) else None for task in tasks]
    times, evals, dists = [[] for _ in tasks], [[] for _ in tasks], [[] for _ in tasks]
    returns, trajectories = [0.0] * n, [[] for _ in tasks]
    frames = frames or [None] * n
    inputs = [None] * n
    for t in range(max(lengths)):
        running = [i for i in range(n) if t < lengths[i]]
        if not running:
            break
        for i in running:  # finished episodes keep their last input (never observed again)
            if frames[i] is not None:
                frames[i].append(tasks[i].render(show_goal=True))
            inputs[i] = observers[i](tasks[i], {**obs[i], "physics": tasks[i].get_state()})
        evals0, clock = sum(c.evals for c in counters), time.perf_counter()
        # finished episodes leave the planner's batch (their inputs: the last, never planned)
        actions = controller.act_batch(np.stack(inputs), active=running)  # [N, A]
        ms = 1000 * (time.perf_counter() - clock) / len(running)
        spent = (sum(c.evals for c in counters) - evals0) / len(running)
        for i in running:
            obs[i] = tasks[i].step(actions[i])
            returns[i] += tasks[i].reward()
            dists[i].append(tasks[i].distance() if has_goal(tasks[i]) else None)
            times[i].append(ms)
            evals[i].append(spent)
            if record:
                trajectories[i].append(tasks[i].physical())
            if ends_at_success(tasks[i]):
                lengths[i] = t + 1  # its own end: not stepped again
    for task, shown in zip(tasks, frames):
        if shown is not None:
            shown.append(task.render(show_goal=True))
    episodes = zip(tasks, start, dists, times, evals, lengths, seeds, returns, trajectories)
    return [_result(*e, counted=bool(counters)) for e in episodes]


def _start_all(tasks: list, controller, observers: list, seeds: list[int]) -> list[dict]:
    """Reset every task, observer and the controller (bound to every goal); first observations."""
    obs = [task.reset(seed=seed) for task, seed in zip(tasks, seeds)]
    for observe in observers:
        observe.reset()  # a FrameStack starts its episode's history
    goals = [goal_observation(t, o) for t, o in zip(tasks, observers)]
    controller.reset_batch(None if goals[0] is None else np.stack(goals))  # reward tasks: None
    return obs


def _result(
    task, start, dists, times, evals, steps, seed, total, trajectory, counted: bool
) -> EpisodeResult:
    """One finished episode's result (its task is at its final state)."""
    return EpisodeResult(
        **goal_outcome(task, start, dists),
        steps=steps,
        ms_per_step=float(np.median(times)),
        mean_ms_per_step=float(np.mean(times)),
        model_evals_per_step=float(np.mean(evals)) if counted else None,
        seed=seed,
        task_id=task.task_id,
        episode_return=float(total),
        trajectory=trajectory,
    )


def _counters(controller, counters: list | None) -> list:
    """The ``CountingModel``s to read: those given, else the controller's model if it counts."""
    if counters is not None:
        return counters
    return [controller.model] if isinstance(controller.model, CountingModel) else []


def _lengths(tasks: list, max_steps) -> list[int]:
    """Control steps of each episode (see ``run_episodes``)."""
    if max_steps is None:
        return [task.episode_length for task in tasks]
    lengths = [max_steps] * len(tasks) if isinstance(max_steps, int) else list(max_steps)
    if len(lengths) != len(tasks) or any(int(m) < 1 for m in lengths):
        raise ValueError(f"max_steps must be >= 1, one per task ({len(tasks)}), got {max_steps}")
    return [int(m) for m in lengths]

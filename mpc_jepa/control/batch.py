"""Many episodes in lockstep: one batched planner call per control step for all."""

from __future__ import annotations

import time

import numpy as np

from mpc_jepa.control.controller import MPCController
from mpc_jepa.control.counting import CountingModel
from mpc_jepa.control.episode import (
    EpisodeResult,
    ends_at_success,
    goal_observation,
    goal_outcome,
    has_goal,
)


def _state(task, obs):
    return obs["state"]


def run_episodes(
    tasks: list,
    controller: MPCController,
    seeds: list[int],
    *,
    observers: list | None = None,
    max_steps: int | list[int] | None = None,
    counters: list | None = None,
) -> list[EpisodeResult]:
    """Run ``len(tasks)`` episodes together: task i is reset with ``seeds[i]``, and every control
    step the controller plans all running episodes in one call (``act_batch``), each with its own
    goal, warm start and, with per-problem planner seeds, its own noise.

    Args:
        tasks: N task instances, one per episode.
        observers: N observation functions (None, the default: ``obs['state']``); one per
            episode, since a ``FrameStack`` keeps its episode's frames.
        max_steps: control steps per episode: None (each task's episode length), one int, or N
            ints; each episode ends at its own length (finished ones are no longer stepped), or
            at its first success where the task ``terminates_at_success``.
        counters: ``CountingModel``s whose evaluations are counted (default: the controller's).
    Returns:
        N ``EpisodeResult``s. Time and model evaluations of a batched step are shared equally by
        the episodes running in it (``ms_per_step``: an episode's share of the batch's time).
    """
    n = len(tasks)
    observers = [o or _state for o in (observers or [None] * n)]  # None: the state
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
    returns = [0.0] * n
    inputs = [None] * n
    for t in range(max(lengths)):
        running = [i for i in range(n) if t < lengths[i]]
        if not running:
            break
        for i in running:  # finished episodes keep their last input (never observed again)
            inputs[i] = observers[i](tasks[i], {**obs[i], "physics": tasks[i].get_state()})
        evals0, clock = sum(c.evals for c in counters), time.perf_counter()
        actions = controller.act_batch(np.stack(inputs))  # [N, A]
        ms = 1000 * (time.perf_counter() - clock) / len(running)
        spent = (sum(c.evals for c in counters) - evals0) / len(running)
        for i in running:
            obs[i] = tasks[i].step(actions[i])
            returns[i] += tasks[i].reward()
            dists[i].append(tasks[i].distance() if has_goal(tasks[i]) else None)
            times[i].append(ms)
            evals[i].append(spent)
            if ends_at_success(tasks[i]):
                lengths[i] = t + 1  # its own end: not stepped again
    episodes = zip(tasks, start, dists, times, evals, lengths, seeds, returns)
    return [_result(*e, counted=bool(counters)) for e in episodes]


def _start_all(tasks: list, controller, observers: list, seeds: list[int]) -> list[dict]:
    """Reset every task, observer and the controller (bound to every goal); first observations."""
    obs = [task.reset(seed=seed) for task, seed in zip(tasks, seeds)]
    for observe in (o for o in observers if hasattr(o, "reset")):
        observe.reset()  # a FrameStack starts its episode's history
    goals = [goal_observation(t, o) for t, o in zip(tasks, observers)]
    controller.reset_batch(None if goals[0] is None else np.stack(goals))  # reward tasks: None
    return obs


def _result(task, start, dists, times, evals, steps, seed, total, counted: bool) -> EpisodeResult:
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

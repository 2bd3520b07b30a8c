"""Closed-loop evaluation: seeded episodes of a planner on a task, summarised."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from tqdm import tqdm

from mpc_jepa.control import (
    CountingModel,
    FrameStack,
    Observer,
    observe_physics,
    run_episodes,
)
from mpc_jepa.evaluation.factory import make_controller, planning_model
from mpc_jepa.evaluation.settings import PlanSettings
from mpc_jepa.models.oracle import OracleModel


def evaluate(
    task,
    model,
    s: PlanSettings,
    episodes: int,
    seed: int = 0,
    progress: bool = True,
    device="cpu",
    slow_model=None,
    indices=None,
    batch: int = 1,
    heads=None,
    distance=None,
    actor=None,
) -> dict:
    """Run ``episodes`` seeded episodes (seeds seed, seed+1, ...) and summarise.

    ``indices``: run only these episode numbers (in [0, episodes)): a shard of a sweep. Episode i
    always uses task seed ``seed + i`` and planner seed ``planner_seed + seed + i``, so shards
    merged in order equal the sequential run. ``batch``: episodes advanced together, all planned
    in one call per control step (``control.run_episodes``; the others run on ``task.spawn()``
    instances); each keeps its own seeds, so results equal the sequential run's up to float
    rounding in the batched model calls. ``heads``: a reward task's reward head and critic
    (``ValueHeads``): the planners minimise the return cost. ``slow_model`` / ``distance``: the
    slow level and the learned distance, for the settings that read them
    (``factory.needs_slow_model`` / ``needs_distance``). ``actor``: a goal actor whose chunks
    propose ``s.sampling.policy_samples`` of CEM's candidates (``control.ActorPrior``). Returns
    {"summary": {...}, "episodes": [...]} with stable keys (see README).
    """
    if episodes < 1 or batch < 1:
        raise ValueError(f"episodes and batch must be >= 1, got {episodes}, {batch}")
    _check_objective(task, heads)
    indices = _episode_indices(episodes, indices)
    counting = CountingModel(planning_model(model, s))
    slow_counting = CountingModel(planning_model(slow_model, s)) if slow_model is not None else None
    counters = [c for c in (counting, slow_counting) if c is not None]
    task_pool = [task] + [task.spawn() for _ in range(min(batch, len(indices)) - 1)]
    results = []
    chunks = (indices[j : j + batch] for j in range(0, len(indices), batch))
    bar = tqdm(
        total=len(indices), desc=f"eval {task.name} {s.planner}", disable=not progress, unit="ep"
    )
    for chunk in chunks:
        # each episode seeded by its number: results do not depend on order or batching
        seeds = tuple(s.planner_seed + seed + i for i in chunk)
        # one episode at a time: a single-problem planner seeded as the episode
        one, seeds = (replace(s, planner_seed=seeds[0]), None) if batch == 1 else (s, seeds)
        controller = make_controller(
            model, one, counting, slow_counting, distance, heads, actor, seeds, device
        )
        episode_seeds = [seed + i for i in chunk]
        observers = [observer(model) for _ in chunk]
        results += run_episodes(
            task_pool[: len(chunk)], controller, episode_seeds, observers=observers,
            counters=counters,
        )  # fmt: skip
        bar.update(len(chunk))
    bar.close()
    episodes_out = [r.as_dict() for r in results]
    return {"summary": summarize(episodes_out), "episodes": episodes_out}


def _episode_indices(episodes: int, indices) -> range | list[int]:
    """The episode numbers to run: a range stays a range (a huge count costs nothing before it
    runs), anything else a list; all in [0, episodes)."""
    indices = range(episodes) if indices is None else indices
    indices = indices if isinstance(indices, range) else list(indices)
    ends = (indices[0], indices[-1]) if isinstance(indices, range) and indices else indices
    if len(indices) and not (0 <= min(ends) and max(ends) < episodes):
        raise ValueError(f"episode indices must lie in [0, {episodes}), got {indices}")
    return indices


def _check_objective(task, heads) -> None:
    """A reward task needs value heads (its cost is a return), a goal task must not get them."""
    objective = task.objective
    if (objective == "reward") != (heads is not None):
        raise ValueError(
            f"{task.name}: a reward task plans with value heads, a goal task without them"
            f" (objective {objective!r}, heads given: {heads is not None})"
        )


def observer(model) -> Observer:
    """The observer ``run_episode`` needs for ``model``: the physics state (the oracle), a
    ``FrameStack`` (pixels) or the state."""
    if isinstance(model, OracleModel):
        return observe_physics
    shape = model.obs_shape
    return FrameStack(shape[0] // 3) if len(shape) == 3 else Observer()


def _stat(f, values: list) -> float | None:
    """f(values) as a float; None when any value is None (a reward task has no distances)."""
    return None if any(v is None for v in values) else float(f(values))


def summarize(episodes: list[dict]) -> dict:
    """Summary of per-episode result dicts (``EpisodeResult.as_dict()``); a reward task's success
    and distances are None, its score the returns."""
    col = lambda k: [e.get(k, 0.0) for e in episodes]  # noqa: E731
    summary = {
        "episodes": len(episodes),
        "success_rate": _stat(np.mean, col("success")),
        "mean_final_distance": _stat(np.mean, col("final_distance")),
        "median_final_distance": _stat(np.median, col("final_distance")),
        "mean_start_distance": _stat(np.mean, col("start_distance")),
        "mean_return": float(np.mean(col("episode_return"))),
        "std_return": float(np.std(col("episode_return"))),
        "median_ms_per_step": float(np.median(col("ms_per_step"))),
        "mean_ms_per_step": float(np.mean(col("mean_ms_per_step"))),
        "model_evals_per_step": _stat(np.mean, col("model_evals_per_step")),
        "mean_steps": float(np.mean(col("steps"))),
    }
    ids = sorted({e.get("task_id") for e in episodes} - {None})
    if ids:  # a benchmark's fixed goals (OGBench): success per goal, as its tables report
        summary["success_rate_per_task"] = {
            f"task{i}": float(np.mean([e["success"] for e in episodes if e.get("task_id") == i]))
            for i in ids
        }
    return summary


def hard_episode_seeds(task, first: int, n: int, limit: int = 10000) -> list[int]:
    """The first ``n`` episode seeds from ``first`` whose episodes ``task.is_hard_episode()``
    (their straight line to the goal is blocked): chosen by geometry, never by outcome."""
    seeds = []
    for seed in range(first, first + limit):
        task.reset(seed=seed)
        if task.is_hard_episode():
            seeds.append(seed)
            if len(seeds) == n:
                return seeds
    raise ValueError(
        f"{task.name}: only {len(seeds)} hard episodes among seeds {first}..{first + limit - 1}"
    )

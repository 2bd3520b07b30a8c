"""Closed-loop evaluation: seeded episodes of a planner on a task, summarised."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from tqdm.auto import tqdm

from mpc_jepa.control import CountingModel, FrameStack, MPCController, observe_physics, run_episode
from mpc_jepa.evaluation.factory import make_cost, make_planner, planning_model
from mpc_jepa.evaluation.settings import PlanSettings


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
) -> dict:
    """Run ``episodes`` seeded episodes (seeds seed, seed+1, ...) and summarise.

    ``indices``: run only these episode numbers (in [0, episodes)): a shard of a sweep. Episode i
    always uses task seed ``seed + i`` and planner seed ``planner_seed + seed + i``, so shards
    merged in order equal the sequential run. Returns {"summary": {...}, "episodes": [...]} with
    stable keys (see README).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    indices = range(episodes) if indices is None else list(indices)
    if any(not 0 <= i < episodes for i in indices):
        raise ValueError(f"episode indices must lie in [0, {episodes}), got {list(indices)}")
    counting = CountingModel(planning_model(model, s))
    slow_counting = CountingModel(planning_model(slow_model, s)) if slow_model is not None else None
    is_oracle = hasattr(model, "goal_features")
    results = []
    for i in tqdm(indices, desc=f"eval {task.name} {s.planner}", disable=not progress, unit="ep"):
        # a fresh planner per episode, seeded by the episode: results do not depend on episode order
        si = replace(s, planner_seed=s.planner_seed + seed + i)
        planner = make_planner(
            s.planner,
            counting,
            si,
            slow_model=slow_counting if s.planner == "hierarchical" else None,
        )
        controller = MPCController(
            counting, planner, make_cost(model, s, slow_model), s.replan_every, device=device
        )
        counters = [c for c in (counting, slow_counting) if c is not None]
        observe = observe_physics if is_oracle else observer(model)
        results.append(
            run_episode(task, controller, seed=seed + i, observe=observe, counters=counters)
        )
    episodes_out = [r.as_dict() for r in results]
    return {"summary": summarize(episodes_out), "episodes": episodes_out}


def observer(model):
    """The observation function ``run_episode`` needs for ``model``: None (states) or a
    ``FrameStack`` (pixels)."""
    shape = getattr(model, "obs_shape", ())
    return FrameStack(shape[0] // 3) if len(shape) == 3 else None


def _mean(values: list) -> float | None:
    """Mean of numbers; None when any is None (e.g. evaluations not counted)."""
    return None if any(v is None for v in values) else float(np.mean(values))


def summarize(episodes: list[dict]) -> dict:
    """Summary of per-episode result dicts (``EpisodeResult.as_dict()``)."""
    col = lambda k: [e[k] for e in episodes]  # noqa: E731
    return {
        "episodes": len(episodes),
        "success_rate": float(np.mean(col("success"))),
        "mean_final_distance": float(np.mean(col("final_distance"))),
        "median_final_distance": float(np.median(col("final_distance"))),
        "mean_start_distance": float(np.mean(col("start_distance"))),
        "median_ms_per_step": float(np.median(col("ms_per_step"))),
        "mean_ms_per_step": float(np.mean(col("mean_ms_per_step"))),
        "model_evals_per_step": _mean(col("model_evals_per_step")),
    }


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

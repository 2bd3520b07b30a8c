"""Evaluation sweeps sharded across processes (``--workers N``) or torchrun ranks.

A job is a picklable description (``EvalSettings`` and ``PlanSettings``: names and paths, not live
models): each worker loads the task and models itself and runs its share of the episode numbers.
Episode i always uses the same task and planner seeds (see ``evaluation.closed_loop.evaluate``),
so the merged results equal a sequential run; only the timings differ.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import torch

import tasks
from mpc_jepa.evaluation import PlanSettings, evaluate, summarize
from mpc_jepa.pipeline.eval_settings import EvalSettings, load_planning_models
from mpc_jepa.training import distributed


def run_shard(s: EvalSettings, ps: PlanSettings, indices: list[int]) -> list[dict]:
    """Run episodes ``indices`` of ``s`` planned with ``ps`` in this process; their per-episode
    result dicts."""
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels)
    m = load_planning_models(task, s, ps, s.device)
    return evaluate(
        task, m.model, ps, s.episodes, seed=s.seed, progress=False, device=s.device,
        slow_model=m.slow, distance=m.distance, indices=indices, batch=s.batch, heads=m.heads,
        actor=m.actor,
    )["episodes"]  # fmt: skip


def shards(episodes: int, n: int) -> list[range]:
    """Episode numbers dealt round-robin to ``n`` shards (balances easy and hard seeds)."""
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    return [range(r, episodes, n) for r in range(min(n, episodes))]


def _merge(parts: list[list[dict]]) -> dict:
    episodes = sorted((e for part in parts for e in part), key=lambda e: e["seed"])
    return {"summary": summarize(episodes), "episodes": episodes}


def _single_thread() -> None:
    torch.set_num_threads(1)  # N workers on N cores: no oversubscription


def evaluate_sharded(s: EvalSettings, ps: PlanSettings, workers: int) -> dict:
    """Run ``s`` with ``ps`` on ``workers`` processes (spawned: safe after torch has started
    threads)."""
    parts = shards(s.episodes, workers)
    with ProcessPoolExecutor(
        len(parts), mp_context=mp.get_context("spawn"), initializer=_single_thread
    ) as pool:
        results = list(pool.map(run_shard, [s] * len(parts), [ps] * len(parts), parts))
    return _merge(results)


def evaluate_ranks(s: EvalSettings, ps: PlanSettings) -> dict | None:
    """Run ``s`` with ``ps`` across torchrun ranks; rank 0 gets the merged result, the others
    None."""
    info = distributed.init_from_env(s.device)
    mine = shards(s.episodes, info.world_size)
    part = run_shard(s, ps, mine[info.rank]) if info.rank < len(mine) else []
    parts = distributed.gather_objects(part, info)
    return _merge(parts) if info.is_main else None


__all__ = ["run_shard", "shards", "evaluate_sharded", "evaluate_ranks"]

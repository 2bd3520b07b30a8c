"""Evaluation sweeps sharded across processes (``--workers N``) or torchrun ranks.

A job is a picklable description (names and paths, not live models): each worker loads the task
and models itself and runs its share of the episode numbers. Episode i always uses the same task
and planner seeds (see ``evaluation.closed_loop.evaluate``), so the merged results equal a
sequential run; only the timings differ.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import torch

import tasks
from mpc_jepa.evaluation import PlanSettings, evaluate, needs_slow_model, summarize
from mpc_jepa.pipeline.models import load_model, load_slow_model, load_value_model
from mpc_jepa.training import distributed


@dataclass(frozen=True)
class EvalJob:
    """What to evaluate; see ``mpc-jepa eval --help`` for the fields."""

    task: str
    model: str
    checkpoint: str
    slow_checkpoint: str
    device: str
    plan: PlanSettings
    episodes: int
    seed: int
    pixels: bool = False
    batch: int = 1
    value_checkpoint: str = ""


def run_shard(job: EvalJob, indices: list[int]) -> list[dict]:
    """Run episodes ``indices`` of ``job`` in this process; their per-episode result dicts."""
    task = tasks.load(job.task, seed=job.seed, pixels=job.pixels)
    model = load_model(task, job.model, job.checkpoint, job.device)
    slow = (
        load_slow_model(task, model, job.slow_checkpoint, job.plan.slow_search)
        if needs_slow_model(job.plan)
        else None
    )
    return evaluate(
        task,
        model,
        job.plan,
        job.episodes,
        seed=job.seed,
        progress=False,
        device=job.device,
        slow_model=slow,
        indices=indices,
        batch=job.batch,
        heads=load_value_model(task, model, job.value_checkpoint),
    )["episodes"]


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


def evaluate_sharded(job: EvalJob, workers: int) -> dict:
    """Run ``job`` on ``workers`` processes (spawned: safe after torch has started threads)."""
    parts = shards(job.episodes, workers)
    with ProcessPoolExecutor(
        len(parts), mp_context=mp.get_context("spawn"), initializer=_single_thread
    ) as pool:
        results = list(pool.map(run_shard, [job] * len(parts), parts))
    return _merge(results)


def evaluate_ranks(job: EvalJob) -> dict | None:
    """Run ``job`` across torchrun ranks; rank 0 gets the merged result, the others None."""
    info = distributed.init_from_env(job.device)
    mine = shards(job.episodes, info.world_size)
    part = run_shard(job, mine[info.rank]) if info.rank < len(mine) else []
    parts = distributed.gather_objects(part, info)
    return _merge(parts) if info.is_main else None


__all__ = ["EvalJob", "run_shard", "shards", "evaluate_sharded", "evaluate_ranks"]

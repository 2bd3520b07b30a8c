"""Sharded evaluation equals the sequential run (same seeds), across worker processes and torchrun
ranks."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

import tasks
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.pipeline.eval_settings import EvalSettings
from mpc_jepa.pipeline.sharding import evaluate_ranks, evaluate_sharded, shards

JOB = EvalSettings(task="point_mass", model="oracle", episodes=3, seed=7)
PLAN = PlanSettings.from_flags(planner="cem", num_samples=32, num_elites=4, num_iters=2, horizon=8)


def _without_timing(out):
    return [{k: v for k, v in e.items() if "ms_per_step" not in k} for e in out["episodes"]]


@pytest.fixture(scope="module")
def sequential():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # workers run one thread each; BLAS sums in thread-dependent order
    try:
        task = tasks.load(JOB.task, seed=JOB.seed)
        return evaluate(task, OracleModel(task), PLAN, JOB.episodes, seed=JOB.seed, progress=False)
    finally:
        torch.set_num_threads(threads)


def test_shards_cover_every_episode_once():
    assert [list(r) for r in shards(5, 2)] == [[0, 2, 4], [1, 3]]
    assert [list(r) for r in shards(2, 4)] == [[0], [1]]
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        shards(5, 0)


def test_worker_processes_equal_sequential(sequential):
    out = evaluate_sharded(JOB, PLAN, 2)
    assert _without_timing(out) == _without_timing(sequential)
    assert out["summary"]["success_rate"] == sequential["summary"]["success_rate"]


def _rank_main(rank, world, port, path):
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    out = evaluate_ranks(JOB, PLAN)
    assert (out is None) == (rank != 0)
    if out is not None:
        torch.save(out, path)
    torch.distributed.destroy_process_group()


def test_torchrun_ranks_equal_sequential(sequential, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_rank_main, args=(2, port, str(tmp_path / "out.pt")), nprocs=2, join=True)
    assert _without_timing(torch.load(tmp_path / "out.pt")) == _without_timing(sequential)

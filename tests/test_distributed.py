"""DistributedDataParallel training on CPU (gloo), two processes, against a single process."""

import csv
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

import tasks
from mpc_jepa import data
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import read_checkpoint
from mpc_jepa.training import TrainConfig, train

SMALL = WorldModelConfig(latent_dim=8, hidden=32)
STEPS = 50


def _config(**kw):
    return TrainConfig(
        **{
            "steps": STEPS,
            "batch_size": 64,
            "warmup_steps": 5,
            "eval_every": 1000,
            "checkpoint_every": 1000,
            **kw,
        }
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world: int, port: int, ds_path: str, out: str, stop_after, resume: bool):
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    res = train(
        data.Dataset(ds_path),
        out,
        _config(),
        SMALL,
        progress=False,
        stop_after=stop_after,
        resume=resume,
    )
    torch.save(res.model.state_dict(), f"{out}.rank{rank}")
    torch.distributed.destroy_process_group()


def _launch(world: int, ds_path, out, stop_after=None, resume=False):
    mp.spawn(
        _rank_main,
        args=(world, _free_port(), str(ds_path), str(out), stop_after, resume),
        nprocs=world,
        join=True,
    )


def _last_row(path):
    with open(path) as f:
        return list(csv.DictReader(f))[-1]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return data.collect(
        tasks.load("point_mass", seed=0),
        tmp_path_factory.mktemp("ddp") / "pm",
        episodes=20,
        episode_length=50,
        seed=0,
        progress=False,
    )


def test_two_process_ddp_matches_single_process(ds, tmp_path):
    _launch(2, ds.path, tmp_path / "ddp.pt")
    w0, w1 = torch.load(f"{tmp_path}/ddp.pt.rank0"), torch.load(f"{tmp_path}/ddp.pt.rank1")
    for k in w0:  # gradients all-reduced: the ranks hold identical weights
        torch.testing.assert_close(w0[k], w1[k], rtol=0, atol=1e-6)
    # rank 0 wrote the final checkpoint
    assert read_checkpoint(tmp_path / "ddp.pt")["meta"]["diagnostics"]["processes"] == 2
    single = train(ds, tmp_path / "one.pt", _config(), SMALL, progress=False)
    # same global batches; only batch-statistics terms (variance, spread) see half batches per rank
    a, b = _last_row(tmp_path / "ddp.csv"), _last_row(tmp_path / "one.csv")
    assert int(a["step"]) == int(b["step"]) == STEPS
    for key in ("pred", "total"):
        assert abs(float(a[key]) - float(b[key])) <= 0.1 * abs(float(b[key])) + 1e-3, (
            key,
            a[key],
            b[key],
        )
    sd = single.model.state_dict()
    rel = max(
        float((w0[k] - sd[k]).norm() / sd[k].norm().clamp_min(1e-6))
        for k in sd
        if sd[k].dtype.is_floating_point
    )
    assert rel < 0.1, rel


def test_resume_on_a_different_number_of_processes(ds, tmp_path):
    _launch(2, ds.path, tmp_path / "m.pt", stop_after=20)
    assert read_checkpoint(tmp_path / "m.pt")["train_state"]["step"] == 20
    # one process continues
    res = train(ds, tmp_path / "m.pt", _config(), SMALL, progress=False, resume=True)
    assert (
        res.metrics["processes"] == 1
        and read_checkpoint(tmp_path / "m.pt")["meta"]["step"] == STEPS
    )

"""Nothing lost, nothing mislabelled (docs/FAULTS.md): writers own what they write, one writer per
output, training never throws progress away, resumes check their inputs, nothing non-finite is
written, bounds are checked before work, and bad input is named at the door."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data
from mpc_jepa.cli import main
from mpc_jepa.costs import GoalDistance
from mpc_jepa.errors import (
    MpcJepaError,
    NonFiniteError,
    OutputError,
    OutputLockedError,
    ResourceError,
)
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import CheckpointError, atomic_torch_save, read_checkpoint
from mpc_jepa.outputs import lock_path, output_lock
from mpc_jepa.planners import CEMConfig, CEMPlanner, GradientConfig, GradientPlanner
from mpc_jepa.training import TrainConfig, train
from tests.toy import LinearModel

SMALL = WorldModelConfig(latent_dim=8, hidden=32)
FAST = TrainConfig(steps=40, batch_size=16, eval_every=1000, checkpoint_every=10, log_csv=True)


@pytest.fixture(scope="module")
def pm(tmp_path_factory):
    return data.collect(tasks.load("point_mass", seed=0), tmp_path_factory.mktemp("rel") / "pm",
                        episodes=6, episode_length=30, seed=0, progress=False)  # fmt: skip


def _copy_dataset(ds, dest):
    import shutil

    shutil.copytree(ds.path, dest)
    return dest


# --- writers own what they write ---------------------------------------------------------------


def test_overwrite_replaces_only_a_dataset(tmp_path, capsys):
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "README.md").write_text("my notes")
    task = tasks.load("point_mass", seed=0)
    with pytest.raises(OutputError, match="not a mpc_jepa dataset"):
        data.collect(task, precious, episodes=2, episode_length=5, overwrite=True, progress=False)
    assert (precious / "README.md").read_text() == "my notes"
    code = main(["collect", "--task", "point_mass", "--out", str(precious), "--overwrite",
                 "--episodes", "2", "--episode-length", "5"])  # fmt: skip
    assert code == 2 and "refusing to replace" in capsys.readouterr().err
    assert (precious / "README.md").read_text() == "my notes"
    ours = tmp_path / "ds"  # a dataset of ours is replaced
    data.collect(task, ours, episodes=2, episode_length=5, progress=False)
    again = data.collect(task, ours, episodes=3, episode_length=5, overwrite=True, progress=False)
    assert again.num_episodes == 3


def test_checkpoint_writers_refuse_foreign_files(pm, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("not a model")
    with pytest.raises(OutputError, match="not a mpc_jepa checkpoint"):
        train(pm, readme, FAST, SMALL, progress=False)
    with pytest.raises(OutputError, match="not a mpc_jepa checkpoint"):
        atomic_torch_save({"format": "x"}, readme)
    code = main(["train", "--task", "point_mass", "--dataset", str(pm.path), "--out", str(readme),
                 "--steps", "5"])  # fmt: skip
    assert code == 2 and "README.md" in capsys.readouterr().err
    assert readme.read_text() == "not a model"
    code = main(["train", "--task", "point_mass", "--dataset", str(pm.path), "--out",
                 str(tmp_path), "--steps", "5"])  # fmt: skip
    assert code == 2 and "is a directory" in capsys.readouterr().err


# --- one writer per output ----------------------------------------------------------------------


def _hold_lock(path):
    """Another process holding ``path``'s lock until killed; returns it once the lock is held."""
    code = (
        "import sys, time\nfrom mpc_jepa.outputs import output_lock\n"
        f"with output_lock({str(path)!r}):\n    print('held', flush=True)\n    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_stops_at_once_naming_the_path_and_process(pm, tmp_path):
    out = tmp_path / "ds"
    other = _hold_lock(out)
    try:
        start = time.monotonic()
        with pytest.raises(OutputLockedError, match=rf"ds'.*pid {other.pid}"):
            data.collect(tasks.load("point_mass"), out, episodes=2, episode_length=5,
                         progress=False)  # fmt: skip
        assert time.monotonic() - start < 60 and not out.exists()
        ckpt = tmp_path / "m.pt"
        other.kill()
        other.wait()
        other = _hold_lock(ckpt)
        with pytest.raises(OutputLockedError, match=f"pid {other.pid}"):
            train(pm, ckpt, FAST, SMALL, progress=False)
        assert not ckpt.exists() and not ckpt.with_suffix(".csv").exists()
    finally:
        other.kill()
        other.wait()
    with output_lock(ckpt):  # the killed holder left no stale lock
        with output_lock(ckpt):  # re-entrant in one process
            assert lock_path(ckpt).exists()
    assert not lock_path(ckpt).exists()


# --- training never throws progress away --------------------------------------------------------


def test_rerun_of_an_unfinished_training_resumes_or_refuses(pm, tmp_path):
    out = tmp_path / "m.pt"
    train(pm, out, FAST, SMALL, progress=False, stop_after=20)  # as if killed at step 20
    before = out.read_bytes()
    with pytest.raises(
        CheckpointError, match=r"unfinished training run \(step 20 of 40\).*--resume"
    ):
        train(pm, out, FAST, SMALL, progress=False)
    assert out.read_bytes() == before  # intact, not restarted
    with pytest.raises(CheckpointError, match="at step 20; steps=10"):
        train(pm, out, TrainConfig(**{**FAST.__dict__, "steps": 10}), SMALL, resume=True,
              progress=False)  # fmt: skip
    assert out.read_bytes() == before
    train(pm, out, FAST, SMALL, resume=True, progress=False)  # finishes
    assert read_checkpoint(out)["train_state"] is None
    rows = out.with_suffix(".csv").read_text().splitlines()
    train(pm, out, FAST, SMALL, progress=False)  # a finished model is retrained afresh ...
    assert len(out.with_suffix(".csv").read_text().splitlines()) <= len(rows)  # ... its own CSV


# --- resume checks its inputs -------------------------------------------------------------------


def test_damaged_partial_collection_and_inconsistent_datasets_are_refused(tmp_path, monkeypatch):
    import importlib

    collect_module = importlib.import_module("mpc_jepa.data.collect")

    task = tasks.load("point_mass", seed=0)
    monkeypatch.setattr(collect_module, "CHECKPOINT_SECONDS", 0.0)
    calls = {"n": 0}
    real_step = task.step

    def step(a):
        calls["n"] += 1
        if calls["n"] == 25:  # killed in episode 3 of 4, two episodes checkpointed
            raise KeyboardInterrupt
        return real_step(a)

    monkeypatch.setattr(task, "step", step)
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        data.collect(task, out, episodes=4, episode_length=10, progress=False)
    monkeypatch.setattr(task, "step", real_step)
    partial = tmp_path / ".ds.partial"
    states = np.load(partial / "states.npy")
    np.save(partial / "states.npy", states[:20])  # cut short
    with pytest.raises(data.DatasetError, match=r"states.npy' holds float32 \(20, 4\).*\(44, 4\)"):
        data.collect(task, out, episodes=4, episode_length=10, progress=False)
    assert not out.exists()

    ds = data.collect(task, tmp_path / "ok", episodes=3, episode_length=10, progress=False)
    meta = json.loads((ds.path / "meta.json").read_text())
    (ds.path / "meta.json").write_text(json.dumps({**meta, "episodes": 5}))
    with pytest.raises(data.DatasetError, match="meta.json says episodes=5, the arrays hold 3"):
        data.Dataset(ds.path)
    (ds.path / "meta.json").write_text(json.dumps(meta))
    np.save(ds.path / "actions.npy", np.zeros((7, 2), np.float32))
    with pytest.raises(data.DatasetError, match="arrays of different lengths"):
        data.Dataset(ds.path)


# --- no non-finite model is written -------------------------------------------------------------


def test_non_finite_data_and_divergence_stop_training_keeping_the_last_checkpoint(pm, tmp_path):
    bad = data.Dataset(_copy_dataset(pm, tmp_path / "nan"))
    states = np.load(bad.path / "states.npy")
    states[37, 1] = np.nan
    np.save(bad.path / "states.npy", states)
    with pytest.raises(NonFiniteError, match="states holds 1 non-finite values.*row 37"):
        train(data.Dataset(bad.path), tmp_path / "a.pt", FAST, SMALL, progress=False)
    assert not (tmp_path / "a.pt").exists()

    out = tmp_path / "m.pt"
    train(pm, out, FAST, SMALL, progress=False)  # a good model
    good = out.read_bytes()
    wild = TrainConfig(**{**FAST.__dict__, "lr": 1e10, "warmup_steps": 0})
    with pytest.raises(NonFiniteError, match=r"diverged at step \d+.*lr=1e\+10"):
        train(pm, out, wild, SMALL, progress=False)
    assert out.read_bytes() == good  # the good model is still there
    with pytest.raises(NonFiniteError, match="non-finite"):
        atomic_torch_save({"format": "mpc_jepa.x", "w": torch.tensor([1.0, float("nan")])}, out)
    assert out.read_bytes() == good


def test_npz_with_nan_observations_is_refused(tmp_path):
    obs = np.zeros((6, 4), np.float32)
    obs[4, 2] = np.inf
    np.savez(tmp_path / "d.npz", observations=obs, actions=np.zeros((6, 2), np.float32),
             terminals=np.array([0, 0, 1, 0, 0, 1]))  # fmt: skip
    with pytest.raises(NonFiniteError, match="observations holds 1 non-finite values.*row 4"):
        data.import_npz(tasks.load("point_mass"), tmp_path / "d.npz", tmp_path / "out",
                        progress=False)  # fmt: skip
    assert not (tmp_path / "out").exists()


# --- bounds before work -------------------------------------------------------------------------


def test_bounds_are_checked_before_work(pm, tmp_path, capsys):
    model, z0 = LinearModel(), torch.zeros(1, 2)
    cost = GoalDistance(torch.ones(1, 2))
    start = time.monotonic()
    with pytest.raises(ResourceError, match=r"horizon 1000000000.*GiB of memory"):
        CEMPlanner(model, CEMConfig(horizon=10**9)).plan(z0, cost)
    with pytest.raises(ResourceError, match="GiB of memory"):
        GradientPlanner(model, GradientConfig(horizon=10**8)).plan(z0, cost)
    with pytest.raises(ResourceError, match="GiB of disk"):
        data.collect(tasks.load("point_mass"), tmp_path / "huge", episodes=10**12,
                     episode_length=1, progress=False)  # fmt: skip
    assert not (tmp_path / "huge").exists() and not (tmp_path / ".huge.partial").exists()
    with pytest.raises(ResourceError, match="batch_size=10000000000"):
        train(pm, tmp_path / "m.pt", TrainConfig(batch_size=10**10), SMALL, progress=False)
    assert time.monotonic() - start < 60  # refused, not attempted
    code = main(["eval", "--task", "point_mass", "--model", "oracle", "--episodes", str(10**12),
                 "--horizon", str(10**9)])  # fmt: skip
    assert code == 2 and "GiB of memory" in capsys.readouterr().err


# --- settings record what ran; another planner's options are refused ----------------------------


def test_options_a_planner_does_not_read_are_refused(capsys):
    for args, says in (
        (["--planner", "mppi", "--num-elites", "5"], "--num-elites: not read by --planner mppi"),
        (["--planner", "cem", "--grad-steps", "3"], "--grad-steps: not read by --planner cem"),
        (["--planner", "grad", "--slow-samples", "3"], "--slow-samples: not read by"),
        (["--num-elites", "500"], "num_elites (500) must be <= num_samples (128)"),
    ):
        assert main(["eval", "--task", "point_mass", "--model", "oracle", *args]) == 2
        assert says in capsys.readouterr().err


# --- devices, paths and Python inputs: one named error each -------------------------------------


def test_devices_paths_and_seeds_are_named_before_work(tmp_path, capsys):
    if not torch.cuda.is_available():
        assert main(["eval", "--task", "point_mass", "--device", "cuda"]) == 2
        assert "--device='cuda': CUDA is not available" in capsys.readouterr().err
    assert main(["eval", "--task", "point_mass", "--seed", "-1"]) == 2
    assert "--seed must be >= 0, got -1" in capsys.readouterr().err
    assert main(["eval", "--task", "point_mass", "--json", str(tmp_path)]) == 2
    assert "--json" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("keep")
    assert main(["eval", "--task", "point_mass", "--json", str(tmp_path / "notes.txt")]) == 2
    assert "not a JSON document" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep"
    code = main(["eval", "--task", "point_mass", "--model", "oracle", "--episodes", "1",
                 "--json", str(tmp_path / "notes.txt" / "r.json")])  # fmt: skip
    assert code == 2 and "is a file, not a directory" in capsys.readouterr().err  # before the run


def test_planner_and_cost_inputs_are_checked_at_the_door():
    planner = CEMPlanner(LinearModel(), CEMConfig(horizon=3, num_samples=8, num_elites=2))
    cost = GoalDistance(torch.ones(2))
    with pytest.raises(TypeError, match="z0 must be a torch.Tensor.*got ndarray"):
        planner.plan(np.zeros((1, 2), np.float32), cost)
    with pytest.raises(TypeError, match="z0 must be a floating tensor, got torch.int64"):
        planner.plan(torch.zeros(1, 2, dtype=torch.long), cost)
    with pytest.raises(ValueError, match=r"z0 must have shape \[B, \*Z\]"):
        planner.plan(torch.zeros(2), cost)
    with pytest.raises(ValueError, match="z0 has 1 non-finite values"):
        planner.plan(torch.tensor([[0.0, float("nan")]]), cost)
    with pytest.raises(ValueError, match="goal has 2 non-finite values"):
        GoalDistance(torch.full((2,), float("nan")))
    with pytest.raises(TypeError, match="init must be a torch.Tensor"):
        planner.plan(torch.zeros(1, 2), cost, init=np.zeros((1, 3, 2)))
    assert issubclass(OutputError, MpcJepaError) and issubclass(CheckpointError, MpcJepaError)
    assert issubclass(data.DatasetError, MpcJepaError)


def test_a_non_finite_checkpoint_written_elsewhere_is_refused_on_load(pm, tmp_path):
    from mpc_jepa.models.checkpoints import load_world_model

    out = tmp_path / "m.pt"
    train(pm, out, FAST, SMALL, progress=False)
    ckpt = torch.load(out, weights_only=True)
    next(iter(ckpt["model"].values())).fill_(float("nan"))
    torch.save(ckpt, out)  # as an older version or another tool could have written it
    with pytest.raises(CheckpointError, match=r"\['model'\].*non-finite"):
        load_world_model(out)
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(data.DatasetError, match="bad.npz' as an .npz archive"):
        data.import_npz(tasks.load("point_mass"), tmp_path / "bad.npz", tmp_path / "o",
                        progress=False)  # fmt: skip

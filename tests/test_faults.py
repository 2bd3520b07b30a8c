"""The fault and bad-input table of docs/FAULTS.md: each row's test lives here or is named there."""

import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data
from mpc_jepa.cli import main
from mpc_jepa.control import MPCController
from mpc_jepa.costs import GoalDistance
from mpc_jepa.models import JEPAWorldModel, WorldModelConfig
from mpc_jepa.models.checkpoints import CheckpointError, load_world_model, read_checkpoint
from mpc_jepa.planners import CEMConfig, CEMPlanner
from mpc_jepa.training import TrainConfig, train

SMALL = WorldModelConfig(latent_dim=8, hidden=32)
INTERVAL = 20


@pytest.fixture(scope="module")
def pm(tmp_path_factory):
    return data.collect(
        tasks.load("point_mass", seed=0),
        tmp_path_factory.mktemp("faults") / "pm",
        episodes=10,
        episode_length=50,
        seed=0,
        progress=False,
    )


def test_sigkilled_training_resumes_losing_at_most_one_interval(pm, tmp_path):
    out = tmp_path / "m.pt"
    args = [
        "--task",
        "point_mass",
        "--dataset",
        str(pm.path),
        "--out",
        str(out),
        "--steps",
        "100000",
        "--batch-size",
        "32",
    ]
    args += [
        "--checkpoint-every",
        str(INTERVAL),
        "--eval-every",
        "100000",
        "--latent-dim",
        "8",
        "--hidden",
        "32",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mpc_jepa", "train", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 900  # a hang, not a busy machine
        while time.time() < deadline and not (
            out.exists() and read_checkpoint(out)["train_state"]["step"] >= 3 * INTERVAL
        ):
            time.sleep(0.05)
        logged = _last_logged_step(out.with_suffix(".csv"))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    ckpt = read_checkpoint(out)  # never torn: written to a temp file, then renamed
    step = ckpt["train_state"]["step"]
    assert step >= 3 * INTERVAL and step >= logged - INTERVAL, (step, logged)
    cfg = TrainConfig(
        steps=100000, batch_size=32, checkpoint_every=INTERVAL, eval_every=100000, log_csv=False
    )
    # continues where the checkpoint was
    res = train(pm, out, cfg, SMALL, resume=True, progress=False, stop_after=step + 5)
    assert read_checkpoint(out)["train_state"]["step"] == step + 5 and res.model is not None


def _last_logged_step(csv_path) -> int:
    if not csv_path.exists():
        return 0
    lines = csv_path.read_text().strip().splitlines()
    return int(lines[-1].split(",")[0]) if len(lines) > 1 else 0


def test_foreign_and_malicious_checkpoints_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")  # a valid torch file, not ours
    with pytest.raises(CheckpointError, match="not a mpc_jepa world-model checkpoint"):
        load_world_model(tmp_path / "foreign.pt")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned > " + str(tmp_path / "owned"),))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="cannot read"):
        load_world_model(tmp_path / "evil.pt")  # weights_only=True: no code runs on load
    assert not (tmp_path / "owned").exists()


def test_dataset_of_another_task_is_refused(pm, tmp_path, capsys):
    cfg = TrainConfig(steps=10, batch_size=16, checkpoint_every=5, eval_every=1000, log_csv=False)
    other = data.collect(
        tasks.load("reacher", seed=0),
        tmp_path / "reacher",
        episodes=2,
        episode_length=20,
        seed=0,
        progress=False,
    )
    train(pm, tmp_path / "m.pt", cfg, SMALL, progress=False, stop_after=5)
    with pytest.raises(CheckpointError, match="'point_mass'.*'reacher'"):
        train(other, tmp_path / "m.pt", cfg, SMALL, progress=False, resume=True)
    argv = [
        "train",
        "--task",
        "reacher",
        "--dataset",
        str(pm.path),
        "--out",
        str(tmp_path / "r.pt"),
    ]
    assert main([*argv, "--steps", "1"]) == 2
    assert "'point_mass', not 'reacher'" in capsys.readouterr().err


def test_observation_and_goal_of_wrong_shape_or_type_are_named():
    model = JEPAWorldModel.build(SMALL, 4, 2)
    ctrl = MPCController(
        model, CEMPlanner(model, CEMConfig(horizon=3, num_samples=8, num_elites=2)), GoalDistance()
    )
    with pytest.raises(TypeError, match="numeric arrays, got str: 'the red door'"):
        ctrl.reset("the red door")
    with pytest.raises(TypeError, match="got dict"):
        ctrl.reset({"state": np.zeros(4)})
    with pytest.raises(ValueError, match=r"\[B, 4\].*\[1, 3\]"):
        ctrl.reset(np.zeros(3, dtype=np.float32))
    ctrl.reset(np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\[B, 4\].*\[1, 5\]"):
        ctrl.act(np.zeros(5, dtype=np.float32))
    assert ctrl.act(np.zeros(4, dtype=np.float32)).shape == (2,)

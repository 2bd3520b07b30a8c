"""Section scale: DDP training throughput and sharded evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.models.checkpoints import read_checkpoint
from mpc_jepa.pipeline import ModelPaths


def _run(cmd: list[str], env: dict | None = None) -> float:
    """Run a command to completion; its wall time in seconds."""

    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", *cmd],
        check=True,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def bench_scale(s: BenchSettings) -> dict:
    """DDP training throughput for 1 and 2 processes; sharded evaluation vs sequential."""

    steps, episodes = 500, 20
    train_rows = {}
    for n in (1, 2):
        out = str(ModelPaths.of_run("bench", f"scale_{n}proc").fast)
        launch = (
            ["mpc_jepa"]
            if n == 1
            else ["torch.distributed.run", "--nproc_per_node", str(n), "-m", "mpc_jepa"]
        )
        wall = _run([*launch, "train", "--task", "point_mass", "--steps", str(steps), "--out", out])
        diag = read_checkpoint(out)["meta"]["diagnostics"]
        train_rows[f"{n} process(es)"] = {
            "wall_s": wall,
            "steps_per_second": diag["steps_per_second"],
            "pred_ratio_h5": diag["pred_ratio_h5"],
        }
    trained = ModelPaths.of_run("bench", "point_mass").fast
    ckpt = str(trained if trained.exists() else ModelPaths.of_run("bench", "scale_1proc").fast)
    ev = [
        "mpc_jepa",
        "eval",
        "--task",
        "point_mass",
        "--checkpoint",
        ckpt,
        "--episodes",
        str(episodes),
        "--seed",
        str(s.seed),
    ]
    eval_rows, outs = {}, {}
    for name, extra, env in (
        ("sequential (torch default threads)", [], {}),
        ("sequential, 1 thread", [], {"OMP_NUM_THREADS": "1"}),
        ("--workers 2 (1 thread each)", ["--workers", "2"], {}),
    ):
        path = str(ModelPaths.of_run("bench", f"scale_eval_{len(outs)}").fast.with_suffix(".json"))
        eval_rows[name] = {"wall_s": _run([*ev, *extra, "--json", path], env)}
        outs[name] = json.loads(Path(path).read_text())
        eval_rows[name]["success_rate"] = outs[name]["summary"]["success_rate"]
    # noqa: E731
    strip = lambda o: [
        {k: v for k, v in e.items() if "ms_per_step" not in k} for e in o["episodes"]
    ]
    same = strip(outs["sequential, 1 thread"]) == strip(outs["--workers 2 (1 thread each)"])
    return {
        "command": f"python -m mpc_jepa train --steps {steps} vs torchrun --nproc_per_node 2 -m "
        f"mpc_jepa train --steps {steps}; mpc-jepa eval --episodes {episodes} [--workers 2]",
        "train": train_rows,
        "eval": eval_rows,
        "sharded_equals_sequential": same,
    }

"""What every benchmark section shares: the machine line, stored results, training a model."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch

from mpc_jepa.files import write_json
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.pipeline import CollectSettings, ModelPaths, run_collect
from mpc_jepa.training import TrainConfig, TrainResult, train


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch threads, {platform.platform()}"


def save_section(out: Path, section: str, payload: dict) -> None:
    """Store a section's figures (strict JSON) with the machine and the date."""
    payload = {**payload, "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    write_json(out / "results" / f"{section}.json", payload)


def train_model(task: str, steps: int, tag: str = "", **overrides) -> TrainResult:
    """Train a world model on the task's default dataset into runs/bench/<task><tag>.pt;
    ``overrides`` of TrainConfig or WorldModelConfig. Its metrics include the training time."""
    ds = run_collect(CollectSettings(task=task), progress=False)
    model_over = {k: overrides.pop(k) for k in list(overrides) if k in WorldModelConfig.__dataclass_fields__}
    t0 = time.perf_counter()
    res = train(ds, ModelPaths.of_run("bench", f"{task}{tag}").fast, TrainConfig(steps=steps, **overrides), WorldModelConfig(**model_over), progress=False)
    res.metrics["train_seconds"] = time.perf_counter() - t0
    return res

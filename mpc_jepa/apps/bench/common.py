"""What every benchmark section shares: the machine line, stored results, training a model."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch

from mpc_jepa.files import write_json
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import load_world_model
from mpc_jepa.pipeline import CollectSettings, ModelPaths, run_collect
from mpc_jepa.training import TrainConfig, TrainResult, train


def machine() -> str:
    """One line naming the machine: CPU, Python, torch and its threads, OS."""
    return (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, {platform.platform()}"
    )


def save_section(out: str | Path, section: str, payload: dict) -> None:
    """Store a section's figures (strict JSON) with the machine and the date."""
    payload = {**payload, "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    write_json(Path(out) / "results" / f"{section}.json", payload)


def train_model(task: str, steps: int, tag: str = "", **overrides) -> TrainResult:
    """Train a world model on the task's default dataset into runs/bench/<task><tag>.pt;
    ``overrides`` of TrainConfig or WorldModelConfig. Its metrics include the training time."""
    ds = run_collect(CollectSettings(task=task), progress=False)
    model_over = {
        k: overrides.pop(k) for k in list(overrides) if k in WorldModelConfig.__dataclass_fields__
    }
    t0 = time.perf_counter()
    res = train(
        ds,
        ModelPaths.of_run("bench", f"{task}{tag}").fast,
        TrainConfig(steps=steps, **overrides),
        WorldModelConfig(**model_over),
        progress=False,
    )
    res.metrics["train_seconds"] = time.perf_counter() - t0
    return res


def stored_section(out: str | Path, section: str) -> dict:
    """The figures a section stored before (``{}`` if none): rows not re-run are kept."""
    path = Path(out) / "results" / f"{section}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def check_known(asked: tuple[str, ...], known: dict, what: str) -> list[str]:
    """The keys of ``known`` to run: those ``asked`` (all when none), or a ValueError naming the
    unknown ones."""
    unknown = sorted(set(asked) - set(known))
    if unknown:
        raise ValueError(f"no {what} {unknown}; known: {', '.join(known)}")
    return [k for k in known if not asked or k in asked]


def ordered(rows: dict, order: list[str]) -> dict:
    """``rows`` with the keys in ``order`` first, in that order, then the others."""
    return {
        k: rows[k] for k in sorted(rows, key=lambda k: order.index(k) if k in order else len(order))
    }


def bench_model(task: str, steps: int):
    """The default-config world model of ``task`` at runs/bench/<task>.pt, trained if missing."""
    path = ModelPaths.of_run("bench", task).fast
    if path.exists():
        return load_world_model(path, task=task)
    return train_model(task, steps).model

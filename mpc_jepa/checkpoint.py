"""Checkpoints: weights + config + dataset statistics + task + version, written atomically.

Loaded with ``torch.load(weights_only=True)``: a checkpoint holds only tensors and plain Python
values, so loading one never runs code.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import torch

import mpc_jepa
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged, or made for something else."""


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """torch.save to a temp file in the same directory, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(path, model: JEPAWorldModel, config: WorldModelConfig, *, task: str, meta: dict | None = None, train_state: dict | None = None) -> None:
    """Write ``model`` (and optionally the training state for --resume) to ``path`` atomically."""
    atomic_torch_save(
        {
            "format": "mpc_jepa.world_model/1",
            "version": mpc_jepa.__version__,
            "task": task,
            "config": asdict(config),
            "obs_dim_or_size": int(model.obs_shape[-1]) if config.obs_type == "pixels" else int(model.obs_shape[0]),
            "action_dim": model.action_dim,
            "model": model.state_dict(),
            "meta": meta or {},
            "train_state": train_state,
        },
        path,
    )


def read_checkpoint(path) -> dict:
    """The raw checkpoint dict; clear errors for missing, truncated or foreign files."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {str(path)!r}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, pickle with code, ...
        raise CheckpointError(f"cannot read checkpoint {str(path)!r} (truncated or not a mpc_jepa checkpoint): {e}") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != "mpc_jepa.world_model/1":
        raise CheckpointError(f"{str(path)!r} is not a mpc_jepa world-model checkpoint")
    return ckpt


def load_world_model(path, *, task: str | None = None, obs_type: str | None = None, device="cpu") -> JEPAWorldModel:
    """Load a trained world model (eval mode). ``task`` / ``obs_type``, when given, must match.

    Raises:
        CheckpointError: missing, truncated or foreign file, or made for another task or observation type.
    """
    ckpt = read_checkpoint(path)
    config = WorldModelConfig(**{"pixel_encoder": "cnn", **ckpt["config"]})  # checkpoints before keypoints had CNNs
    if task is not None and ckpt["task"] != task:
        raise CheckpointError(f"checkpoint {str(path)!r} was trained on task {ckpt['task']!r}, not {task!r}")
    if obs_type is not None and config.obs_type != obs_type:
        raise CheckpointError(f"checkpoint {str(path)!r} reads {config.obs_type!r} observations, not {obs_type!r}")
    model = JEPAWorldModel.build(config, ckpt["obs_dim_or_size"], ckpt["action_dim"])
    model.load_state_dict(ckpt["model"])
    model.task = ckpt["task"]
    model.meta = ckpt["meta"]
    return model.to(device).eval()

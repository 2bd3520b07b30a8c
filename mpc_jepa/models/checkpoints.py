"""Checkpoints of the fast world model, the slow level, the learned distance, the value heads and
the goal actor: weights, configs, task, version.

Written atomically (``files.atomic_write``); loaded with ``torch.load(weights_only=True)``: a
checkpoint holds only tensors and plain Python values, so loading one never runs code. Both kinds
go through ``read_checkpoint``, which names the file and what is wrong with it.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from mpc_jepa import __version__
from mpc_jepa.errors import MpcJepaError, NonFiniteError
from mpc_jepa.files import atomic_write
from mpc_jepa.models.goal_actor import GoalActor, GoalActorConfig
from mpc_jepa.models.landmark_graph import LandmarkGraph
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.models.object_readout import ObjectReadout
from mpc_jepa.models.slow import SlowModelConfig, SlowWorldModel
from mpc_jepa.models.temporal_distance import TemporalDistance
from mpc_jepa.models.value import ValueConfig, ValueHeads
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.outputs import check_replaceable

WORLD_MODEL_FORMAT = "mpc_jepa.world_model/1"
SLOW_MODEL_FORMAT = "mpc_jepa.slow_model/1"
DISTANCE_FORMAT = "mpc_jepa.distance/1"
VALUE_FORMAT = "mpc_jepa.value_heads/1"
GOAL_ACTOR_FORMAT = "mpc_jepa.goal_actor/1"
_KIND = {
    GOAL_ACTOR_FORMAT: "goal-actor",
    WORLD_MODEL_FORMAT: "world-model",
    SLOW_MODEL_FORMAT: "slow-model",
    DISTANCE_FORMAT: "learned-distance",
    VALUE_FORMAT: "value-heads",
}


class CheckpointError(MpcJepaError):
    """A checkpoint is missing, damaged, or made for something else."""


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """torch.save to a temp file in the same directory, fsync, then rename over ``path``.

    Refused (nothing written): a ``path`` holding anything but a mpc_jepa checkpoint
    (``OutputError``), and an ``obj`` with a non-finite float tensor (``NonFiniteError``): a model
    of NaN must never replace a good one."""
    check_replaceable(path, "checkpoint")
    bad = _non_finite(obj)
    if bad:
        key, count = bad
        raise NonFiniteError(
            f"refusing to write {str(path)!r}: {key} holds {count} non-finite values (the "
            "training diverged: a smaller learning rate, or check the data for NaN)"
        )
    atomic_write(path, lambda f: torch.save(obj, f))


def _non_finite(obj, key: str = "checkpoint") -> tuple[str, int] | None:
    """(where, how many) for the first float tensor in ``obj`` with non-finite values, or None."""
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point():
            count = int((~torch.isfinite(obj)).sum())
            return (key, count) if count else None
        return None
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(
        obj, (list, tuple)) else ()  # fmt: skip
    for k, v in items:
        bad = _non_finite(v, f"{key}[{k!r}]")
        if bad:
            return bad
    return None


def read_checkpoint(path, fmt: str = WORLD_MODEL_FORMAT, task: str | None = None) -> dict:
    """The raw checkpoint dict of format ``fmt``; ``task``, when given, must match.

    Raises:
        CheckpointError: missing, truncated or foreign file, or trained on another task.
    """
    path, kind = Path(path), _KIND[fmt]
    if not path.is_file():
        what = "checkpoint" if fmt == WORLD_MODEL_FORMAT else f"{kind} checkpoint"
        raise CheckpointError(f"no {what} at {str(path)!r}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, pickle with code, ...
        raise CheckpointError(
            f"cannot read checkpoint {str(path)!r} (truncated or not a mpc_jepa checkpoint): {e}"
        ) from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != fmt:
        raise CheckpointError(f"{str(path)!r} is not a mpc_jepa {kind} checkpoint")
    bad = _non_finite({k: v for k, v in ckpt.items() if k != "train_state"})
    if bad:  # written before writes were checked, or edited: never plan with it
        raise CheckpointError(f"{str(path)!r}: {bad[0]} holds {bad[1]} non-finite values")
    if task is not None and ckpt["task"] != task:
        raise CheckpointError(
            f"{kind} checkpoint {str(path)!r} was trained on task {ckpt['task']!r}, not {task!r}"
        )
    return ckpt


def save_checkpoint(
    path,
    model: JEPAWorldModel,
    config: WorldModelConfig,
    *,
    task: str,
    meta: dict | None = None,
    train_state: dict | None = None,
) -> None:
    """Write ``model`` (and optionally the training state for --resume) to ``path`` atomically."""
    pixels = config.obs_type == "pixels"
    atomic_torch_save(
        {
            "format": WORLD_MODEL_FORMAT,
            "version": __version__,
            "task": task,
            "config": asdict(config),
            "obs_dim_or_size": int(model.obs_shape[-1] if pixels else model.obs_shape[0]),
            "action_dim": model.action_dim,
            "model": model.state_dict(),
            "meta": meta or {},
            "train_state": train_state,
        },
        path,
    )


def load_world_model(
    path, *, task: str | None = None, obs_type: str | None = None, device="cpu"
) -> JEPAWorldModel:
    """Load a trained world model (eval mode). ``task`` / ``obs_type``, when given, must match.

    Raises:
        CheckpointError: missing, truncated or foreign file, or made for another task or
            observation type.
    """
    ckpt = read_checkpoint(path, WORLD_MODEL_FORMAT, task)
    # checkpoints saved before keypoint encoders existed had CNNs
    config = WorldModelConfig(**{"pixel_encoder": "cnn", **ckpt["config"]})
    if obs_type is not None and config.obs_type != obs_type:
        raise CheckpointError(
            f"checkpoint {str(path)!r} reads {config.obs_type!r} observations, not {obs_type!r}"
        )
    model = JEPAWorldModel.build(config, ckpt["obs_dim_or_size"], ckpt["action_dim"])
    model.load_state_dict(ckpt["model"])
    model.task = ckpt["task"]
    model.meta = ckpt["meta"]
    return model.to(device).eval()


def fingerprint(fast) -> float:
    """A number that changes with the fast encoder's and predictor's weights."""
    return float(sum(p.detach().double().abs().sum() for p in fast.parameters()))


def _check_fast(ckpt: dict, path, fast, what: str, over: str = "fast model") -> None:
    """``ckpt`` was trained over ``fast`` (its fingerprint), else a CheckpointError naming it."""
    saved = ckpt["fast_fingerprint"]
    if abs(saved - fingerprint(fast)) > 1e-6 * max(1.0, abs(saved)):
        raise CheckpointError(
            f"{what} {str(path)!r} {'were' if what.endswith('s') else 'was'} trained over another"
            f" {over} than the one given"
        )


def save_slow(path, slow: SlowWorldModel, task: str, train_config: dict, metrics: dict) -> None:
    """The slow level (not the fast model: only its fingerprint)."""
    atomic_torch_save(
        {
            "format": SLOW_MODEL_FORMAT,
            "version": __version__,
            "task": task,
            "slow_config": asdict(slow.config),
            "train_config": train_config,
            "fast_fingerprint": fingerprint(slow.fast),
            "slow": {k: v for k, v in slow.state_dict().items() if not k.startswith("fast.")},
            "metrics": metrics,
        },
        Path(path),
    )


def load_slow(path, fast, *, task: str | None = None, search: str = "held") -> SlowWorldModel:
    """Load a slow level onto ``fast`` (the model it was trained over). Clear errors on mismatch.

    ``search``: what slow planners search (see ``SlowWorldModel``). A slow level saved before the
    learned distance had its own file loads too (its metric is not read: ``load_distance``)."""
    ckpt = read_checkpoint(path, SLOW_MODEL_FORMAT, task)
    _check_fast(ckpt, path, fast, "slow model")
    slow = SlowWorldModel(fast, SlowModelConfig(**ckpt["slow_config"]), search=search)
    weights = {k: v for k, v in ckpt["slow"].items() if not k.startswith("metric.")}
    missing, unexpected = slow.load_state_dict(weights, strict=False)
    if unexpected or any(not m.startswith("fast.") for m in missing):
        raise CheckpointError(f"{str(path)!r} does not match the slow-model architecture")
    slow.meta = ckpt["metrics"]
    slow.train_config = ckpt["train_config"]
    return slow.eval()


def save_distance(path, distance: LearnedDistance, fast, task: str) -> None:
    """The learned distance (metric and landmarks) over ``fast`` (only its fingerprint)."""
    graph = distance.graph
    atomic_torch_save(
        {
            "format": DISTANCE_FORMAT,
            "version": __version__,
            "task": task,
            "fast_fingerprint": fingerprint(fast),
            "distance": distance.metric.config(),
            "weights": distance.metric.state_dict(),
            "landmarks": graph.landmarks.cpu() if graph is not None else None,
            "graph": {"radius": graph.radius, "overreach": graph.overreach}
            if graph is not None
            else None,
            "objects": distance.objects.state() if distance.objects is not None else None,
            "train_config": distance.train_config,
            "metrics": distance.meta,
        },
        Path(path),
    )


def load_distance(path, fast, *, task: str | None = None) -> LearnedDistance:
    """The learned distance trained over ``fast`` (checked by its fingerprint), in eval mode."""
    ckpt = read_checkpoint(path, DISTANCE_FORMAT, task)
    _check_fast(ckpt, path, fast, "learned distance")
    metric = TemporalDistance(**ckpt["distance"])
    try:
        metric.load_state_dict(ckpt["weights"])
    except RuntimeError as e:
        raise CheckpointError(f"{str(path)!r} does not match its metric's architecture") from e
    metric = metric.eval().requires_grad_(False)
    graph = None
    if ckpt["landmarks"] is not None:
        graph = LandmarkGraph(metric, ckpt["landmarks"], **ckpt["graph"])
    objects = ckpt.get("objects")  # absent from checkpoints older than the readout
    objects = ObjectReadout(**objects) if objects is not None else None
    return LearnedDistance(metric, graph, objects, ckpt["metrics"], ckpt["train_config"])


def save_value_heads(
    path, heads: ValueHeads, fast, task: str, metrics: dict, train_state: dict | None = None
) -> None:
    """The reward head and critics (targets included) over ``fast``'s latent; ``train_state``:
    the optimiser's, for a learning run's --resume."""
    atomic_torch_save(
        {
            "format": VALUE_FORMAT,
            "version": __version__,
            "task": task,
            "config": asdict(heads.config),
            "latent_dim": heads.latent_dim,
            "action_dim": heads.action_dim,
            "fast_fingerprint": fingerprint(fast),
            "heads": heads.state_dict(),
            "metrics": metrics,
            "train_state": train_state,
        },
        Path(path),
    )


def load_value_heads(path, fast, *, task: str | None = None) -> ValueHeads:
    """Value heads trained over ``fast`` (checked by its fingerprint), in eval mode."""
    ckpt = read_checkpoint(path, VALUE_FORMAT, task)
    _check_fast(ckpt, path, fast, "value heads", over="world model")
    heads = ValueHeads(ckpt["latent_dim"], ckpt["action_dim"], ValueConfig(**ckpt["config"]))
    heads.load_state_dict(ckpt["heads"])
    heads.meta = ckpt["metrics"]
    return heads.to(next(fast.parameters()).device).eval()


def save_goal_actor(path, actor: GoalActor, task: str, metrics: dict) -> None:
    """The goal-conditioned actor (weights and statistics), atomically."""
    atomic_torch_save(
        {
            "format": GOAL_ACTOR_FORMAT,
            "version": __version__,
            "task": task,
            "config": asdict(actor.config),
            "objects": actor.objects.tolist(),
            "action_dim": actor.action_dim,
            "actor": actor.state_dict(),
            "metrics": metrics,
        },
        Path(path),
    )


def load_goal_actor(path, *, task: str | None = None, device="cpu") -> GoalActor:
    """A trained goal actor, in eval mode."""
    ckpt = read_checkpoint(path, GOAL_ACTOR_FORMAT, task)
    objects = torch.tensor(ckpt["objects"], dtype=torch.bool)  # the MLP's input size follows it
    o = len(objects)
    actor = GoalActor(torch.zeros(o), torch.ones(o), objects, ckpt["action_dim"],
                      GoalActorConfig(**ckpt["config"]))  # fmt: skip
    actor.load_state_dict(ckpt["actor"])  # the dataset's statistics too (buffers)
    actor.meta = ckpt["metrics"]
    return actor.to(device).eval()

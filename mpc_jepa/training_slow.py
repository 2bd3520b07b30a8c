"""Training of the slow level on top of a trained, frozen fast JEPA.

Loss on windows of S slow steps (S*k fast steps): the slow rollout from z_t under the chunk
encoder's macro-actions must match the frozen fast encoder's embeddings at t+k, t+2k, ...,
measured in units of the fast model's step (``reach_step``). Macro-actions are kept from collapsing
by a variance hinge and a covariance term (VICReg) over the batch, so the slow planner's box
[-1, 1]^M is covered by plausible macro-actions.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

import mpc_jepa
from mpc_jepa import diagnostics
from mpc_jepa.checkpoint import CheckpointError, atomic_torch_save
from mpc_jepa.data import Dataset, WindowSampler
from mpc_jepa.models.landmark_graph import LandmarkGraph
from mpc_jepa.models.losses import vicreg_covariance, vicreg_variance
from mpc_jepa.models.slow import SlowModelConfig, SlowWorldModel
from mpc_jepa.models.temporal_distance import TemporalDistance
from mpc_jepa.training_distance import DistanceTrainConfig, build_landmark_graph, train_distance_and_graph


@dataclass(frozen=True)
class SlowTrainConfig:
    """Slow-level training settings."""

    steps: int = 2000
    """Optimiser steps."""
    batch_size: int = 256
    """Windows per batch."""
    slow_steps: int = 3
    """S: open-loop slow steps in the loss."""
    lr: float = 1e-3
    """AdamW learning rate (cosine decay)."""
    macro_var_weight: float = 1.0
    """Variance hinge on macro-actions (std >= 0.5 per dimension)."""
    macro_cov_weight: float = 0.1
    """Covariance penalty on macro-actions."""
    reach_step: float = 0.1
    """The fast model's latent step (errors are measured in these units)."""
    distance_steps: int = 20000
    """Steps of the temporal-distance metric trained after the slow predictor (0: none; the slow
    planner then measures goal distance in the fast latent itself)."""
    seed: int = 0
    """Seed."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        for name in ("steps", "batch_size", "slow_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.distance_steps < 0:
            raise ValueError(f"distance_steps must be >= 0, got {self.distance_steps}")


def train_slow(
    dataset: Dataset,
    fast,
    out,
    config: SlowTrainConfig = SlowTrainConfig(),
    model_config: SlowModelConfig = SlowModelConfig(),
    progress: bool = True,
    distance_config: DistanceTrainConfig | None = None,
):
    """Train a ``SlowWorldModel`` over the frozen ``fast`` model, then (``config.distance_steps`` > 0)
    its temporal-distance metric (``distance_config``'s other settings), and save both to ``out``.
    Returns (model, metrics)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = torch.device(config.device)
    k = model_config.k
    train_eps, val_eps = dataset.split(0.1, seed=config.seed)
    key, h = diagnostics.obs_key(fast), diagnostics.history_of(fast)
    sampler = WindowSampler(dataset, k * config.slow_steps + h - 1, train_eps, keys=(key,))  # h-1 frames of history first
    slow = SlowWorldModel(fast.to(device).eval(), model_config).to(device)
    params = list(slow.chunk_encoder.parameters()) + list(slow.predictor.parameters())
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s / config.steps, 1.0))))
    t0 = time.perf_counter()
    for _ in tqdm(range(config.steps), desc="train slow", disable=not progress):
        batch = sampler.sample(config.batch_size, rng)
        obs = _slow_obs(fast, batch[key], k, device)  # [B, S+1, *O]
        actions = torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float()  # [B, S*k, A]
        with torch.no_grad():
            target = fast.encoder(obs)  # [B, S+1, D]
        macros = slow.encode_actions(actions)  # [B, S, M]
        pred = slow.rollout_macros(target[:, 0], macros)  # [B, S+1, D]
        flat = macros.reshape(-1, macros.shape[-1])
        loss = (pred[:, 1:] - target[:, 1:]).pow(2).sum(-1).mean() / config.reach_step**2
        loss = loss + config.macro_var_weight * vicreg_variance(flat, gamma=0.5) + config.macro_cov_weight * vicreg_covariance(flat)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
    metrics = {"steps_per_second": config.steps / (time.perf_counter() - t0), **slow_report(slow, dataset, val_eps, config, device)}
    if config.distance_steps:
        dcfg = replace(distance_config or DistanceTrainConfig(), steps=config.distance_steps, seed=config.seed, device=config.device)
        slow.metric, slow.graph, metrics["temporal_distance"] = train_distance_and_graph(dataset, slow.fast, dcfg, config.reach_step, progress)
    save_slow(out, slow, dataset.task, config, metrics)
    return slow.eval(), metrics


def add_temporal_distance(path, fast, dataset: Dataset, config: DistanceTrainConfig = DistanceTrainConfig(), progress: bool = True) -> SlowWorldModel:
    """Train a temporal-distance metric for the slow level saved at ``path`` (over ``fast``) and
    rewrite that checkpoint with it (atomically); the slow predictor is unchanged."""
    slow = load_slow(path, fast, task=dataset.task)
    ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    train_config = SlowTrainConfig(**{**ckpt["train_config"], "distance_steps": config.steps})
    slow.metric, slow.graph, ckpt["metrics"]["temporal_distance"] = train_distance_and_graph(dataset, fast, config, train_config.reach_step, progress)
    save_slow(path, slow, dataset.task, train_config, ckpt["metrics"])
    slow.meta = ckpt["metrics"]
    return slow


def add_landmark_graph(path, fast, dataset: Dataset, config: DistanceTrainConfig = DistanceTrainConfig()) -> SlowWorldModel:
    """Build the landmark graph of the slow level saved at ``path`` (its metric unchanged; for
    checkpoints saved before landmarks existed) and rewrite that checkpoint with it (atomically)."""
    slow = load_slow(path, fast, task=dataset.task)
    if slow.metric is None:
        raise CheckpointError(f"slow model {str(path)!r} has no temporal-distance metric to build a landmark graph on")
    ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    slow.graph, graph_metrics = build_landmark_graph(dataset, fast, slow.metric, config)
    ckpt["metrics"].setdefault("temporal_distance", {}).update(graph_metrics)
    save_slow(path, slow, dataset.task, SlowTrainConfig(**ckpt["train_config"]), ckpt["metrics"])
    slow.meta = ckpt["metrics"]
    return slow


def _slow_obs(fast, window: np.ndarray, k: int, device) -> torch.Tensor:
    """Encoder inputs every k steps of a window: states [B, S*k+1, S_obs] -> [B, S+1, S_obs]; pixels
    with history h, [B, S*k+h, H, W, 3] -> [B, S+1, 3h, H, W] (each stacks its frame and the h-1 before)."""
    h = diagnostics.history_of(fast)
    rows = np.arange(0, window.shape[1] - h + 1, k)  # [S+1] first frame of each observation's history
    if diagnostics.obs_key(fast) != "pixels":
        return torch.as_tensor(window[:, rows], device=device).float()
    runs = window[:, rows[:, None] + np.arange(h)[None]]  # [B, S+1, h, H, W, 3]
    return diagnostics.obs_tensor(fast, runs, device).squeeze(2)  # [B, S+1, 3h, H, W]


@torch.no_grad()
def slow_report(slow, dataset, episodes, config: SlowTrainConfig, device="cpu", num: int = 512) -> dict:
    """Held-out slow prediction error per slow step vs the copy baseline, and macro-action spread."""
    k, key, h = slow.k, diagnostics.obs_key(slow.fast), diagnostics.history_of(slow.fast)
    sampler = WindowSampler(dataset, k * config.slow_steps + h - 1, episodes, keys=(key,))
    batch = sampler.windows(np.random.default_rng(0).choice(sampler.starts, size=min(num, len(sampler)), replace=False))
    z = slow.fast.encoder(_slow_obs(slow.fast, batch[key], k, device))
    macros = slow.encode_actions(torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float())
    pred = slow.rollout_macros(z[:, 0], macros)
    out = {}
    for s in range(1, config.slow_steps + 1):
        out[f"slow_pred_ratio_s{s}"] = float((pred[:, s] - z[:, s]).pow(2).sum(-1).mean() / (z[:, 0] - z[:, s]).pow(2).sum(-1).mean().clamp_min(1e-12))
    out["macro_std_min"] = float(macros.reshape(-1, macros.shape[-1]).std(0).min())
    return out


def save_slow(path, slow: SlowWorldModel, task: str, config: SlowTrainConfig, metrics: dict) -> None:
    """The slow level and its (frozen) fast model in one self-contained file, written atomically."""
    fast = slow.fast
    atomic_torch_save(
        {
            "format": "mpc_jepa.slow_model/1",
            "version": mpc_jepa.__version__,
            "task": task,
            "slow_config": asdict(slow.config),
            "train_config": asdict(config),
            "fast_fingerprint": fingerprint(fast),
            "slow": {k: v for k, v in slow.state_dict().items() if not k.startswith("fast.")},
            "distance": slow.metric.config() if slow.metric is not None else None,
            "landmarks": slow.graph.landmarks.cpu() if slow.graph is not None else None,
            "graph": {"radius": slow.graph.radius, "overreach": slow.graph.overreach} if slow.graph is not None else None,
            "metrics": metrics,
        },
        Path(path),
    )


def fingerprint(fast) -> float:
    """A number that changes with the fast encoder's and predictor's weights."""
    return float(sum(p.detach().double().abs().sum() for p in fast.parameters()))


def load_slow(path, fast, *, task: str | None = None, search: str = "held") -> SlowWorldModel:
    """Load a slow level onto ``fast`` (the model it was trained over). Clear errors on mismatch.

    ``search``: what slow planners search (see ``SlowWorldModel``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no slow-model checkpoint at {str(path)!r}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"cannot read {str(path)!r} (truncated or not a mpc_jepa slow model): {e}") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != "mpc_jepa.slow_model/1":
        raise CheckpointError(f"{str(path)!r} is not a mpc_jepa slow-model checkpoint")
    if task is not None and ckpt["task"] != task:
        raise CheckpointError(f"slow model {str(path)!r} was trained on task {ckpt['task']!r}, not {task!r}")
    if abs(ckpt["fast_fingerprint"] - fingerprint(fast)) > 1e-6 * max(1.0, abs(ckpt["fast_fingerprint"])):
        raise CheckpointError(f"slow model {str(path)!r} was trained over another fast model than the one given")
    metric = TemporalDistance(**ckpt["distance"]) if ckpt.get("distance") else None  # older checkpoints: none
    slow = SlowWorldModel(fast, SlowModelConfig(**ckpt["slow_config"]), search=search, metric=metric)
    missing, unexpected = slow.load_state_dict(ckpt["slow"], strict=False)
    if unexpected or any(not m.startswith("fast.") for m in missing):
        raise CheckpointError(f"{str(path)!r} does not match the slow-model architecture")
    if ckpt.get("landmarks") is not None:  # older checkpoints: none (add_landmark_graph builds it)
        slow.graph = LandmarkGraph(slow.metric, ckpt["landmarks"], **ckpt["graph"])
    slow.meta = ckpt["metrics"]
    return slow.eval()


__all__ = ["SlowTrainConfig", "train_slow", "add_temporal_distance", "add_landmark_graph", "load_slow", "save_slow", "fingerprint"]

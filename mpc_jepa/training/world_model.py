"""World-model training: multi-step latent rollout loss, anti-collapse, geometry terms, resumable.

Loss on a window (obs_t..obs_{t+T}, a_t..a_{t+T-1}), z = encoder(obs), zbar = stop-grad target:
    prediction   mean_k |rollout(z_t, a)_k - zbar_{t+k}|^2 / D       (open loop, k = 1..T)
    + vicreg     variance hinge and covariance of z                (anti-collapse a)
    [EMA target encoder with stop-gradient                          (anti-collapse b)]
    + smooth     |z_{t+1} - z_t|^2                                  (PLDM's temporal smoothness)
    + inverse    |g(z_t, z_{t+1}) - a_t|^2                          (PLDM's inverse dynamics head)
    + reach      local: |z_{t+1} - z_t| <= step;  spread: random pairs far apart
The reach terms give the latent space the geometry planning needs (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from mpc_jepa import diagnostics
from mpc_jepa.data import Dataset, WindowSampler, obs_tensor
from mpc_jepa.models.checkpoints import CheckpointError, read_checkpoint, save_checkpoint
from mpc_jepa.models.encoders import mlp
from mpc_jepa.models.losses import reach_local, reach_spread, vicreg_covariance, vicreg_variance
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.training import distributed
from mpc_jepa.training.schedules import cosine_schedule


@dataclass(frozen=True)
class TrainConfig:
    """World-model training settings."""

    steps: int = 3000
    """Optimiser steps."""
    batch_size: int = 256
    """Windows per batch."""
    rollout_steps: int = 5
    """T: open-loop steps in the prediction loss."""
    lr: float = 1e-3
    """Peak AdamW learning rate (linear warm-up, cosine decay)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    warmup_steps: int = 100
    """Linear warm-up steps."""
    grad_clip: float = 1.0
    """Gradient-norm clipping."""
    var_weight: float = 1.0
    """VICReg variance hinge weight (0 disables)."""
    cov_weight: float = 0.0
    """VICReg covariance weight (0 disables)."""
    ema_tau: float = 0.99
    """EMA rate of the target encoder (used when the model has one)."""
    smooth_weight: float = 0.0
    """Temporal smoothness weight (0 disables)."""
    inverse_weight: float = 0.0
    """Inverse-dynamics auxiliary head weight (0 disables)."""
    reach_weight: float = 1.0
    """Weight of the reachability-geometry spread term (0 disables the geometry)."""
    reach_local_weight: float = 10.0
    """Weight of its local constraint |z_{t+1} - z_t| <= reach_step."""
    reach_step: float = 0.1
    """Latent length of one transition at most: latent distance ~ reach_step x steps-to-go."""
    reach_horizon: float = 100.0
    """Steps beyond which the spread term stops pushing pairs apart."""
    val_fraction: float = 0.1
    """Held-out fraction of episodes for evaluation."""
    eval_every: int = 1000
    """Held-out evaluation interval (steps)."""
    checkpoint_every: int = 500
    """Checkpoint interval (steps): a killed run loses at most this much."""
    seed: int = 0
    """Seed of initialisation, batches and split."""
    device: str = "cpu"
    """Torch device (cpu, cuda, cuda:1, ...)."""
    log_csv: bool = True
    """Write <checkpoint>.csv beside the checkpoint (and TensorBoard logs when tensorboard is installed)."""

    def __post_init__(self):
        for name in ("steps", "batch_size", "rollout_steps", "eval_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.ema_tau < 1:
            raise ValueError(f"ema_tau must be in [0, 1), got {self.ema_tau}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


@dataclass
class TrainResult:
    model: JEPAWorldModel
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)


def dataset_stats(dataset: Dataset, episodes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std [S] of the state observations of ``episodes``."""
    rows = np.concatenate([np.arange(dataset.episode_starts[e], dataset.episode_starts[e + 1]) for e in episodes])
    x = np.asarray(dataset["states"])[rows]
    return torch.as_tensor(x.mean(0)), torch.as_tensor(x.std(0))


def compute_losses(model: JEPAWorldModel, obs: torch.Tensor, actions: torch.Tensor, cfg: TrainConfig, inverse_head: nn.Module | None) -> dict:
    """All loss terms on a batch: obs [B, T+1, *O], actions [B, T, A] -> {name: scalar}."""
    z = model.encoder(obs)  # [B, T+1, D]
    target = model.encode_target(obs) if model.target_encoder is not None else z.detach()  # [B, T+1, D]
    pred = model.rollout(z[:, 0], actions)  # [B, T+1, D]
    d = z.shape[-1]
    scale = cfg.reach_step**2 if cfg.reach_weight > 0 else 1.0  # errors measured in units of one step
    losses = {"pred": (pred[:, 1:] - target[:, 1:]).pow(2).sum(-1).mean() / scale}
    flat = z.reshape(-1, d)  # [B*(T+1), D]
    if cfg.var_weight > 0:
        losses["var"] = cfg.var_weight * vicreg_variance(flat / (cfg.reach_step * 10 if cfg.reach_weight > 0 else 1.0))
    if cfg.cov_weight > 0:
        losses["cov"] = cfg.cov_weight * vicreg_covariance(flat)
    if cfg.smooth_weight > 0:
        losses["smooth"] = cfg.smooth_weight * (z[:, 1:] - z[:, :-1]).pow(2).sum(-1).mean() / scale
    if cfg.inverse_weight > 0 and inverse_head is not None:
        a_hat = inverse_head(torch.cat([z[:, :-1], z[:, 1:]], dim=-1))  # [B, T, A]
        losses["inverse"] = cfg.inverse_weight * (a_hat - actions).pow(2).mean()
    if cfg.reach_weight > 0:
        losses["reach_local"] = cfg.reach_local_weight * reach_local(z, cfg.reach_step)
        losses["reach_spread"] = cfg.reach_weight * reach_spread(z[:, 0], cfg.reach_step, cfg.reach_horizon)
    losses["total"] = sum(losses.values())
    return losses


class _Losses(nn.Module):
    """The model and its auxiliary head behind one ``forward`` (what DistributedDataParallel wraps)."""

    def __init__(self, model: JEPAWorldModel, inverse_head: nn.Module | None, cfg: TrainConfig):
        super().__init__()
        self.model, self.inverse_head, self.cfg = model, inverse_head, cfg

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> dict:
        return compute_losses(self.model, obs, actions, self.cfg, self.inverse_head)


def train(
    dataset: Dataset,
    out: str | Path,
    config: TrainConfig = TrainConfig(),
    model_config: WorldModelConfig = WorldModelConfig(),
    *,
    resume: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
) -> TrainResult:
    """Train a JEPA world model on ``dataset`` and write the checkpoint ``out``.

    Args:
        resume: continue from ``out`` (optimizer, schedule, step and RNG state restored).
        stop_after: stop (after checkpointing) at this step, as if killed; for tests.

    Under torchrun (WORLD_SIZE > 1) this runs DistributedDataParallel: every rank draws the same
    global batch of ``batch_size`` windows and loads only its slice, gradients are all-reduced, logged
    losses averaged, and rank 0 alone writes checkpoints and logs. The batches do not depend on the
    number of processes, so a run can resume on a different number of them.
    Returns:
        The trained model (eval mode) and the final diagnostics (also in the checkpoint's meta).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = distributed.init_from_env(config.device)
    device = distributed.rank_device(config.device, info)
    if config.batch_size < info.world_size:
        raise ValueError(f"batch_size {config.batch_size} is smaller than the number of processes {info.world_size}")
    if model_config.obs_type == "pixels" and not dataset.meta["pixels"]:
        raise ValueError(f"dataset {str(dataset.path)!r} has no pixels; collect it with --pixels")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    train_eps, val_eps = dataset.split(config.val_fraction, seed=config.seed)
    key = "pixels" if model_config.obs_type == "pixels" else "states"
    h = model_config.history if key == "pixels" else 1
    sampler = WindowSampler(dataset, config.rollout_steps + h - 1, train_eps, keys=(key,))  # h-1 frames of history first
    mean, std = dataset_stats(dataset, train_eps)
    size = dataset.meta["image_size"] if key == "pixels" else dataset.meta["state_dim"]
    model = JEPAWorldModel.build(model_config, size, dataset.meta["action_dim"], mean, std).to(device)
    inverse_head = mlp(2 * model_config.latent_dim, 128, model.action_dim, 1).to(device) if config.inverse_weight > 0 else None
    params = list(model.encoder.parameters()) + list(model.predictor.parameters()) + (list(inverse_head.parameters()) if inverse_head else [])
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    sched = cosine_schedule(opt, config.steps, config.warmup_steps)
    step = 0
    history: list[dict] = []
    if resume and out.exists():
        ckpt = read_checkpoint(out)
        ts = ckpt.get("train_state")
        if ts is None:
            raise CheckpointError(f"{str(out)!r} has no training state to resume (it is a final checkpoint)")
        if ckpt["task"] != dataset.task:
            raise CheckpointError(f"{str(out)!r} was trained on task {ckpt['task']!r}, the dataset is {dataset.task!r}")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ts["optimizer"])
        sched.load_state_dict(ts["scheduler"])
        if inverse_head is not None and ts.get("inverse_head"):
            inverse_head.load_state_dict(ts["inverse_head"])
        step = int(ts["step"])
        torch.set_rng_state(ts["torch_rng"])
        rng.bit_generator.state = ts["numpy_rng"]
        history = list(ts.get("history", []))

    losses_fn = _Losses(model, inverse_head, config)
    if info.enabled:
        losses_fn = nn.parallel.DistributedDataParallel(losses_fn, device_ids=[device.index] if device.type == "cuda" else None)

    def checkpoint(final_metrics: dict | None = None) -> None:
        if not info.is_main:  # one writer; the others wait for it
            distributed.barrier(info)
            return
        train_state = None
        if final_metrics is None:
            train_state = {
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "inverse_head": inverse_head.state_dict() if inverse_head is not None else {},
                "step": step,
                "torch_rng": torch.get_rng_state(),
                "numpy_rng": rng.bit_generator.state,
                "history": history,
            }
        meta = {"train_config": asdict(config), "dataset": str(dataset.path), "diagnostics": final_metrics or {}, "step": step}
        save_checkpoint(out, model, model_config, task=dataset.task, meta=meta, train_state=train_state)
        distributed.barrier(info)

    log_path = out.with_suffix(".csv")
    log = config.log_csv and info.is_main
    writer = _tensorboard(out.parent / "tb" / out.stem) if log else None
    bar = tqdm(total=config.steps, initial=step, desc=f"train {dataset.task}", disable=not progress or not info.is_main)
    t_start = time.perf_counter()
    steps_this_run = 0
    model.train()
    while step < config.steps:
        batch = sampler.sample(config.batch_size, rng, shard=(info.rank, info.world_size))
        obs = obs_tensor(model, batch[key], device)  # [B, T+1, *O] (this rank's slice)
        actions = torch.as_tensor(batch["actions"][:, h - 1 :], device=device).float()  # [B, T, A]
        losses = losses_fn(obs, actions)
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        nn.utils.clip_grad_norm_(params, config.grad_clip)
        opt.step()
        sched.step()
        model.update_target(config.ema_tau)
        step += 1
        steps_this_run += 1
        row = {"step": step, "lr": sched.get_last_lr()[0], **distributed.mean_across({k: float(v.detach()) for k, v in losses.items()}, info)}
        if step % 50 == 0 or step == config.steps:
            bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k not in ("step", "lr")})
        if info.is_main and (step % config.eval_every == 0 or step == config.steps):
            model.eval()
            row.update(diagnostics.prediction_errors(model, dataset, val_eps, horizons=(1, 5), num_windows=256, device=device))
            model.train()
        history.append(row) if step % 50 == 0 or "pred_ratio_h1" in row else None
        if log and (step % 50 == 0 or step == config.steps):
            _append_csv(log_path, row)
            if writer is not None:
                for k, v in row.items():
                    writer.add_scalar(k, v, step) if k != "step" else None
        bar.update(1)
        if step % config.checkpoint_every == 0 and step < config.steps:
            checkpoint()
        if stop_after is not None and step >= stop_after:
            checkpoint()
            bar.close()
            if writer is not None:
                writer.close()
            return TrainResult(model.eval(), {}, history)
    bar.close()
    if writer is not None:
        writer.close()
    model.eval()
    metrics = {"steps_per_second": steps_this_run / max(time.perf_counter() - t_start, 1e-9), "processes": info.world_size}
    if info.is_main:
        metrics.update(report(model, dataset, train_eps, val_eps, device))
    checkpoint(metrics)
    return TrainResult(model, metrics, history)


def report(model, dataset, train_eps, val_eps, device="cpu") -> dict:
    """Held-out prediction errors by horizon (vs copy) and the geometry / collapse report."""
    length = int(np.min(np.diff(dataset.episode_starts)))
    horizons = tuple(h for h in diagnostics.HORIZONS if h < length)
    out = diagnostics.prediction_errors(model, dataset, val_eps, horizons=horizons, device=device)
    out.update(diagnostics.geometry_report(model, dataset, train_eps, val_eps, device=device))
    out["collapsed"] = diagnostics.collapsed(out)
    return out


def _tensorboard(logdir: Path):
    """A TensorBoard writer when tensorboard is installed (optional), else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(logdir))


def _append_csv(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow({k: row[k] for k in row})

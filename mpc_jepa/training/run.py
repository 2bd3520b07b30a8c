"""One world-model training run: its state (what ``--resume`` restores), update and checkpoint."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mpc_jepa import diagnostics
from mpc_jepa.data import Dataset, WindowSampler, obs_tensor
from mpc_jepa.data.dataset import check_finite
from mpc_jepa.errors import NonFiniteError
from mpc_jepa.models.checkpoints import CheckpointError, read_checkpoint, save_checkpoint
from mpc_jepa.models.goal_actor import slot_dims
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.resources import check_memory
from mpc_jepa.training import distributed
from mpc_jepa.training.config import TrainConfig
from mpc_jepa.training.objective import Losses, auxiliary_heads, update_aux_targets
from mpc_jepa.training.schedules import cosine_schedule


def dataset_stats(dataset: Dataset, episodes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std [S] of the state observations of ``episodes``."""
    rows = dataset.rows(episodes)
    x = np.asarray(dataset["states"])[rows]
    return torch.as_tensor(x.mean(0)), torch.as_tensor(x.std(0))


def batch_bytes(dataset: Dataset, config: TrainConfig, model_config: WorldModelConfig) -> int:
    """Rough bytes of one update: the batch's observations as floats and the activations of the
    encoder and predictor over every window step (with gradients: x4)."""
    pixels = model_config.obs_type == "pixels"
    obs = 3 * dataset.meta["image_size"] ** 2 * 8 if pixels else dataset.meta["state_dim"]
    window = config.rollout_steps + (model_config.history if pixels else 1)
    width = model_config.hidden * (model_config.depth + 2) + model_config.latent_dim
    return 16 * config.batch_size * window * (obs + width)


def with_object_dims(config: WorldModelConfig, dataset: Dataset) -> WorldModelConfig:
    """``config`` with its object slot's dimensions found in ``dataset`` (``goal_actor.slot_dims``:
    at rest in most steps, not a switch) when it asks for a slot without naming them."""
    if config.object_gain <= 0 or config.object_dims:
        return config
    states = torch.as_tensor(np.array(dataset["states"]))
    found = slot_dims(states, torch.as_tensor(np.array(dataset.episode_starts)))
    if not bool(found.any()):
        raise ValueError(
            f"object_gain={config.object_gain}: the dataset {str(dataset.path)!r} shows no object "
            "dimension (every dimension moves at almost every step); train without a slot"
        )
    return replace(config, object_dims=tuple(torch.nonzero(found).ravel().tolist()))


class TrainingRun:
    """One training run's state (what ``--resume`` restores) and its update and checkpoint steps."""

    def __init__(
        self, dataset: Dataset, out: Path, config: TrainConfig, model_config: WorldModelConfig
    ):
        out.parent.mkdir(parents=True, exist_ok=True)
        model_config = with_object_dims(model_config, dataset)
        self.dataset, self.out, self.config, self.model_config = dataset, out, config, model_config
        self.info = distributed.init_from_env(config.device)
        self.device = distributed.rank_device(config.device, self.info)
        if config.batch_size < self.info.world_size:
            raise ValueError(
                f"batch_size {config.batch_size} is smaller than the number of processes "
                f"{self.info.world_size}"
            )
        if model_config.obs_type == "pixels" and not dataset.meta["pixels"]:
            raise ValueError(
                f"dataset {str(dataset.path)!r} has no pixels; collect it with --pixels"
            )
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.key = "pixels" if model_config.obs_type == "pixels" else "states"
        for k in (self.key, "actions"):
            check_finite(dataset[k], f"dataset {str(dataset.path)!r}: {k}")
        check_memory(batch_bytes(dataset, config, model_config), f"batch_size={config.batch_size}"
                     f" windows of {config.rollout_steps} steps", self.device)  # fmt: skip
        self.h = model_config.history if self.key == "pixels" else 1
        self.use_dataset(dataset)
        mean, std = dataset_stats(dataset, self.train_eps)
        size = dataset.meta["image_size"] if self.key == "pixels" else dataset.meta["state_dim"]
        action_dim = dataset.meta["action_dim"]
        self.model = JEPAWorldModel.build(model_config, size, action_dim, mean, std).to(self.device)
        # auxiliary heads, trained with the model and then dropped
        self.aux = auxiliary_heads(config, self.model.latent_dim, action_dim).to(self.device)
        self.params = [*self.model.encoder.parameters(), *self.model.predictor.parameters()]
        self.params += [p for p in self.aux.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=config.lr, weight_decay=config.weight_decay)
        self.sched = cosine_schedule(self.opt, config.steps, config.warmup_steps)
        self.step, self.history = 0, []
        self.losses = Losses(self.model, self.aux, config)
        if self.info.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.losses = nn.parallel.DistributedDataParallel(self.losses, device_ids=ids)

    def use_dataset(self, dataset: Dataset) -> None:
        """Train on ``dataset`` from now on (a grown one, when learning by acting): its episode
        split and window sampler (h-1 frames of history first)."""
        self.dataset = dataset
        self.train_eps, self.val_eps = dataset.split(
            self.config.val_fraction, seed=self.config.seed
        )
        with_rewards = self.config.reward_weight > 0 or self.config.value_weight > 0
        keys = (self.key, "rewards") if with_rewards else (self.key,)
        self.sampler = WindowSampler(
            dataset, self.config.rollout_steps + self.h - 1, self.train_eps, keys=keys
        )

    def renew_input_stats(self) -> None:
        """Standardise the states with the statistics of the data as it is now (a grown dataset),
        the model's function unchanged (``JEPAWorldModel.renormalize_inputs``); the first layer's
        Adam moments are rescaled with its weights, so the next step is the one it would be."""
        if self.key != "states":
            raise ValueError("input statistics are renewed for state observations only")
        mean, std = dataset_stats(self.dataset, self.train_eps)
        old_std = self.model.encoder.norm.std.clone()
        self.model.renormalize_inputs(mean, std)
        ratio = (old_std / self.model.encoder.norm.std)[None, :]
        moments = self.opt.state.get(self.model.encoder.net[0].weight, {})
        if moments:
            moments["exp_avg"] *= ratio
            moments["exp_avg_sq"] *= ratio**2

    def restore(self) -> None:
        """Continue from the checkpoint at ``out``: weights, optimiser, schedule, step, RNG
        states."""
        ckpt = read_checkpoint(self.out)
        ts = ckpt.get("train_state")
        if ts is None:
            raise CheckpointError(
                f"{str(self.out)!r} has no training state to resume (it is a final checkpoint)"
            )
        if ckpt["task"] != self.dataset.task:
            raise CheckpointError(
                f"{str(self.out)!r} was trained on task {ckpt['task']!r}, the dataset is "
                f"{self.dataset.task!r}"
            )
        stored, wanted = ckpt["config"], asdict(self.model_config)
        changed = sorted(k for k in wanted if k in stored and stored[k] != wanted[k])
        if changed:
            raise CheckpointError(
                f"{str(self.out)!r} holds a model with "
                + ", ".join(f"{k}={stored[k]!r}" for k in changed)
                + "; resume with the same settings ("
                + ", ".join(f"not {k}={wanted[k]!r}" for k in changed)
                + ")"
            )
        self._restore_aux(ts)
        self.model.load_state_dict(ckpt["model"])
        self.opt.load_state_dict(ts["optimizer"])
        self.sched.load_state_dict(ts["scheduler"])
        self.step = int(ts["step"])
        torch.set_rng_state(ts["torch_rng"])
        self.rng.bit_generator.state = ts["numpy_rng"]
        self.history = list(ts.get("history", []))

    def _restore_aux(self, train_state: dict) -> None:
        """The auxiliary heads, refused by name unless these settings make the same ones."""
        legacy = {f"inverse.{k}": v for k, v in train_state.get("inverse_head", {}).items()}
        aux = train_state.get("aux_heads", legacy)
        if set(aux) != set(self.aux.state_dict()):
            raise CheckpointError(
                f"{str(self.out)!r} was trained with the auxiliary heads "
                f"{sorted({k.split('.')[0] for k in aux})}, these settings make "
                f"{sorted(self.aux)}: resume with the same inverse_weight, reward_weight and "
                "value_weight"
            )
        self.aux.load_state_dict(aux)

    def update(self) -> dict:
        """One optimiser step on a fresh batch; the logged row (losses, lr, held-out errors at
        evals)."""
        cfg, info = self.config, self.info
        batch = self.sampler.sample(cfg.batch_size, self.rng, shard=(info.rank, info.world_size))
        # [B, T+1, *O] (this rank's slice)
        obs = obs_tensor(self.model, batch[self.key], self.device)
        actions = torch.as_tensor(
            batch["actions"][:, self.h - 1 :], device=self.device
        ).float()  # [B, T, A]
        rewards = None  # [B, T]: row t holds the reward of action t
        if "rewards" in batch:
            rewards = torch.as_tensor(
                batch["rewards"][:, self.h - 1 : -1], dtype=torch.float32, device=self.device
            )
        losses = self.losses(obs, actions, rewards)
        self.opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        nn.utils.clip_grad_norm_(self.params, cfg.grad_clip)
        self.opt.step()
        self.sched.step()
        self.model.update_target(cfg.ema_tau)
        update_aux_targets(self.aux)
        self.step += 1
        values = distributed.mean_across({k: float(v.detach()) for k, v in losses.items()}, info)
        self._check_finite(values)
        row = {"step": self.step, "lr": self.sched.get_last_lr()[0], **values}
        if info.is_main and (self.step % cfg.eval_every == 0 or self.step == cfg.steps):
            self.model.eval()
            errors = diagnostics.prediction_errors(
                self.model,
                self.dataset,
                self.val_eps,
                horizons=(1, 5),
                num_windows=256,
                device=self.device,
            )
            row.update(errors)
            self.model.train()
        if self.step % 50 == 0 or "pred_ratio_h1" in row:
            self.history.append(row)
        return row

    def _check_finite(self, losses: dict | None = None) -> None:
        """``NonFiniteError`` at the first non-finite loss (each step) or weight (``losses``
        None: before a checkpoint): nothing more is trained or written, the last checkpoint (all
        finite) stays as it was."""
        if losses is not None:
            bad = {k: v for k, v in losses.items() if not np.isfinite(v)}
        else:
            bad = (
                {} if all(bool(torch.isfinite(p).all()) for p in self.params) else {"a weight": ""}
            )
        if not bad:
            return
        what = ", ".join(f"{k}={v}" if v != "" else k for k, v in bad.items())
        raise NonFiniteError(
            f"training diverged at step {self.step}: not finite: {what} (lr={self.config.lr:g}: "
            f"try a smaller one, or check the data); {str(self.out)!r} keeps its last checkpoint"
        )

    def checkpoint(self, final_metrics: dict | None = None) -> None:
        """Write the checkpoint (rank 0; the others wait); with the training state unless final.
        The model carries ``task`` and ``meta`` as ``load_world_model`` gives them."""
        self._check_finite()
        meta = {
            "train_config": asdict(self.config),
            "dataset": str(self.dataset.path),
            "diagnostics": final_metrics or {},
            "step": self.step,
        }
        self.model.task, self.model.meta = self.dataset.task, meta
        if not self.info.is_main:
            distributed.barrier(self.info)
            return
        train_state = None
        if final_metrics is None:
            train_state = {
                "optimizer": self.opt.state_dict(),
                "scheduler": self.sched.state_dict(),
                "aux_heads": self.aux.state_dict(),
                "step": self.step,
                "torch_rng": torch.get_rng_state(),
                "numpy_rng": self.rng.bit_generator.state,
                "history": self.history,
            }
        save_checkpoint(
            self.out,
            self.model,
            self.model_config,
            task=self.dataset.task,
            meta=meta,
            train_state=train_state,
        )
        distributed.barrier(self.info)

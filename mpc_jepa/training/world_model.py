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

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from mpc_jepa import diagnostics
from mpc_jepa.data import Dataset
from mpc_jepa.models.checkpoints import CheckpointError, read_checkpoint
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.outputs import check_replaceable, output_lock
from mpc_jepa.training.config import TrainConfig
from mpc_jepa.training.log import TrainLog
from mpc_jepa.training.run import TrainingRun

__all__ = ["TrainConfig", "TrainResult", "train"]


@dataclass
class TrainResult:
    model: JEPAWorldModel
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)


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
            Without it, an unfinished checkpoint at ``out`` is refused (``CheckpointError``),
            never restarted; a finished one is replaced by the new run.
        stop_after: stop (after checkpointing) at this step, as if killed; for tests.

    Under torchrun (WORLD_SIZE > 1) this runs DistributedDataParallel: every rank draws the same
    global batch of ``batch_size`` windows and loads only its slice, gradients are all-reduced,
    logged losses averaged, and rank 0 alone writes checkpoints and logs. The batches do not
    depend on the number of processes, so a run can resume on a different number of them.
    Returns:
        The trained model (eval mode) and the final diagnostics (also in the checkpoint's meta).
    """
    check_replaceable(out, "checkpoint")
    run = TrainingRun(dataset, Path(out), config, model_config)
    with output_lock(run.out) if run.info.is_main else nullcontext():
        _start_or_resume(run, resume)
        return _train_locked(run, resume, progress, stop_after)


def _start_or_resume(run: TrainingRun, resume: bool) -> None:
    """Restore ``run`` from its checkpoint (``resume``), or check that starting afresh throws no
    training away: an unfinished checkpoint is never restarted silently, and a resume never
    asks for fewer steps than were done."""
    if not run.out.exists():
        return
    if resume:
        run.restore()
        if run.step > run.config.steps:
            raise CheckpointError(
                f"{str(run.out)!r} is at step {run.step}; steps={run.config.steps} would end "
                f"before it (resume with --steps >= {run.step})"
            )
        return
    ckpt = read_checkpoint(run.out)
    if ckpt.get("train_state") is not None:
        done, planned = ckpt["train_state"]["step"], ckpt["meta"]["train_config"]["steps"]
        raise CheckpointError(
            f"{str(run.out)!r} holds an unfinished training run (step {done} of {planned}); "
            "pass --resume to continue it, or delete it to start afresh"
        )


def _train_locked(run: TrainingRun, resume: bool, progress: bool, stop_after) -> TrainResult:
    """``train`` with the checkpoint's lock held and its start checked."""
    dataset, config = run.dataset, run.config
    log = TrainLog(run.out, enabled=config.log_csv and run.info.is_main, fresh=not resume)
    bar = tqdm(
        total=config.steps,
        initial=run.step,
        desc=f"train {dataset.task}",
        disable=not progress or not run.info.is_main,
    )
    t_start, steps_this_run = time.perf_counter(), 0
    run.model.train()
    while run.step < config.steps:
        row = run.update()
        steps_this_run += 1
        if run.step % 50 == 0 or run.step == config.steps:
            bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k not in ("step", "lr")})
            log.write(row)
        bar.update(1)
        if run.step % config.checkpoint_every == 0 and run.step < config.steps:
            run.checkpoint()
        if stop_after is not None and run.step >= stop_after:
            run.checkpoint()
            bar.close()
            log.close()
            return TrainResult(run.model.eval(), {}, run.history)
    bar.close()
    log.close()
    run.model.eval()
    elapsed = max(time.perf_counter() - t_start, 1e-9)
    metrics = {"steps_per_second": steps_this_run / elapsed, "processes": run.info.world_size}
    if run.info.is_main:
        metrics.update(
            diagnostics.report(run.model, dataset, run.train_eps, run.val_eps, run.device)
        )
    run.checkpoint(metrics)
    return TrainResult(run.model, metrics, run.history)

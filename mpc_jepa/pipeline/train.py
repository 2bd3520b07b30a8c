"""`mpc-jepa train`: collect if needed, then train the fast model, the slow level, the learned
distance, the reward head and critic of a reward task, or the goal-conditioned actor of a goal
task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mpc_jepa.data import Dataset, obs_key
from mpc_jepa.diagnostics import format_report
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import load_world_model, save_goal_actor, save_value_heads
from mpc_jepa.models.slow import SlowModelConfig
from mpc_jepa.models.value import ValueConfig
from mpc_jepa.pipeline.collect import CollectSettings, run_collect
from mpc_jepa.pipeline.models import actor_config_for
from mpc_jepa.pipeline.paths import ModelPaths
from mpc_jepa.training import (
    DistanceTrainConfig,
    SlowTrainConfig,
    TrainConfig,
    TrainResult,
    distributed,
    train,
    train_distance,
    train_slow,
)
from mpc_jepa.training.goal_actor import GoalActorTrainConfig, train_goal_actor
from mpc_jepa.training.value import ValueTrainConfig, train_value_heads

LEVELS = ("fast", "slow", "distance", "value", "actor")


@dataclass(frozen=True)
class TrainSettings:
    task: str = "point_mass"
    """Task whose dataset is used (collected first if missing)."""
    dataset: str = ""
    """Dataset directory (default: data/<task>)."""
    out: str = ""
    """Checkpoint to write (default: runs/<task>/world_model.pt; slow_model.pt, distance.pt,
    value_heads.pt, goal_actor.pt for the other levels)."""
    collect_episodes: int = 0
    """Episodes to collect when the dataset is missing (0: the task's recipe)."""
    resume: bool = False
    """Continue an interrupted run from --out (optimizer, schedule, step, RNG restored)."""
    level: str = "fast"
    """'fast': the JEPA world model; 'distance': the learned distance and its landmark graph over
    a trained fast model (the landmark hierarchy and --goal-metric temporal|graph read it);
    'slow': the slow predictor over a trained fast model (--slow-level model only); 'value': the
    reward head and critic over a trained fast model (reward tasks); 'actor': the
    goal-conditioned actor on the dataset's states (goal tasks; no world model)."""
    fast_checkpoint: str = ""
    """With --level distance, slow or value: the trained fast model (default:
    runs/<task>/world_model.pt)."""

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {self.level!r}")

    def checkpoint(self, pixels: bool = False) -> Path:
        if self.out:
            return Path(self.out)
        paths = ModelPaths.default(self.task, pixels)
        return {
            "fast": paths.fast,
            "slow": paths.slow,
            "distance": paths.distance,
            "value": paths.value,
            "actor": paths.actor,
        }[self.level]


def run_train(
    s: TrainSettings, cfg: TrainConfig, mcfg: WorldModelConfig, progress: bool = True
) -> TrainResult:
    """Collect if needed, then train. Under torchrun: rank 0 collects, all ranks train (DDP)."""
    info = distributed.init_from_env(cfg.device)
    pixels = mcfg.obs_type == "pixels"
    settings = CollectSettings(
        task=s.task, out=s.dataset, episodes=s.collect_episodes, pixels=pixels
    )
    if info.is_main:
        ds = run_collect(settings, progress)
    distributed.barrier(info)
    if not info.is_main:
        ds = Dataset(settings.path())
    out = s.checkpoint(pixels=pixels)
    result = train(ds, out, cfg, mcfg, resume=s.resume, progress=progress)
    if info.is_main:
        print(
            f"wrote {out}  ({result.metrics['steps_per_second']:.0f} steps/s, {info.world_size} "
            "process(es))"
        )
        print(format_report(result.metrics))
    return result


def _fast_and_dataset(s: TrainSettings, device: str, progress: bool):
    """The trained fast model of ``s.task`` and its dataset (images too for a pixel fast model)."""
    fast_path = s.fast_checkpoint or ModelPaths.default(s.task).fast
    fast = load_world_model(fast_path, task=s.task, device=device)
    pixels = obs_key(fast) == "pixels"  # a pixel fast model: the slow level trains on images too
    settings = CollectSettings(
        task=s.task, out=s.dataset, episodes=s.collect_episodes, pixels=pixels
    )
    return fast, run_collect(settings, progress)


def run_train_slow(
    s: TrainSettings, cfg: TrainConfig, slow_cfg: SlowModelConfig, progress: bool = True
):
    """Train the slow level over the trained fast model of ``s.task``; the fast run's steps,
    batch, rollout length, lr and seed apply."""
    fast, ds = _fast_and_dataset(s, cfg.device, progress)
    tcfg = SlowTrainConfig(
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        slow_steps=cfg.rollout_steps,
        lr=cfg.lr,
        reach_step=cfg.reach_step,
        seed=cfg.seed,
        device=cfg.device,
    )
    out = s.checkpoint()
    slow, metrics = train_slow(ds, fast, out, tcfg, slow_cfg, progress=progress)
    print(
        f"wrote {out}: "
        + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if isinstance(v, float))
    )
    return slow, metrics


def run_train_distance(
    s: TrainSettings, distance_cfg: DistanceTrainConfig, step_scale: float, progress: bool = True
):
    """Train the learned distance (metric and landmarks) over the trained fast model of
    ``s.task`` and write it to ``s.checkpoint()``. ``step_scale``: the fast model's latent step
    (``--reach-step``)."""
    fast, ds = _fast_and_dataset(s, distance_cfg.device, progress)
    distance = train_distance(ds, fast, s.checkpoint(), distance_cfg, step_scale, progress)
    print(
        f"wrote {s.checkpoint()}: learned distance "
        + ", ".join(f"{k} {v:.3f}" for k, v in distance.meta.items())
    )
    return distance


def run_train_value(
    s: TrainSettings,
    config: ValueTrainConfig,
    value_config: ValueConfig = ValueConfig(),
    progress: bool = True,
):
    """Train the reward head and critic over the trained fast model of ``s.task`` on its dataset
    (offline) and write them to ``s.checkpoint()``. Returns (heads, metrics)."""
    fast, ds = _fast_and_dataset(s, config.device, progress)
    heads, metrics = train_value_heads(ds, fast, config, value_config, progress)
    save_value_heads(s.checkpoint(), heads, fast, s.task, metrics)
    print(
        f"wrote {s.checkpoint()}: reward R^2 {metrics['reward_r2']:.3f} (held out), critic TD "
        f"error {metrics['critic_td_rmse']:.4f}, mean value {metrics['value_mean']:.1f}"
    )
    return heads, metrics


def run_train_actor(s: TrainSettings, config: GoalActorTrainConfig, progress: bool = True):
    """Train the goal-conditioned actor on the dataset of ``s.task`` (collected if missing) and
    write it to ``s.checkpoint()``. Returns (actor, metrics)."""
    ds = run_collect(CollectSettings(task=s.task, out=s.dataset, episodes=s.collect_episodes),
                     progress)  # fmt: skip
    actor, metrics = train_goal_actor(ds, actor_config_for(s.task, config), progress=progress)
    save_goal_actor(s.checkpoint(), actor, s.task, metrics)
    print(
        f"wrote {s.checkpoint()}: held-out action MSE {metrics['val_action_mse']:.4f}, "
        f"{metrics['moves_per_episode']:.1f} object moves per episode, object dims "
        f"{metrics['object_dims']}, goal dims read {metrics['goal_dims']}"
    )
    return actor, metrics

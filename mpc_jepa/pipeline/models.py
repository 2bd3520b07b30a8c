"""Models by name and path: load what the user asks for, or make sure an app's models exist."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import NamedTuple

import tasks
from mpc_jepa.data import Dataset
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import (
    CheckpointError,
    load_distance,
    load_goal_actor,
    load_slow,
    load_value_heads,
    load_world_model,
    read_checkpoint,
    save_goal_actor,
)
from mpc_jepa.models.goal_actor import ActorEnsemble
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.models.slow import SlowModelConfig, SlowWorldModel
from mpc_jepa.pipeline.collect import CollectSettings, run_collect
from mpc_jepa.pipeline.paths import ModelPaths
from mpc_jepa.training import (
    DistanceTrainConfig,
    SlowTrainConfig,
    TrainConfig,
    train,
    train_distance,
    train_slow,
)
from mpc_jepa.training.goal_actor import GoalActorTrainConfig, train_goal_actor

MODELS = ("learned", "oracle")


def load_model(task, model: str = "learned", checkpoint: str = "", device: str = "cpu"):
    """The learned world model from ``checkpoint`` (default ``ModelPaths.default``: pixels for a
    task loaded with pixels=True; checked against the task) or the oracle (true physics)."""
    if model == "oracle":
        return OracleModel(task)
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    path = checkpoint or ModelPaths.default(task.name, task.pixels).fast
    return load_world_model(
        path, task=task.name, obs_type="pixels" if task.pixels else "state", device=device
    )


def _load_level(load, path, fast, task, level: str, what: str, **kw):
    """``load(path, fast, task=..., **kw)``; a failure names the command that trains ``what``."""
    try:
        return load(path, fast, task=task.name, **kw)
    except CheckpointError as e:
        raise CheckpointError(
            f"{e} (train {what} with `mpc-jepa train --task {task.name} --level {level}`)"
        ) from e


def load_slow_model(task, fast, path: str = "", search: str = "held") -> SlowWorldModel:
    """The slow level over ``fast`` (default runs/<task>/slow_model.pt); ``search``: see
    ``SlowWorldModel``."""
    path = path or ModelPaths.default(task.name, task.pixels).slow
    return _load_level(load_slow, path, fast, task, "slow", "the slow level", search=search)


def load_distance_model(task, fast, path: str = "") -> LearnedDistance:
    """The learned distance over ``fast`` (default runs/<task>/distance.pt)."""
    path = path or ModelPaths.default(task.name, task.pixels).distance
    return _load_level(load_distance, path, fast, task, "distance", "the learned distance")


def load_value_model(task, fast, path: str = ""):
    """The reward head and critic over ``fast`` (default runs/<task>/value_heads.pt) for a reward
    task; None for a goal task (its cost is a goal distance)."""
    if task.objective != "reward":
        return None
    if isinstance(fast, OracleModel):
        raise ValueError(
            f"{task.name}: planning for a return needs the learned model's reward head and critic;"
            " the oracle has none (use --model learned)"
        )
    path = path or ModelPaths.default(task.name).value
    what = "the reward head and critic"
    return _load_level(load_value_heads, path, fast, task, "value", what)


class Models(NamedTuple):
    """What ``ensure_models`` returns; a level not asked for is None."""

    dataset: Dataset
    fast: object
    distance: LearnedDistance | None
    slow: SlowWorldModel | None


def ensure_models(
    task_name: str,
    paths: ModelPaths,
    train_steps: int = 3000,
    distance: bool = True,
    slow: bool = False,
    progress: bool = False,
    episodes: int | None = None,
    distance_steps: int | None = None,
) -> Models:
    """The dataset, fast model, (``distance``) learned distance and (``slow``) slow level of
    ``paths``, each made when missing with the task's ``TrainingRecipe`` (collection size, rollout
    length, latent size, landmarks; its fast-model steps when it sets them, else ``train_steps``)
    and reused after. ``episodes`` overrides the recipe's collection size, ``distance_steps`` the
    metric's training steps (default: ``DistanceTrainConfig``'s); the slow level trains
    ``train_steps`` steps.
    """
    recipe = tasks.load(task_name).recipe
    collect = CollectSettings(
        task=task_name, out=str(paths.dataset), episodes=episodes or recipe.collect_episodes
    )
    ds = run_collect(collect, progress)
    try:
        fast = load_world_model(paths.fast, task=task_name)
        # a killed training leaves a checkpoint with its training state: finish it, not reuse it
        unfinished = read_checkpoint(paths.fast).get("train_state") is not None
    except CheckpointError:
        fast, unfinished = None, False
    if fast is None or unfinished:
        steps = recipe.train_steps or train_steps
        cfg = TrainConfig(steps=steps, rollout_steps=recipe.rollout_steps)
        model_cfg = WorldModelConfig(
            latent_dim=recipe.latent_dim, hidden=recipe.hidden, object_gain=recipe.object_gain
        )
        fast = train(ds, paths.fast, cfg, model_cfg, resume=unfinished, progress=progress).model
    learned = None
    if distance:
        try:
            learned = load_distance(paths.distance, fast, task=task_name)
        except CheckpointError:
            dcfg = DistanceTrainConfig(landmarks=recipe.landmarks)
            if distance_steps is not None:
                dcfg = replace(dcfg, steps=distance_steps)
            learned = train_distance(ds, fast, paths.distance, dcfg, progress=progress)
    slow_model = None
    if slow:
        try:
            slow_model = load_slow(paths.slow, fast, task=task_name)
        except CheckpointError:
            cfg = replace(SlowTrainConfig(), steps=train_steps)
            slow_model = train_slow(
                ds, fast, paths.slow, cfg, SlowModelConfig(), progress=progress
            )[0]
    return Models(ds, fast, learned, slow_model)


def load_actor(task_name: str, checkpoints: str, device: str = "cpu"):
    """The goal actor of ``checkpoints``: one path, or comma-separated paths acting as an
    ``ActorEnsemble``."""
    paths = [p for p in checkpoints.split(",") if p]
    if not paths:
        raise ValueError(f"no goal-actor checkpoint given in {checkpoints!r}")
    actors = [load_goal_actor(p, task=task_name, device=device) for p in paths]
    return actors[0] if len(actors) == 1 else ActorEnsemble(actors)


def actor_config_for(task_name: str, config: GoalActorTrainConfig) -> GoalActorTrainConfig:
    """With ``config.goal`` 'oraclerep' and no explicit ``goal_dims``: ``config`` reading the goal
    at the task's ``success_dims`` (cube-single: the cube's position, not its yaw: 99.6% by
    OGBench's protocol where the cube's whole pose gave 67%). Otherwise ``config`` itself."""
    if config.goal_dims or config.goal == "full":
        return config
    dims = tuple(tasks.load(task_name).success_dims)
    return replace(config, goal_dims=dims) if dims else config


def ensure_goal_actor(
    task_name: str,
    paths: ModelPaths,
    config: GoalActorTrainConfig = GoalActorTrainConfig(),
    progress: bool = False,
):
    """The goal actor at ``paths.actor``, trained on ``paths.dataset`` (collected by the task's
    recipe when missing) when it does not exist yet."""
    with contextlib.suppress(CheckpointError):  # none yet, or unreadable: train one
        return load_goal_actor(paths.actor, task=task_name, device=config.device)
    settings = CollectSettings(task=task_name, out=str(paths.dataset))  # the recipe's size
    config = actor_config_for(task_name, config)
    actor, metrics = train_goal_actor(run_collect(settings, progress), config, progress=progress)
    save_goal_actor(paths.actor, actor, task_name, metrics)
    actor.meta = metrics
    return actor

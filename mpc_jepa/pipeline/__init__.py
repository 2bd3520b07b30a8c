"""The pipeline: settings, collect / train / ensure-models, default paths (uses the library)."""

from mpc_jepa.pipeline.collect import CollectSettings, run_collect
from mpc_jepa.pipeline.models import (
    Models,
    ensure_goal_actor,
    ensure_models,
    load_actor,
    load_distance_model,
    load_model,
    load_slow_model,
    load_value_model,
)
from mpc_jepa.pipeline.paths import ModelPaths, dataset_dir, slug
from mpc_jepa.pipeline.train import (
    TrainSettings,
    run_train,
    run_train_actor,
    run_train_distance,
    run_train_slow,
    run_train_value,
)

__all__ = [
    "CollectSettings",
    "ModelPaths",
    "Models",
    "TrainSettings",
    "dataset_dir",
    "ensure_goal_actor",
    "ensure_models",
    "load_actor",
    "load_distance_model",
    "load_model",
    "load_slow_model",
    "load_value_model",
    "run_collect",
    "run_train",
    "run_train_actor",
    "run_train_distance",
    "run_train_slow",
    "run_train_value",
    "slug",
]

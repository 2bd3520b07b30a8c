"""Training: the JEPA world model, the slow level, the temporal distance; schedules, DDP."""

from mpc_jepa.training.distance import (
    DistanceTrainConfig,
    train_distance,
    train_distance_and_graph,
)
from mpc_jepa.training.slow import SlowTrainConfig, train_slow
from mpc_jepa.training.world_model import TrainConfig, TrainResult, train

__all__ = [
    "DistanceTrainConfig",
    "SlowTrainConfig",
    "TrainConfig",
    "TrainResult",
    "train",
    "train_distance",
    "train_distance_and_graph",
    "train_slow",
]

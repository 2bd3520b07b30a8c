"""mpc_jepa: model-predictive planning with JEPA world models in MuJoCo.

Importing the package has no side effects beyond choosing headless EGL rendering for MuJoCo when
the user has not chosen a backend (MUJOCO_GL); the public API is listed in ``__all__``.
"""

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco's renderer

__version__ = "0.1.0"

from mpc_jepa.checkpoint import CheckpointError, load_world_model, save_checkpoint
from mpc_jepa.costs import ActionMagnitude, ActionSmoothness, GoalDistance, SumCost, goal_cost
from mpc_jepa.data import Dataset, DatasetError, ExplorationConfig, WindowSampler, collect
from mpc_jepa.evaluation import PlanSettings, evaluate, make_cost, make_planner
from mpc_jepa.models import CNNEncoder, JEPAWorldModel, MLPEncoder, Predictor, WorldModelConfig
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.mpc import CountingModel, EpisodeResult, MPCController, run_episode
from mpc_jepa.planners import (
    CEMConfig,
    CEMPlanner,
    GradCEMConfig,
    GradCEMPlanner,
    GradientConfig,
    GradientPlanner,
    MPPIConfig,
    MPPIPlanner,
)
from mpc_jepa.training import TrainConfig, train
from mpc_jepa.types import CostFn, Plan, Planner, WorldModel

__all__ = [
    "ActionMagnitude",
    "ActionSmoothness",
    "CEMConfig",
    "CEMPlanner",
    "CNNEncoder",
    "CheckpointError",
    "CostFn",
    "CountingModel",
    "Dataset",
    "DatasetError",
    "EpisodeResult",
    "ExplorationConfig",
    "GoalDistance",
    "GradCEMConfig",
    "GradCEMPlanner",
    "GradientConfig",
    "GradientPlanner",
    "JEPAWorldModel",
    "MLPEncoder",
    "MPCController",
    "MPPIConfig",
    "MPPIPlanner",
    "OracleModel",
    "Plan",
    "PlanSettings",
    "Planner",
    "Predictor",
    "SumCost",
    "TrainConfig",
    "WindowSampler",
    "WorldModel",
    "WorldModelConfig",
    "collect",
    "evaluate",
    "goal_cost",
    "load_world_model",
    "make_cost",
    "make_planner",
    "run_episode",
    "save_checkpoint",
    "train",
]

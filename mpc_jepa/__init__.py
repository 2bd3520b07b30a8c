"""mpc_jepa: model-predictive planning with JEPA world models in MuJoCo.

Importing the package has no side effects beyond choosing headless EGL rendering for MuJoCo when
the user has not chosen a backend (MUJOCO_GL). The public names below are imported on first use
(PEP 562), so ``import mpc_jepa.training`` or ``from mpc_jepa import CEMPlanner`` does not load
MuJoCo: training and planning on a learned model need only torch.
"""

import importlib
import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco's renderer

__version__ = "0.1.0"

_EXPORTS = {
    "mpc_jepa.control": (
        "CountingModel",
        "EpisodeResult",
        "FrameStack",
        "MPCController",
        "run_episode",
    ),
    "mpc_jepa.costs": (
        "ActionMagnitude",
        "ActionSmoothness",
        "GoalDistance",
        "SumCost",
        "goal_cost",
    ),
    "mpc_jepa.data": ("Dataset", "DatasetError", "ExplorationConfig", "WindowSampler", "collect"),
    "mpc_jepa.evaluation": ("PlanSettings", "evaluate", "make_cost", "make_planner"),
    "mpc_jepa.models": (
        "CNNEncoder",
        "JEPAWorldModel",
        "KeypointEncoder",
        "MLPEncoder",
        "Predictor",
        "WorldModelConfig",
    ),
    "mpc_jepa.models.checkpoints": (
        "CheckpointError",
        "load_slow",
        "load_world_model",
        "save_checkpoint",
    ),
    "mpc_jepa.models.oracle": ("OracleModel",),
    "mpc_jepa.planners": (
        "PLANNERS",
        "CEMConfig",
        "CEMPlanner",
        "GradCEMConfig",
        "GradCEMPlanner",
        "GradientConfig",
        "GradientPlanner",
        "HierarchicalPlanner",
        "HierarchyConfig",
        "MPPIConfig",
        "MPPIPlanner",
        "VerifiedPlanner",
    ),
    "mpc_jepa.training": ("TrainConfig", "train"),
    "mpc_jepa.types": ("CostFn", "Plan", "Planner", "WorldModel"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'mpc_jepa' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

"""Planners: CEM/iCEM, MPPI, gradient-based, GradCEM, hierarchical. All share ``plan(z0, cost,
init)``."""

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.composite import PlanParts
from mpc_jepa.planners.gradcem import GradCEMConfig, GradCEMPlanner
from mpc_jepa.planners.gradient import GradientConfig, GradientPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner, HierarchyConfig
from mpc_jepa.planners.mppi import MPPIConfig, MPPIPlanner
from mpc_jepa.planners.registry import PLANNERS, PlannerSpec, build_planner, planner_spec
from mpc_jepa.planners.verified import VerifiedPlanner

__all__ = [
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
    "PlanParts",
    "PlannerSpec",
    "VerifiedPlanner",
    "build_planner",
    "planner_spec",
]

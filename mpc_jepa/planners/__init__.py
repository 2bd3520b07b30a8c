"""Planners: CEM/iCEM, MPPI, gradient-based, GradCEM hybrids. All share ``plan(z0, cost, init)``."""

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.gradient import GradientConfig, GradientPlanner
from mpc_jepa.planners.hybrid import GradCEMConfig, GradCEMPlanner
from mpc_jepa.planners.mppi import MPPIConfig, MPPIPlanner

__all__ = ["CEMConfig", "CEMPlanner", "MPPIConfig", "MPPIPlanner", "GradientConfig", "GradientPlanner", "GradCEMConfig", "GradCEMPlanner"]

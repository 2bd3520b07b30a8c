"""Closed-loop evaluation: planners and costs from settings, seeded episodes, summaries."""

from mpc_jepa.evaluation.actor import evaluate_actor
from mpc_jepa.evaluation.closed_loop import evaluate, hard_episode_seeds, observer, summarize
from mpc_jepa.evaluation.factory import (
    make_controller,
    make_cost,
    make_planner,
    needs_distance,
    needs_slow_model,
    planning_model,
)
from mpc_jepa.evaluation.settings import (
    CostSettings,
    GradientSettings,
    HierarchySettings,
    PlanSettings,
    SamplingSettings,
    SlowModelSettings,
    foreign_settings,
    planner_settings,
)

__all__ = [
    "CostSettings",
    "GradientSettings",
    "HierarchySettings",
    "PlanSettings",
    "SamplingSettings",
    "SlowModelSettings",
    "evaluate",
    "evaluate_actor",
    "foreign_settings",
    "hard_episode_seeds",
    "make_controller",
    "make_cost",
    "make_planner",
    "needs_distance",
    "needs_slow_model",
    "observer",
    "planner_settings",
    "planning_model",
    "summarize",
]

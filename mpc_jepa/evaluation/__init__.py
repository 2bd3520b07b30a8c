"""Closed-loop evaluation: planners and costs from settings, seeded episodes, summaries."""

from mpc_jepa.evaluation.actor import evaluate_actor
from mpc_jepa.evaluation.closed_loop import evaluate, hard_episode_seeds, observer, summarize
from mpc_jepa.evaluation.factory import (
    learned_distance,
    make_cost,
    make_planner,
    needs_slow_model,
    planning_model,
)
from mpc_jepa.evaluation.settings import PlanSettings

__all__ = [
    "PlanSettings",
    "evaluate",
    "evaluate_actor",
    "hard_episode_seeds",
    "learned_distance",
    "make_cost",
    "make_planner",
    "needs_slow_model",
    "observer",
    "planning_model",
    "summarize",
]

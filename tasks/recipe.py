"""``TrainingRecipe``: how a task's data and models are best made, written beside the task."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingRecipe:
    """How a task's models are best trained: read by the demo, the benchmarks and notebooks
    (``mpc_jepa.pipeline.ensure_models``), so the recipe is written once, beside the task."""

    collect_episodes: int = 200
    """Exploration episodes in the dataset."""
    collect_length: int = 0
    """Agent steps per collected episode (0: the task's evaluation episode length)."""
    rollout_steps: int = 5
    """Open-loop steps in the world model's prediction loss (long ones teach walls)."""
    latent_dim: int = 16
    """The fast JEPA's latent size (an arm with a cube needs more than a point)."""
    hidden: int = 128
    """The fast JEPA's hidden width."""
    object_gain: float = 0.0
    """The fast JEPA's object slot (``WorldModelConfig.object_gain``; 0: none)."""
    train_steps: int = 0
    """Fast-model optimiser steps (0: the caller's default)."""
    landmarks: int = 500
    """Landmarks of the slow level's graph (more where the state has more dimensions to cover)."""
    utd: float = 0.5
    """Learning by acting (``mpc-jepa learn``): world-model and head updates per agent step."""
    plan: tuple[tuple[str, object], ...] = ()
    """``PlanSettings`` fields this task plans best with, as (name, value) pairs, applied where a
    command leaves them unset (e.g. a short horizon before the critic on a body with contacts)."""
    learn: tuple[tuple[str, object], ...] = ()
    """``LearnSettings`` fields this reward task learns best with (``mpc-jepa learn`` and the
    learning benchmark), as (name, value) pairs, applied where the command line leaves them
    unset."""

"""A task's recipe (``TrainingRecipe``) merged under what the user gave: the settings left out
come from the recipe (how that task trains and plans best), then from the dataclass defaults.

``given``: the names of the settings the user gave (the command line's options); None means all
of them (a caller in Python that built the settings itself: the recipe adds nothing).
"""

from __future__ import annotations

from dataclasses import replace

from mpc_jepa.evaluation import PlanSettings, foreign_settings, planner_settings
from mpc_jepa.pipeline.learn_settings import LearnSettings


def _flags(names) -> str:
    return ", ".join("--" + n.replace("_", "-") for n in names)


def plan_with_recipe(ps: PlanSettings, given: set[str] | None, recipe) -> PlanSettings:
    """``ps`` with the settings not ``given`` taken from ``recipe.plan``, for the chosen planner
    only. A given setting that only other planners read is refused (it would be ignored)."""
    if given is None:
        return ps
    foreign = foreign_settings(ps.planner, given)
    if foreign:
        raise ValueError(
            f"{_flags(foreign)}: not read by --planner {ps.planner} (its options: "
            f"{_flags(planner_settings(ps.planner))})"
        )
    wanted = {k: v for k, v in recipe.plan if k not in given}
    own = {k: v for k, v in wanted.items() if not foreign_settings(ps.planner, [k])}
    return ps.with_flags(**own)


def learn_with_recipe(s: LearnSettings, given: set[str] | None, recipe) -> LearnSettings:
    """``s`` with the settings not ``given`` taken from ``recipe.learn``."""
    if given is None:
        return s
    return replace(s, **{k: v for k, v in recipe.learn if k not in given})


def train_recipe_defaults(recipe, level: str, obs_type: str, given: set[str] | None) -> dict:
    """The ``train`` options (flat names, as the command line spells them) the recipe sets and
    the user left out: fast state model: rollout steps, latent size, width, object slot and
    steps where the recipe sets them; learned distance: landmarks. So the README's plain commands
    train the models the benchmarks use."""
    if level == "fast" and obs_type == "state":
        wanted = {
            "rollout_steps": recipe.rollout_steps,
            "latent_dim": recipe.latent_dim,
            "hidden": recipe.hidden,
            "object_gain": recipe.object_gain,
        }
        if recipe.train_steps:
            wanted["steps"] = recipe.train_steps
    elif level == "distance":
        wanted = {"distance_landmarks": recipe.landmarks}
    else:
        wanted = {}
    given = set(wanted) if given is None else given
    return {k: v for k, v in wanted.items() if k not in given}

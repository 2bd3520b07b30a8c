"""The planner registry: name -> planner class and config class.

The command line's ``--planner`` choices, the factory (``evaluation.factory.make_planner``) and the
planner contract tests all read ``PLANNERS``. Adding a planner is one file (a config dataclass
with ``from_settings`` and a class with ``plan``) plus one line here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.gradcem import GradCEMConfig, GradCEMPlanner
from mpc_jepa.planners.gradient import GradientConfig, GradientPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner, HierarchyConfig
from mpc_jepa.planners.mppi import MPPIConfig, MPPIPlanner


@dataclass(frozen=True)
class PlannerSpec:
    """How to build a registered planner."""

    planner: type
    """Built as ``planner(model, config, callback)`` (composite planners: by the factory)."""
    config: type
    """Its frozen config dataclass; ``config.from_settings(settings)`` reads the shared settings."""
    summary: str
    """One line for ``--help``."""
    needs_gradients: bool = False
    """Differentiates through the model (not the oracle)."""
    composite: bool = False
    """Composed of other planners and a slow model (built by ``evaluation.factory``)."""
    settings: tuple[str, ...] = ()
    """The planner-specific fields of the shared settings (``PlanSettings``) its
    ``config.from_settings`` reads; the command line refuses another planner's (a composite's
    slow-level fields are added by ``evaluation.settings``)."""


_CEM = ("num_samples", "num_elites", "num_iters", "noise_beta")
_GRAD = ("grad_steps", "grad_restarts", "grad_lr", "noise_beta")


PLANNERS: dict[str, PlannerSpec] = {
    "cem": PlannerSpec(
        CEMPlanner,
        CEMConfig,
        "iCEM: cross-entropy with coloured noise, kept elites",
        settings=(*_CEM, "policy_samples"),
    ),
    "mppi": PlannerSpec(
        MPPIPlanner,
        MPPIConfig,
        "MPPI: CEM's loop with a soft, cost-weighted refit",
        settings=("num_samples", "num_iters"),
    ),
    "grad": PlannerSpec(
        GradientPlanner,
        GradientConfig,
        "Adam through the predictor",
        needs_gradients=True,
        settings=_GRAD,
    ),
    "gradcem": PlannerSpec(
        GradCEMPlanner,
        GradCEMConfig,
        "CEM, then Adam from its elites",
        needs_gradients=True,
        settings=(*_CEM, *_GRAD[:3]),
    ),
    "hierarchical": PlannerSpec(
        HierarchicalPlanner,
        HierarchyConfig,
        "a slow level (landmark subgoals, or CEM over the slow JEPA) proposes subgoals, fast CEM "
        "reaches them",
        composite=True,
        settings=_CEM,
    ),
}


def planner_spec(name: str) -> PlannerSpec:
    """The registry entry of ``name``; a ValueError naming the known ones otherwise."""
    if name not in PLANNERS:
        raise ValueError(f"unknown planner {name!r}; known: {', '.join(PLANNERS)}")
    return PLANNERS[name]

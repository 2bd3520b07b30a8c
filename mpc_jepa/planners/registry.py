"""The planner registry: name -> how to build the planner from the shared settings.

The command line's ``--planner`` choices, the factory (``evaluation.factory.make_planner``) and the
planner contract tests all read ``PLANNERS``. Adding a planner is one file (a config dataclass
with ``from_settings`` and a class with ``plan``) plus one entry here; a composite planner adds a
``build`` function (``planners.composite.build_hierarchy`` builds the hierarchy's levels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from mpc_jepa.planners.cem import CEMConfig, CEMPlanner
from mpc_jepa.planners.composite import PlanParts, build_hierarchy
from mpc_jepa.planners.gradcem import GradCEMConfig, GradCEMPlanner
from mpc_jepa.planners.gradient import GradientConfig, GradientPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner, HierarchyConfig
from mpc_jepa.planners.mppi import MPPIConfig, MPPIPlanner


@dataclass(frozen=True)
class PlannerSpec:
    """How to build a registered planner."""

    planner: type
    """Built as ``planner(model, config, callback)`` unless ``build`` is given."""
    config: type
    """Its frozen config dataclass; ``config.from_settings(settings)`` reads the shared settings."""
    summary: str
    """One line for ``--help``."""
    needs_gradients: bool = False
    """Differentiates through the model (not the oracle)."""
    composite: bool = False
    """Composed of other planners (levels): needs a goal-bound cost; its settings group is
    ``PlanSettings.hierarchy``."""
    settings: tuple[str, ...] = ()
    """The planner-specific settings (flat names, ``PlanSettings.flags()``) it reads; the command
    line refuses another planner's (a composite's level settings are added by
    ``evaluation.settings``)."""
    build: Callable | None = None
    """``build(model, settings, parts: PlanParts) -> planner`` for planners not built from one
    config (composites)."""
    takes_prior: bool = False
    """Accepts a proposal prior (``PlanParts.prior``) as a constructor argument."""


_CEM = ("num_samples", "num_elites", "num_iters", "noise_beta")
_GRAD = ("grad_steps", "grad_restarts", "grad_lr", "noise_beta")


PLANNERS: dict[str, PlannerSpec] = {
    "cem": PlannerSpec(
        CEMPlanner,
        CEMConfig,
        "iCEM: cross-entropy with coloured noise, kept elites",
        settings=(*_CEM, "policy_samples"),
        takes_prior=True,
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
        build=build_hierarchy,
    ),
}


def build_planner(name: str, model, settings, parts: PlanParts = PlanParts()):
    """The registered planner ``name`` over ``model``, its config from ``settings``
    (``evaluation.PlanSettings``), seeded per problem by ``parts.seeds`` when given."""
    spec = planner_spec(name)
    if spec.build is not None:
        return spec.build(model, settings, parts)
    config = spec.config.from_settings(settings)
    if parts.seeds is not None:
        config = seeded(config, tuple(parts.seeds))
    if spec.takes_prior:
        return spec.planner(model, config, parts.callback, prior=parts.prior)
    return spec.planner(model, config, parts.callback)


def seeded(config, seed):
    """A planner config with its noise seed replaced (GradCEM's two stages both)."""
    if isinstance(config, GradCEMConfig):  # the only config holding other configs
        return replace(config, cem=seeded(config.cem, seed), grad=seeded(config.grad, seed))
    return replace(config, seed=seed)


def planner_spec(name: str) -> PlannerSpec:
    """The registry entry of ``name``; a ValueError naming the known ones otherwise."""
    if name not in PLANNERS:
        raise ValueError(f"unknown planner {name!r}; known: {', '.join(PLANNERS)}")
    return PLANNERS[name]

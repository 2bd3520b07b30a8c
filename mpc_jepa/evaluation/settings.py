"""The planner and cost settings shared by the command line, the demo and the benchmarks.

``PlanSettings`` holds what every planner reads and one group per planner family or level
(``SamplingSettings``, ``GradientSettings``, ``CostSettings``, ``HierarchySettings`` with its
``SlowModelSettings``). Each setting's name is its command-line flag (``num_samples`` is
``--num-samples``) and unique across the groups, so ``PlanSettings.from_flags(num_samples=64)``
builds the nested settings from flat names, as the command line and the task recipes give them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Literal

from mpc_jepa.planners.registry import PLANNERS, planner_spec

GOAL_METRICS = ("latent", "temporal", "graph", "objects")
SLOW_COSTS = ("graph", "temporal", "latent")
SLOW_LEVELS = ("landmarks", "model")


def _check(cls_name: str, values: dict, at_least: int, names: tuple[str, ...]) -> None:
    for name in names:
        if values[name] < at_least:
            raise ValueError(f"{name} must be >= {at_least}, got {values[name]} ({cls_name})")


def _check_choice(name: str, value, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class SamplingSettings:
    """Sampling planners (cem, mppi, gradcem, the hierarchy's fast level)"""

    num_samples: int = 128
    """Candidates in the first iteration."""
    num_elites: int = 12
    """CEM: elites."""
    num_iters: int = 3
    """Iterations per control step."""
    noise_beta: float = 2.0
    """Exponent of the sampling noise's spectrum, for the gradient planner's restarts too (0:
    white, 2: iCEM's smooth low-frequency noise; a running gait wants whiter noise)."""
    policy_samples: int = 0
    """CEM on a reward task whose heads hold a policy prior: candidates proposed by the policy
    (its rollout through the model and noisy copies) in every iteration (TD-MPC2's policy
    samples); 0: none."""

    def __post_init__(self):
        _check("SamplingSettings", vars(self), 1, ("num_samples", "num_elites", "num_iters"))
        _check("SamplingSettings", vars(self), 0, ("noise_beta", "policy_samples"))


@dataclass(frozen=True)
class GradientSettings:
    """Gradient planners (grad, gradcem)"""

    grad_steps: int = 10
    """Adam steps per control step."""
    grad_restarts: int = 8
    """Restarts optimised in one batch."""
    grad_lr: float = 0.3
    """Adam step size."""

    def __post_init__(self):
        _check("GradientSettings", vars(self), 1, ("grad_steps", "grad_restarts"))


@dataclass(frozen=True)
class CostSettings:
    """The goal distance or return the planner minimises"""

    goal_metric: Literal["latent", "temporal", "graph", "objects"] = "latent"
    """Goal distance of the (flat or fast) planner: the latent norm, the learned temporal
    distance, that metric composed over its landmark graph, or the norm between the objects'
    dimensions read off the latents (all three read the learned distance, `train --level
    distance`; with the hierarchical planner 'temporal' and 'graph' mean the metric alone toward
    its near subgoals)."""
    weighting: Literal["terminal", "uniform", "linear"] = "uniform"
    """Goal distance over the horizon: last step only, mean over steps, or growing weights."""
    terminal_weight: float = 1.0
    """Extra weight on the last step (added to the running weights)."""
    critic_weight: float = 1.0
    """Reward tasks: weight of the critic's value after the horizon in the return cost (0: the
    predicted rewards within the horizon alone)."""
    prior_weight: float = 0.0
    """With a goal actor proposing (--prior-actor): weight of a candidate's mean squared
    deviation from the actor's proposal, added to the cost (0: none)."""

    def __post_init__(self):
        _check_choice("goal_metric", self.goal_metric, GOAL_METRICS)
        _check("CostSettings", vars(self), 0, ("critic_weight", "prior_weight"))


@dataclass(frozen=True)
class SlowModelSettings:
    """The hierarchy's slow level 'model' (--slow-level model): CEM over the slow JEPA"""

    slow_horizon: int = 16
    """Slow planning horizon (slow steps of k fast steps each)."""
    slow_samples: int = 1024
    """Slow CEM candidates (the slow search has local minima: walls)."""
    slow_iters: int = 5
    """Slow CEM iterations."""
    slow_warm_samples: int = 0
    """Slow CEM candidates when re-planning from the shifted previous slow plan (0:
    slow_samples)."""
    slow_warm_iters: int = 0
    """Slow CEM iterations when re-planning from the previous slow plan (0: slow_iters)."""
    slow_replan_every: int = 8
    """Fast steps between slow replans (k: once per slow step)."""
    slow_weighting: Literal["uniform", "linear", "terminal"] = "uniform"
    """The slow level's goal-distance weighting over its horizon."""
    slow_verify: bool = False
    """Re-score the slow plan and its elites through the fast model (see HierarchicalPlanner)."""
    slow_handover: float = 0.5
    """Aim at the goal itself once the slow plan gains less than this latent distance after the
    subgoal (0.5 = five steps of the default reachability geometry)."""
    slow_cost: Literal["graph", "temporal", "latent"] = "graph"
    """The slow level's goal distance: the learned temporal distance composed over its landmark
    graph (models.landmark_graph), the metric alone (steps through the data's transitions;
    models.temporal_distance), or the fast latent's norm."""
    slow_max_step: float = 1.5
    """Temporal or graph slow cost: slow steps longer than this many k-step strides under the
    metric are penalised (the slow model predicting the impossible, e.g. through a wall); 0:
    off."""
    slow_subgoal: int = 2
    """Which predicted slow latent becomes the fast level's subgoal."""
    slow_search: Literal["held", "ramp", "code"] = "held"
    """What the slow planner searches: a primitive action held for k steps, a ramp between two,
    or raw macro-action codes (which the planner exploits: see SlowWorldModel)."""

    def __post_init__(self):
        names = ("slow_horizon", "slow_samples", "slow_iters", "slow_replan_every")
        _check("SlowModelSettings", vars(self), 1, names)
        _check("SlowModelSettings", vars(self), 0, ("slow_warm_samples", "slow_warm_iters"))
        _check_choice("slow_cost", self.slow_cost, SLOW_COSTS)


@dataclass(frozen=True)
class HierarchySettings:
    """The hierarchy (--planner hierarchical): its slow level proposes the fast level's subgoals"""

    slow_level: Literal["landmarks", "model"] = "landmarks"
    """The slow level: shortest paths over the learned distance's landmark graph, the subgoal
    slow_lookahead ahead ('landmarks'; planners.landmark), or CEM over the learned slow model
    ('model'; SlowModelSettings)."""
    slow_lookahead: float = 1.0
    """slow_level 'landmarks': subgoal distance along the graph's path (metric units: 1.0 = 10
    steps)."""
    model: SlowModelSettings = field(default_factory=SlowModelSettings)

    def __post_init__(self):
        _check_choice("slow_level", self.slow_level, SLOW_LEVELS)

    def check_level_in_use(self) -> None:
        """A setting of the slow level not in use would be silently ignored: name it instead."""
        if self.slow_level == "model" and self.slow_lookahead != 1.0:
            raise ValueError(
                f"slow_lookahead={self.slow_lookahead!r} is a setting of slow_level='landmarks',"
                " but slow_level is 'model' (--slow-level landmarks)"
            )
        defaults = flags_of(SlowModelSettings())
        changed = [n for n, v in flags_of(self.model).items() if v != defaults[n]]
        if self.slow_level == "landmarks" and changed:
            raise ValueError(
                f"{changed[0]}={getattr(self.model, changed[0])!r} is a setting of "
                "slow_level='model', but slow_level is 'landmarks' (--slow-level model)"
            )


@dataclass(frozen=True)
class PlanSettings:
    """Planner and cost settings shared by `eval`, `plan`, `bench` and `demo`."""

    planner: str = field(default="cem", metadata={"choices": tuple(PLANNERS)})
    """Planner (mpc_jepa.planners.registry): cem (iCEM), mppi, grad (Adam through the predictor),
    gradcem (CEM then Adam) or hierarchical (a slow level proposes subgoals: the landmark graph's
    shortest path, or CEM over the slow JEPA with --slow-level model; fast CEM reaches them)."""
    horizon: int = 15
    """Planning horizon T (agent steps)."""
    replan_every: int = 1
    """Control steps between replans (the plan's next actions are executed in between)."""
    planner_seed: int = 0
    """Planner noise seed (each episode adds its own seed to it)."""
    compile: bool = False
    """Run the learned models' rollouts through torch.compile: ~1.7-2x faster planning on a CPU
    after a one-off compilation (~70 s cold, seconds from inductor's cache; see
    mpc_jepa.models.compiled)."""
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    grad: GradientSettings = field(default_factory=GradientSettings)
    cost: CostSettings = field(default_factory=CostSettings)
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)

    def __post_init__(self):
        planner_spec(self.planner)  # names the known planners
        _check("PlanSettings", vars(self), 1, ("horizon", "replan_every"))
        _check("PlanSettings", vars(self), 0, ("planner_seed",))
        n = self.sampling
        if "num_elites" in planner_settings(self.planner) and n.num_elites > n.num_samples:
            raise ValueError(
                f"num_elites ({n.num_elites}) must be <= num_samples ({n.num_samples})"
            )
        if self.composite:
            self.hierarchy.check_level_in_use()

    @classmethod
    def from_flags(cls, **flags) -> PlanSettings:
        """Settings from flat names (the command line's flags without the dashes), e.g.
        ``PlanSettings.from_flags(planner="hierarchical", slow_level="model")``."""
        return cls().with_flags(**flags)

    def with_flags(self, **flags) -> PlanSettings:
        """A copy with the settings named by their flat names replaced."""
        return _with_flags(self, flags)

    def flags(self) -> dict:
        """Every setting by its flat name (the command line's; what result files record)."""
        return flags_of(self)

    @property
    def composite(self) -> bool:
        """Whether the planner is composed of levels (the hierarchy)."""
        return planner_spec(self.planner).composite


def flags_of(settings) -> dict:
    """The leaf fields of nested settings dataclasses, by name."""
    out = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        out.update(flags_of(value) if is_dataclass(value) else {f.name: value})
    return out


def _with_flags(settings, flags: dict):
    """``settings`` with leaf fields replaced by flat name, nested groups rebuilt (and checked)."""
    own, rest = {}, dict(flags)
    for f in fields(settings):
        value = getattr(settings, f.name)
        if is_dataclass(value):
            mine = {k: rest.pop(k) for k in list(rest) if k in flags_of(value)}
            if mine:
                own[f.name] = _with_flags(value, mine)
        elif f.name in rest:
            own[f.name] = rest.pop(f.name)
    if rest and type(settings) is PlanSettings:
        raise ValueError(f"unknown plan settings: {', '.join(sorted(rest))}")
    return replace(settings, **own) if own else settings


HIERARCHY_SETTINGS = tuple(flags_of(HierarchySettings()))
"""The settings only the hierarchical planner reads."""


def planner_settings(planner: str) -> tuple[str, ...]:
    """The planner-specific settings (flat names) that ``planner`` reads (a composite: its fast
    CEM's and the slow levels')."""
    spec = planner_spec(planner)
    return spec.settings + (HIERARCHY_SETTINGS if spec.composite else ())


def foreign_settings(planner: str, names) -> list[str]:
    """Those of ``names`` (settings a user gave) that only other planners read: they would be
    silently ignored, so the command line refuses them."""
    own = set(planner_settings(planner))
    specific = {n for p in PLANNERS for n in planner_settings(p)}
    return sorted(n for n in names if n in specific and n not in own)


__all__ = [
    "CostSettings",
    "GradientSettings",
    "HierarchySettings",
    "PlanSettings",
    "SamplingSettings",
    "SlowModelSettings",
]

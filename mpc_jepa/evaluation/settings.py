"""The planner and cost settings shared by the command line, the demo and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

from mpc_jepa.planners.registry import PLANNERS, planner_spec

GOAL_METRICS = ("latent", "temporal", "graph")
SLOW_COSTS = ("graph", "temporal", "latent")
SLOW_LEVELS = ("landmarks", "model")
LEVEL_SETTINGS = {  # the settings that only one slow level reads
    "landmarks": ("slow_lookahead",),
    "model": (
        "slow_horizon",
        "slow_samples",
        "slow_iters",
        "slow_warm_samples",
        "slow_warm_iters",
        "slow_replan_every",
        "slow_weighting",
        "slow_verify",
        "slow_handover",
        "slow_cost",
        "slow_max_step",
        "slow_subgoal",
        "slow_search",
    ),
}

HIERARCHY_SETTINGS = ("slow_level", *(n for names in LEVEL_SETTINGS.values() for n in names))
"""The settings only the hierarchical planner reads."""


@dataclass(frozen=True)
class PlanSettings:
    """Planner and cost settings shared by `eval`, `plan`, `bench` and `demo`."""

    planner: str = field(default="cem", metadata={"choices": tuple(PLANNERS)})
    """Planner (mpc_jepa.planners.registry): cem (iCEM), mppi, grad (Adam through the predictor),
    gradcem (CEM then Adam) or hierarchical (a slow level proposes subgoals: the landmark graph's
    shortest path, or CEM over the slow JEPA with --slow-level model; fast CEM reaches them)."""
    horizon: int = 15
    """Planning horizon T (agent steps)."""
    num_samples: int = 128
    """Sampling planners: candidates in the first iteration."""
    num_elites: int = 12
    """CEM: elites."""
    num_iters: int = 3
    """Sampling planners: iterations per control step."""
    noise_beta: float = 2.0
    """CEM and the gradient planner's restarts: exponent of the sampling noise's spectrum (0: white,
    2: iCEM's smooth low-frequency noise; a running gait wants whiter noise)."""
    policy_samples: int = 0
    """CEM on a reward task whose heads hold a policy prior: candidates proposed by the policy
    (its rollout through the model and noisy copies) in every iteration (TD-MPC2's policy
    samples); 0: none."""
    grad_steps: int = 10
    """Gradient planner: Adam steps per control step."""
    grad_restarts: int = 8
    """Gradient planner: restarts optimised in one batch."""
    grad_lr: float = 0.3
    """Gradient planner: Adam step size."""
    goal_metric: Literal["latent", "temporal", "graph"] = "latent"
    """Goal distance of the (flat or fast) planner: the latent norm, the slow level's learned
    temporal distance, or that metric composed over its landmark graph (both need the slow
    checkpoint; with the hierarchical planner either means the metric alone toward its near
    subgoals)."""
    weighting: Literal["terminal", "uniform", "linear"] = "uniform"
    """Goal distance over the horizon: last step only, mean over steps, or growing weights."""
    terminal_weight: float = 1.0
    """Extra weight on the last step (added to the running weights)."""
    critic_weight: float = 1.0
    """Reward tasks: weight of the critic's value after the horizon in the return cost (0: the
    predicted rewards within the horizon alone)."""
    replan_every: int = 1
    """Control steps between replans (the plan's next actions are executed in between)."""
    slow_level: Literal["model", "landmarks"] = "landmarks"
    """Hierarchical: the slow level: shortest paths over the landmark graph, the subgoal
    slow_lookahead ahead ('landmarks'; planners.landmark), or CEM over the learned slow model
    ('model'; the settings below up to slow_search are that level's)."""
    slow_lookahead: float = 1.0
    """Hierarchical with slow_level 'landmarks': subgoal distance along the graph's path (metric
    units: 1.0 = 10 steps)."""
    slow_horizon: int = 16
    """Hierarchical: slow planning horizon (slow steps of k fast steps each)."""
    slow_samples: int = 1024
    """Hierarchical: slow CEM candidates (the slow search has local minima: walls)."""
    slow_iters: int = 5
    """Hierarchical: slow CEM iterations."""
    slow_warm_samples: int = 0
    """Hierarchical: slow CEM candidates when re-planning from the shifted previous slow plan
    (0: slow_samples)."""
    slow_warm_iters: int = 0
    """Hierarchical: slow CEM iterations when re-planning from the previous slow plan (0:
    slow_iters)."""
    slow_replan_every: int = 8
    """Hierarchical: fast steps between slow replans (k: once per slow step)."""
    slow_weighting: Literal["uniform", "linear", "terminal"] = "uniform"
    """Hierarchical: the slow level's goal-distance weighting over its horizon."""
    slow_verify: bool = False
    """Hierarchical: re-score the slow plan and its elites through the fast model (see
    HierarchicalPlanner)."""
    slow_handover: float = 0.5
    """Hierarchical: aim at the goal itself once the slow plan gains less than this latent distance
    after the subgoal (0.5 = five steps of the default reachability geometry)."""
    slow_cost: Literal["graph", "temporal", "latent"] = "graph"
    """Hierarchical: the slow level's goal distance: its learned temporal distance composed over
    its landmark graph (models.landmark_graph), the metric alone (steps through the data's
    transitions; models.temporal_distance), or the fast latent's norm."""
    slow_max_step: float = 1.5
    """Hierarchical, temporal slow cost: slow steps longer than this many k-step strides under the
    metric are penalised (the slow model predicting the impossible, e.g. through a wall); 0: off."""
    slow_subgoal: int = 2
    """Hierarchical: which predicted slow latent becomes the fast level's subgoal."""
    slow_search: Literal["held", "ramp", "code"] = "held"
    """Hierarchical: what the slow planner searches: a primitive action held for k steps, a ramp
    between two, or raw macro-action codes (which the planner exploits: see SlowWorldModel)."""
    planner_seed: int = 0
    """Planner noise seed (each episode adds its own seed to it)."""
    compile: bool = False
    """Run the learned models' rollouts through torch.compile: ~1.7-2x faster planning on a CPU
    after a one-off compilation (~70 s cold, seconds from inductor's cache; see
    mpc_jepa.models.compiled)."""

    def __post_init__(self):
        planner_spec(self.planner)  # names the known planners
        for name in (
            "horizon",
            "num_samples",
            "num_elites",
            "num_iters",
            "replan_every",
            "slow_horizon",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.critic_weight < 0 or self.noise_beta < 0:
            raise ValueError(
                f"critic_weight and noise_beta must be >= 0, got {self.critic_weight}, "
                f"{self.noise_beta}"
            )
        for name in ("slow_warm_samples", "slow_warm_iters", "policy_samples"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name, allowed in (
            ("goal_metric", GOAL_METRICS),
            ("slow_cost", SLOW_COSTS),
            ("slow_level", SLOW_LEVELS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if "num_elites" in planner_settings(self.planner) and self.num_elites > self.num_samples:
            raise ValueError(
                f"num_elites ({self.num_elites}) must be <= num_samples ({self.num_samples})"
            )
        if planner_spec(self.planner).composite:
            self._check_other_level_untouched()

    def _check_other_level_untouched(self):
        """A setting of the slow level not in use would be silently ignored: name it instead."""
        defaults = {f.name: f.default for f in fields(PlanSettings)}
        for level, names in LEVEL_SETTINGS.items():
            if level == self.slow_level:
                continue
            for name in names:
                if getattr(self, name) != defaults[name]:
                    raise ValueError(
                        f"{name}={getattr(self, name)!r} is a setting of slow_level={level!r}, "
                        f"but slow_level is {self.slow_level!r} (--slow-level {level})"
                    )


def planner_settings(planner: str) -> tuple[str, ...]:
    """The planner-specific ``PlanSettings`` fields that ``planner`` reads (a composite: its fast
    CEM's and the slow levels')."""
    spec = planner_spec(planner)
    return spec.settings + (HIERARCHY_SETTINGS if spec.composite else ())


def foreign_settings(planner: str, names) -> list[str]:
    """Those of ``names`` (settings a user gave) that only other planners read: they would be
    silently ignored, so the command line refuses them."""
    own = set(planner_settings(planner))
    specific = {n for p in PLANNERS for n in planner_settings(p)}
    return sorted(n for n in names if n in specific and n not in own)

"""What `eval` and `plan` evaluate: the task, its models by path, the episodes; and the loading
of the models a planner's settings read (no more: a flat latent planner loads one checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass

from mpc_jepa.evaluation import PlanSettings, needs_distance, needs_slow_model
from mpc_jepa.pipeline.models import (
    load_actor,
    load_distance_model,
    load_model,
    load_slow_model,
    load_value_model,
)


@dataclass(frozen=True)
class ModelChoice:
    """What `eval` and `plan` share: the task, its models and the first episode seed."""

    task: str = "point_mass"
    """Task to plan on."""
    checkpoint: str = ""
    """World-model checkpoint (default: runs/<task>/world_model.pt); unused with --model oracle."""
    model: str = "learned"
    """'learned' (the JEPA checkpoint) or 'oracle' (the task's true MuJoCo physics)."""
    seed: int = 100000
    """(First) episode seed (far from the collection seeds)."""
    pixels: bool = False
    """Plan from 64x64 camera images with a pixel checkpoint (default
    runs/<task>/world_model_pixels.pt); goals are images."""
    distance_checkpoint: str = ""
    """With --planner hierarchical (landmarks) or --goal-metric temporal|graph: the learned
    distance (default: runs/<task>/distance.pt, from `train --level distance`)."""
    slow_checkpoint: str = ""
    """With --planner hierarchical --slow-level model: the slow level (default:
    runs/<task>/slow_model.pt, from `train --level slow`)."""
    value_checkpoint: str = ""
    """Reward tasks (dmc:<domain>-<task>@reward): the reward head and critic (default:
    runs/<task>/value_heads.pt)."""
    actor: str = ""
    """Act with this goal-actor checkpoint instead of a planner (mode 1, no planning; written by
    `mpc-jepa train --level actor` to runs/<task>/goal_actor.pt); comma-separated checkpoints act
    as one, their action chunks averaged."""
    prior_actor: str = ""
    """Plan with CEM, this goal-actor checkpoint proposing --policy-samples of its candidates
    (its action chunk at each observation and noisy copies: mode 1 proposing, mode 2 choosing);
    comma-separated checkpoints propose as one."""


@dataclass(frozen=True)
class EvalSettings(ModelChoice):
    episodes: int = 50
    """Episodes (seeds seed, seed+1, ...)."""
    json: str = ""
    """Write per-episode and summary results here as JSON."""
    device: str = "cpu"
    """Torch device for the learned model."""
    workers: int = 1
    """Processes sharing the episodes (results equal a sequential run; under torchrun the ranks
    share them)."""
    batch: int = 1
    """Episodes advanced together and planned in one batched call per control step (each keeps
    its own seeds: results equal a sequential run's up to float rounding; works with
    --workers)."""

    def __post_init__(self):
        for name in ("episodes", "workers", "batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class PlanningModels:
    """The models a planner with given settings reads; those it does not read are None."""

    model: object
    """The world model (learned or oracle)."""
    slow: object = None
    """The slow level (``SlowWorldModel``)."""
    distance: object = None
    """The learned distance (``LearnedDistance``)."""
    heads: object = None
    """A reward task's reward head and critic (``ValueHeads``)."""
    actor: object = None
    """A goal actor proposing candidates (``GoalActor`` / ``ActorEnsemble``)."""


def load_planning_models(task, s: ModelChoice, ps: PlanSettings, device: str = "cpu"):
    """``task``'s world model of ``s`` and whatever else planning with ``ps`` reads."""
    model = load_model(task, s.model, s.checkpoint, device)
    search = ps.hierarchy.model.slow_search
    slow = load_slow_model(task, model, s.slow_checkpoint, search) if needs_slow_model(ps) else None
    distance = (
        load_distance_model(task, model, s.distance_checkpoint) if needs_distance(ps) else None
    )
    heads = load_value_model(task, model, s.value_checkpoint)
    if s.prior_actor and not ps.sampling.policy_samples:
        raise ValueError("--prior-actor proposes --policy-samples candidates: give a count > 0")
    actor = load_actor(s.task, s.prior_actor, device) if s.prior_actor else None
    return PlanningModels(model, slow, distance, heads, actor)

"""`mpc-jepa eval` as a function: the task loaded once, its recipe merged under the settings
given, then a goal actor, a sharded sweep or a local run; the results with their settings."""

from __future__ import annotations

from dataclasses import asdict

import tasks
from mpc_jepa.evaluation import PlanSettings, evaluate, evaluate_actor
from mpc_jepa.pipeline.eval_settings import EvalSettings, load_planning_models
from mpc_jepa.pipeline.models import load_actor
from mpc_jepa.pipeline.recipes import plan_with_recipe
from mpc_jepa.pipeline.sharding import evaluate_ranks, evaluate_sharded
from mpc_jepa.training import distributed


def run_eval(
    s: EvalSettings, ps: PlanSettings = PlanSettings(), given: set[str] | None = None,
    progress: bool = True,
) -> dict | None:  # fmt: skip
    """Evaluate ``s`` with the planner settings ``ps`` (the task recipe's planner settings fill
    those not in ``given``, the names the user gave; None: ``ps`` as it is). Returns
    {"summary", "episodes", "settings"}; None on a torchrun rank other than 0 (rank 0 reports)."""
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels and not s.actor)
    if s.actor:  # no world model, no planner
        actor = load_actor(s.task, s.actor, s.device)
        out = evaluate_actor(task, actor, s.episodes, s.seed, progress, s.device, batch=s.batch)
        out["settings"] = asdict(s)
        return out
    ps = plan_with_recipe(ps, given, task.recipe)
    models = load_planning_models(task, s, ps, s.device)  # bad paths named before any worker
    if distributed.env_world_size() > 1:
        out = evaluate_ranks(s, ps)
    elif s.workers > 1:
        out = evaluate_sharded(s, ps, s.workers)
    else:
        out = evaluate(
            task, models.model, ps, s.episodes, seed=s.seed, progress=progress, device=s.device,
            slow_model=models.slow, distance=models.distance, batch=s.batch, heads=models.heads,
            actor=models.actor,
        )  # fmt: skip
    if out is not None:
        out["settings"] = {**asdict(s), **ps.flags()}
    return out

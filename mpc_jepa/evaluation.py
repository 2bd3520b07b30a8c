"""Closed-loop evaluation: build a planner by name, run seeded episodes, summarise."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from tqdm.auto import tqdm

from mpc_jepa.costs import GoalDistance
from mpc_jepa.mpc import CountingModel, FrameStack, MPCController, observe_physics, run_episode
from mpc_jepa.planners import CEMConfig, CEMPlanner, GradCEMConfig, GradCEMPlanner, GradientConfig, GradientPlanner, MPPIConfig, MPPIPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner

PLANNERS = ("cem", "mppi", "grad", "gradcem", "hierarchical")


@dataclass(frozen=True)
class PlanSettings:
    """Planner and cost settings shared by `eval`, `plan`, `bench` and `demo`."""

    planner: Literal["cem", "mppi", "grad", "gradcem", "hierarchical"] = "cem"
    """Planner: cem (iCEM), mppi, grad (Adam through the predictor), gradcem (CEM then Adam) or
    hierarchical (slow CEM over macro-actions proposes subgoals, fast CEM reaches them)."""
    horizon: int = 15
    """Planning horizon T (agent steps)."""
    num_samples: int = 128
    """Sampling planners: candidates in the first iteration."""
    num_elites: int = 12
    """CEM: elites."""
    num_iters: int = 3
    """Sampling planners: iterations per control step."""
    grad_steps: int = 10
    """Gradient planner: Adam steps per control step."""
    grad_restarts: int = 8
    """Gradient planner: restarts optimised in one batch."""
    grad_lr: float = 0.3
    """Gradient planner: Adam step size."""
    goal_metric: Literal["latent", "temporal", "graph"] = "latent"
    """Goal distance of the (flat or fast) planner: the latent norm, the slow level's learned
    temporal distance, or that metric composed over its landmark graph (both need the slow
    checkpoint; for comparisons: the hierarchy's fast level keeps the latent norm toward its near subgoals)."""
    weighting: Literal["terminal", "uniform", "linear"] = "uniform"
    """Goal distance over the horizon: last step only, mean over steps, or growing weights."""
    terminal_weight: float = 1.0
    """Extra weight on the last step (added to the running weights)."""
    replan_every: int = 1
    """Control steps between replans (the plan's next actions are executed in between)."""
    slow_horizon: int = 16
    """Hierarchical: slow planning horizon (slow steps of k fast steps each)."""
    slow_samples: int = 1024
    """Hierarchical: slow CEM candidates (the slow search has local minima: walls)."""
    slow_iters: int = 5
    """Hierarchical: slow CEM iterations."""
    slow_replan_every: int = 8
    """Hierarchical: fast steps between slow replans (k: once per slow step)."""
    slow_weighting: Literal["uniform", "linear", "terminal"] = "uniform"
    """Hierarchical: the slow level's goal-distance weighting over its horizon."""
    slow_verify: bool = False
    """Hierarchical: re-score the slow plan and its elites through the fast model (see HierarchicalPlanner)."""
    slow_handover: float = 0.5
    """Hierarchical: aim at the goal itself once the slow plan gains less than this latent distance
    after the subgoal (0.5 = five steps of the default reachability geometry)."""
    slow_cost: Literal["graph", "temporal", "latent"] = "graph"
    """Hierarchical: the slow level's goal distance: its learned temporal distance composed over its
    landmark graph (models.landmark_graph; two_room 94% vs 86% for the metric alone, docs/ARCHITECTURE.md),
    the metric alone (steps through the data's transitions; models.temporal_distance), or the fast latent's norm."""
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
    after a one-off compilation (~70 s cold, seconds from inductor's cache; see mpc_jepa.compiled)."""


def planning_model(model, s: PlanSettings):
    """``model`` as the planners should call it: compiled if ``s.compile`` (None stays None)."""
    if model is None or not s.compile:
        return model
    from mpc_jepa.compiled import CompiledModel

    return CompiledModel(model)


def make_planner(name: str, model, s: PlanSettings, callback=None, slow_model=None):
    """A planner by name over ``model`` with the settings ``s`` (``slow_model`` for 'hierarchical')."""
    if name not in PLANNERS:
        raise ValueError(f"unknown planner {name!r}; known: {', '.join(PLANNERS)}")
    if name == "hierarchical":
        if slow_model is None:
            raise ValueError("the hierarchical planner needs a slow model (train one with `mpc-jepa train --level slow`)")
        slow_cfg = CEMConfig(
            horizon=s.slow_horizon, num_samples=s.slow_samples, num_elites=min(s.num_elites, s.slow_samples), num_iters=s.slow_iters, seed=s.planner_seed + 7
        )
        fast = make_planner("cem", model, s, callback)
        if getattr(slow_model, "search", s.slow_search) != s.slow_search:
            raise ValueError(f"the slow model searches {slow_model.search!r}, the settings ask {s.slow_search!r}: load it with search={s.slow_search!r}")
        metric = max_step = lengths = None
        if s.slow_cost in ("temporal", "graph"):
            metric = learned_distance(slow_model, s.slow_cost, "slow_cost")
            max_step = s.slow_max_step * slow_model.k * metric.step_scale if s.slow_max_step > 0 else None
            lengths, metric = metric.step_lengths, metric.distance
        elif s.slow_cost != "latent":
            raise ValueError(f"slow_cost must be 'temporal', 'graph' or 'latent', got {s.slow_cost!r}")
        return HierarchicalPlanner(
            CEMPlanner(slow_model, slow_cfg),
            fast,
            k=slow_model.k,
            slow_replan_every=s.slow_replan_every,
            subgoal_index=s.slow_subgoal,
            handover_margin=s.slow_handover,
            slow_weighting=s.slow_weighting,
            verify_model=model if s.slow_verify else None,
            chunks=slow_model.chunks if s.slow_verify else None,
            slow_metric=metric,
            slow_max_step=max_step,
            slow_lengths=lengths,
        )
    cem = CEMConfig(horizon=s.horizon, num_samples=s.num_samples, num_elites=min(s.num_elites, s.num_samples), num_iters=s.num_iters, seed=s.planner_seed)
    grad = GradientConfig(horizon=s.horizon, num_restarts=s.grad_restarts, num_steps=s.grad_steps, lr=s.grad_lr, seed=s.planner_seed)
    if name == "cem":
        return CEMPlanner(model, cem, callback)
    if name == "mppi":
        return MPPIPlanner(
            model, MPPIConfig(horizon=s.horizon, num_samples=s.num_samples, num_elites=s.num_samples, num_iters=s.num_iters, seed=s.planner_seed), callback
        )
    if name == "grad":
        if getattr(model, "differentiable", True) is False:
            raise ValueError("the gradient planner needs a differentiable model; the oracle (true physics) is not")
        return GradientPlanner(model, grad, callback)
    return GradCEMPlanner(model, GradCEMConfig(cem=cem, grad=grad), callback)


def needs_slow_model(s: PlanSettings) -> bool:
    """Whether planning with ``s`` reads the slow level (its predictor or its metric)."""
    return s.planner == "hierarchical" or s.goal_metric != "latent"


def learned_distance(slow_model, kind: str, setting: str):
    """The slow level's ``TemporalDistance`` (kind 'temporal') or its ``LandmarkGraph`` ('graph'),
    with a clear error naming ``setting`` when the slow model lacks it."""
    metric = getattr(slow_model, "metric", None)
    if metric is None:
        raise ValueError(
            f"{setting}={kind!r} needs a slow model with a temporal-distance metric"
            f" (train one with `mpc-jepa train --level distance`), or use {setting}='latent'"
        )
    if kind == "temporal":
        return metric
    graph = getattr(slow_model, "graph", None)
    if graph is None:
        raise ValueError(f"{setting}='graph' needs a slow model with landmarks (`mpc-jepa train --level distance` builds them)")
    return graph


def make_cost(model, s: PlanSettings, slow_model=None) -> GoalDistance:
    """Latent goal distance; for the oracle, on its configuration features (velocity scaled);
    with ``s.goal_metric == 'temporal'``, the slow level's temporal distance (not for 'hierarchical',
    whose slow level uses the metric itself: see ``PlanSettings.slow_cost``)."""
    project = model.goal_features if hasattr(model, "goal_features") else None
    metric = None
    if s.goal_metric in ("temporal", "graph") and s.planner != "hierarchical":
        metric = learned_distance(slow_model, s.goal_metric, "goal_metric").distance
    elif s.goal_metric not in ("latent", "temporal", "graph"):
        raise ValueError(f"goal_metric must be 'latent', 'temporal' or 'graph', got {s.goal_metric!r}")
    return GoalDistance(weighting=s.weighting, terminal_weight=s.terminal_weight, project=project, metric=metric)


def evaluate(task, model, s: PlanSettings, episodes: int, seed: int = 0, progress: bool = True, device="cpu", slow_model=None, indices=None) -> dict:
    """Run ``episodes`` seeded episodes (seeds seed, seed+1, ...) and summarise.

    ``indices``: run only these episode numbers (in [0, episodes)): a shard of a sweep. Episode i
    always uses task seed ``seed + i`` and planner seed ``planner_seed + seed + i``, so shards
    merged in order equal the sequential run.
    Returns {"summary": {...}, "episodes": [...]} with stable keys (see README).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    indices = range(episodes) if indices is None else list(indices)
    if any(not 0 <= i < episodes for i in indices):
        raise ValueError(f"episode indices must lie in [0, {episodes}), got {list(indices)}")
    counting = CountingModel(planning_model(model, s))
    slow_counting = CountingModel(planning_model(slow_model, s)) if slow_model is not None else None
    is_oracle = hasattr(model, "goal_features")
    results = []
    for i in tqdm(indices, desc=f"eval {task.name} {s.planner}", disable=not progress, unit="ep"):
        # a fresh planner per episode, seeded by the episode: results do not depend on episode order
        si = replace(s, planner_seed=s.planner_seed + seed + i)
        planner = make_planner(s.planner, counting, si, slow_model=slow_counting if s.planner == "hierarchical" else None)
        controller = MPCController(counting, planner, make_cost(model, s, slow_model), s.replan_every, device=device)
        counters = [c for c in (counting, slow_counting) if c is not None]
        observe = observe_physics if is_oracle else observer(model)
        results.append(run_episode(task, controller, seed=seed + i, observe=observe, counters=counters))
    episodes_out = [r.as_dict() for r in results]
    return {"summary": summarize(episodes_out), "episodes": episodes_out}


def observer(model):
    """The observation function ``run_episode`` needs for ``model``: None (states) or a ``FrameStack`` (pixels)."""
    shape = getattr(model, "obs_shape", ())
    return FrameStack(shape[0] // 3) if len(shape) == 3 else None


def summarize(episodes: list[dict]) -> dict:
    """Summary of per-episode result dicts (``EpisodeResult.as_dict()``)."""
    col = lambda k: [e[k] for e in episodes]  # noqa: E731
    return {
        "episodes": len(episodes),
        "success_rate": float(np.mean(col("success"))),
        "mean_final_distance": float(np.mean(col("final_distance"))),
        "median_final_distance": float(np.median(col("final_distance"))),
        "mean_start_distance": float(np.mean(col("start_distance"))),
        "median_ms_per_step": float(np.median(col("ms_per_step"))),
        "mean_ms_per_step": float(np.mean(col("mean_ms_per_step"))),
        "model_evals_per_step": float(np.mean(col("model_evals_per_step"))),
    }


def load_model(task, model: str = "learned", checkpoint: str = "", device: str = "cpu"):
    """The learned world model from ``checkpoint`` (default runs/<task>/world_model.pt, or
    world_model_pixels.pt for a task loaded with pixels=True; checked against the task) or the oracle."""
    if model == "oracle":
        from mpc_jepa.models.oracle import OracleModel

        return OracleModel(task)
    if model != "learned":
        raise ValueError(f"model must be 'learned' or 'oracle', got {model!r}")
    from mpc_jepa.checkpoint import load_world_model

    obs_type = "pixels" if task.pixels else "state"
    path = checkpoint or f"runs/{task.name.replace(':', '_')}/world_model{'_pixels' if task.pixels else ''}.pt"
    return load_world_model(path, task=task.name, obs_type=obs_type, device=device)


def load_slow_model(task, fast, path: str = "", search: str = "held"):
    """The slow level for ``fast`` (default runs/<task>/slow_model.pt); ``search``: see ``SlowWorldModel``."""
    from mpc_jepa.training_slow import load_slow

    return load_slow(path or f"runs/{task.name.replace(':', '_')}/slow_model.pt", fast, task=task.name, search=search)

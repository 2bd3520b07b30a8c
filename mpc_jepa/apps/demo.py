"""`make demo` / `mpc-jepa demo`: collect, train, plan with several planners, write videos and
plots.

Everything is cached under ``runs/demo`` and ``data/``: a second run reuses the dataset and the
checkpoints and only plans again. The two_room part (flat vs hierarchical) is in ``demo_two_room``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

import tasks
from mpc_jepa.apps.demo_two_room import run_two_room
from mpc_jepa.control import CountingModel, MPCController, run_episode
from mpc_jepa.diagnostics import format_report
from mpc_jepa.evaluation import (
    PlanSettings,
    evaluate,
    make_cost,
    make_planner,
    observer,
    summarize,
)
from mpc_jepa.files import write_json
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.pipeline import ModelPaths, dataset_dir, ensure_models
from mpc_jepa.viz import (
    label_frames,
    plot_cost_curves,
    plot_latent_pca,
    plot_trajectories_on_map,
    save_video,
)


@dataclass(frozen=True)
class DemoSettings:
    task: str = "point_mass"
    """Task of the demo."""
    episodes: int = 3
    """Evaluation episodes per planner, the first one filmed (benchmarks/RESULTS.md has 50-episode
    figures)."""
    train_steps: int = 3000
    """World-model training steps (skipped when runs/demo/<task>.pt exists)."""
    out: str = "runs/demo"
    """Output directory (videos, plots, results.json)."""
    seed: int = 100000
    """First evaluation episode seed."""
    hierarchy: bool = True
    """Also show two_room: flat planning on two distances vs hierarchical planning, subgoals on
    the map (--no-hierarchy skips it)."""
    hierarchy_episodes: int = 2
    """two_room episodes per planner, chosen where the straight line to the goal meets the wall far
    from the door (benchmarks/RESULTS.md has the 50-episode table)."""

    def __post_init__(self):
        for name in ("episodes", "train_steps", "hierarchy_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


RUNS = (("cem", "learned"), ("grad", "learned"), ("gradcem", "learned"), ("cem", "oracle"))
"""(planner, model) pairs the demo compares on its task."""


def run_demo(s: DemoSettings) -> dict:
    """The whole demo; returns the results written to ``<out>/results.json``."""
    out = Path(s.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== 1/4 dataset and world model: {s.task}")
    paths = ModelPaths.of_run("demo", s.task.replace(":", "_"), dataset=dataset_dir(s.task))
    model = ensure_models(s.task, paths, s.train_steps, distance=False, progress=True).fast
    print(format_report(model.meta["diagnostics"]) if model.meta.get("diagnostics") else "")
    task = tasks.load(s.task, seed=s.seed)
    print(f"== 2/4 closed-loop planning, {s.episodes} episodes each; episode 1 of each filmed")
    results, trajs, curves, goal = {}, {}, {}, None
    for planner, kind in RUNS:
        m = model if kind == "learned" else OracleModel(task)
        summary, filmed = _planner_run(task, m, planner, kind, s, out)
        results[f"{planner}/{kind}"] = summary
        trajs[f"{planner} ({kind})"] = filmed["trajectory"]
        goal = filmed["goal"]  # every run films the same seed: the same goal
        if kind == "learned":
            curves[planner] = filmed["curve"]
    _print_table(results)
    print(f"\n== 3/4 plots in {out}")
    plot_cost_curves(curves, out / "cost_curves.png")
    if task.coverage_bounds is not None:
        plot_trajectories_on_map(
            trajs, goal, task.coverage_bounds, out / "trajectories.png", walls=task.walls
        )
    _latent_plot(task, model, s.seed, out / "latent_pca.png")
    print(f"  {out / 'cost_curves.png'}\n  {out / 'latent_pca.png'}\n  {out / 'trajectories.png'}")
    summary = {"results": dict(results), "filmed": {"seed": s.seed, "goal": goal}}
    if s.hierarchy:
        print("== 4/4 two_room: flat vs hierarchical planning")
        summary["results"].update(run_two_room(s.train_steps, s.seed, s.hierarchy_episodes, out))
    write_json(out / "results.json", {"settings": asdict(s), **summary})
    print(f"  {out / 'results.json'}")
    return summary


def _planner_run(
    task, model, planner: str, kind: str, s: DemoSettings, out: Path
) -> tuple[dict, dict]:
    """Episode 0 filmed (video, trajectory, goal, cost curve), seeded exactly as ``evaluate``
    seeds it, then the other episodes. Returns (summary, filmed episode)."""
    ps = replace(PlanSettings(planner=planner), planner_seed=s.seed)
    counting, seen = CountingModel(model), []

    def record(i, d):
        if len(seen) < 100:
            seen.append(float(d["best_cost"][0]))

    ctrl = MPCController(
        counting, make_planner(planner, counting, ps, callback=record), make_cost(model, ps)
    )
    frames: list = []
    ep = run_episode(task, ctrl, s.seed, observe=observer(model), frames=frames, record=True)
    filmed = {"trajectory": np.array(ep.trajectory), "goal": task.goal.physical.copy()}
    filmed["curve"] = np.array(seen[: len(ctrl.plan_.info["cost_per_iter"])])
    episodes = [ep.as_dict()]
    if s.episodes > 1:
        rest = evaluate(
            task,
            model,
            PlanSettings(planner=planner),
            s.episodes,
            seed=s.seed,
            progress=False,
            indices=range(1, s.episodes),
        )
        episodes += rest["episodes"]
    summary = summarize(episodes)
    label = f"{planner} on {'JEPA' if kind == 'learned' else 'true physics'}: success={ep.success}"
    summary["video"] = str(
        save_video(label_frames(frames, label), out / f"episode_{planner}_{kind}")
    )
    return summary, filmed


def _print_table(results: dict) -> None:
    print(
        f"\n{'planner':18s} {'success':>8s} {'final dist':>11s} {'ms/step':>8s} "
        f"{'evals/step':>11s}  video"
    )
    for name, r in results.items():
        evals = "n/a" if r["model_evals_per_step"] is None else f"{r['model_evals_per_step']:.0f}"
        print(
            f"{name:18s} {r['success_rate']:8.0%} {r['mean_final_distance']:11.4f} "
            f"{r['median_ms_per_step']:8.1f} {evals:>11s}  {r['video']}"
        )


def _latent_plot(task, model, seed: int, path: Path, steps: int = 40) -> None:
    """Predicted (open loop) vs actual embeddings along a CEM episode's executed actions."""
    task.reset(seed=seed)
    ctrl = MPCController(
        model, make_planner("cem", model, PlanSettings()), make_cost(model, PlanSettings())
    )
    ctrl.reset(task.goal.state)
    states, actions = [task.state_observation()], []
    for _ in range(steps):
        actions.append(ctrl.act(states[-1]))
        states.append(task.step(actions[-1])["state"])
    with torch.no_grad():
        z = model.encode(torch.as_tensor(np.array(states)))  # [T+1, D]
        a = torch.as_tensor(np.array(actions), dtype=torch.float32)[None]  # [1, T, A]
        pred = model.rollout(z[:1], a)[0]  # [T+1, D]
        zg = model.encode(torch.as_tensor(task.goal.state)[None])[0]  # [D]
    plot_latent_pca(z.numpy(), pred.numpy(), path, goal=zg.numpy())

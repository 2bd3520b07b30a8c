"""`make demo` / `mpc-jepa demo`: collect, train, plan with several planners, write videos and plots.

Everything is cached under ``runs/demo`` and ``data/``: a second run reuses the dataset and the
checkpoint and only plans again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass(frozen=True)
class DemoSettings:
    task: str = "point_mass"
    """Task of the demo."""
    episodes: int = 5
    """Evaluation episodes per planner (benchmarks/RESULTS.md has 50-episode figures)."""
    train_steps: int = 3000
    """World-model training steps (skipped when runs/demo/<task>.pt exists)."""
    out: str = "runs/demo"
    """Output directory (videos, plots, results.json)."""
    seed: int = 100000
    """First evaluation episode seed."""


def run_demo(s: DemoSettings) -> dict:
    import tasks
    from mpc_jepa.checkpoint import CheckpointError, load_world_model
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.evaluation import PlanSettings, evaluate, make_cost, make_planner
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.oracle import OracleModel
    from mpc_jepa.mpc import MPCController, observe_physics, run_episode
    from mpc_jepa.training import TrainConfig, format_report, train
    from mpc_jepa.viz import label_frames, plot_cost_curves, plot_latent_pca, plot_trajectories_on_map, save_video

    out = Path(s.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== 1/4 dataset: {s.task}")
    ds = run_collect(CollectSettings(task=s.task))
    ckpt = out / f"{s.task.replace(':', '_')}.pt"
    print("== 2/4 world model")
    try:
        model = load_world_model(ckpt, task=s.task)
        print(f"reusing {ckpt}")
        print(format_report(model.meta["diagnostics"]))
    except CheckpointError:
        result = train(ds, ckpt, TrainConfig(steps=s.train_steps), WorldModelConfig())
        model = result.model
        print(format_report(result.metrics))
    task = tasks.load(s.task, seed=s.seed)
    oracle = OracleModel(task)
    runs = [("cem", model, "learned"), ("grad", model, "learned"), ("gradcem", model, "learned"), ("cem", oracle, "oracle")]
    print(f"== 3/4 closed-loop planning, {s.episodes} episodes each")
    rows, results = [], {}
    for planner, m, kind in runs:
        r = evaluate(task, m, PlanSettings(planner=planner), s.episodes, seed=s.seed)
        results[f"{planner}/{kind}"] = r
        rows.append((f"{planner} ({kind})", r["summary"]))
    print(f"\n{'planner':18s} {'success':>8s} {'final dist':>11s} {'ms/step':>8s} {'evals/step':>11s}")
    for name, summ in rows:
        print(
            f"{name:18s} {summ['success_rate']:8.0%} {summ['mean_final_distance']:11.4f} {summ['median_ms_per_step']:8.1f} {summ['model_evals_per_step']:11.0f}"
        )

    print(f"\n== 4/4 videos and plots in {out}")
    trajs, curves = {}, {}
    for planner, m, kind in runs:
        ps = PlanSettings(planner=planner)
        seen = []
        pl = make_planner(planner, m, ps, callback=lambda i, d, seen=seen: seen.append(float(d["best_cost"][0])) if len(seen) < 100 else None)
        ctrl = MPCController(m, pl, make_cost(m, ps))
        frames: list = []
        ep = run_episode(task, ctrl, s.seed, observe=observe_physics if kind == "oracle" else None, frames=frames, record=True)
        curve = seen[: len(ctrl.plan_.info["cost_per_iter"])] if seen else []
        if kind == "learned":
            curves[planner] = np.array(curve)
        trajs[f"{planner} ({kind})"] = np.array(ep.trajectory)
        path = save_video(
            label_frames(frames, f"{planner} on {'JEPA' if kind == 'learned' else 'true physics'}: success={ep.success}"), out / f"episode_{planner}_{kind}"
        )
        print(f"  {path}")
    plot_cost_curves(curves, out / "cost_curves.png")
    goal = task.goal
    if task.coverage_bounds is not None:
        plot_trajectories_on_map(trajs, goal.physical, task.coverage_bounds, out / "trajectories.png", walls=getattr(task, "walls", None))
    # predicted vs actual embeddings along the CEM episode's executed actions
    task.reset(seed=s.seed)
    ctrl = MPCController(model, make_planner("cem", model, PlanSettings()), make_cost(model, PlanSettings()))
    ctrl.reset(task.goal.state)
    states, actions = [task.state_observation()], []
    for _ in range(40):
        a = ctrl.act(states[-1])
        actions.append(a)
        states.append(task.step(a)["state"])
    with torch.no_grad():
        z = model.encode(torch.as_tensor(np.array(states)))  # [T+1, D]
        pred = model.rollout(z[:1], torch.as_tensor(np.array(actions), dtype=torch.float32)[None])[0]  # [T+1, D]
        zg = model.encode(torch.as_tensor(task.goal.state)[None])[0]
    plot_latent_pca(z.numpy(), pred.numpy(), out / "latent_pca.png", goal=zg.numpy())
    summary = {k: v["summary"] for k, v in results.items()}
    (out / "results.json").write_text(json.dumps({"settings": asdict(s), "results": summary}, indent=2))
    print(f"  {out / 'cost_curves.png'}\n  {out / 'latent_pca.png'}\n  {out / 'trajectories.png'}\n  {out / 'results.json'}")
    return summary

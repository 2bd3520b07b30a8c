"""`make demo` / `mpc-jepa demo`: collect, train, plan with several planners, write videos and plots.

Everything is cached under ``runs/demo`` and ``data/``: a second run reuses the dataset and the
checkpoint and only plans again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch


@dataclass(frozen=True)
class DemoSettings:
    task: str = "point_mass"
    """Task of the demo."""
    episodes: int = 3
    """Evaluation episodes per planner, the first one filmed (benchmarks/RESULTS.md has 50-episode figures)."""
    train_steps: int = 3000
    """World-model training steps (skipped when runs/demo/<task>.pt exists)."""
    out: str = "runs/demo"
    """Output directory (videos, plots, results.json)."""
    seed: int = 100000
    """First evaluation episode seed."""
    hierarchy: bool = True
    """Also show two_room: flat vs hierarchical planning, subgoals on the map (--no-hierarchy skips it)."""
    hierarchy_episodes: int = 2
    """two_room episodes per planner, chosen where the straight line to the goal meets the wall far
    from the door (benchmarks/RESULTS.md has the 50-episode table)."""


def run_demo(s: DemoSettings) -> dict:
    import tasks
    from mpc_jepa.checkpoint import CheckpointError, load_world_model
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.evaluation import PlanSettings, evaluate, make_cost, make_planner, summarize
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.oracle import OracleModel
    from mpc_jepa.mpc import CountingModel, MPCController, observe_physics, run_episode
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
    print(f"== 3/4 closed-loop planning, {s.episodes} episodes each; episode 1 of each filmed")
    results, trajs, curves = {}, {}, {}
    for planner, m, kind in runs:
        # episode 0 with video, trajectory and cost curve, seeded exactly as evaluate() seeds it
        ps = replace(PlanSettings(planner=planner), planner_seed=s.seed)
        counting, seen = CountingModel(m), []
        pl = make_planner(planner, counting, ps, callback=lambda i, d, seen=seen: seen.append(float(d["best_cost"][0])) if len(seen) < 100 else None)
        ctrl = MPCController(counting, pl, make_cost(m, ps))
        frames: list = []
        ep = run_episode(task, ctrl, s.seed, observe=observe_physics if kind == "oracle" else None, frames=frames, record=True)
        episodes = [ep.as_dict()]
        if s.episodes > 1:
            episodes += evaluate(task, m, PlanSettings(planner=planner), s.episodes, seed=s.seed, progress=False, indices=range(1, s.episodes))["episodes"]
        results[f"{planner}/{kind}"] = summarize(episodes)
        if kind == "learned":
            curves[planner] = np.array(seen[: len(ctrl.plan_.info["cost_per_iter"])])
        trajs[f"{planner} ({kind})"] = np.array(ep.trajectory)
        label = f"{planner} on {'JEPA' if kind == 'learned' else 'true physics'}: success={ep.success}"
        results[f"{planner}/{kind}"]["video"] = str(save_video(label_frames(frames, label), out / f"episode_{planner}_{kind}"))
    print(f"\n{'planner':18s} {'success':>8s} {'final dist':>11s} {'ms/step':>8s} {'evals/step':>11s}  video")
    for name, summ in results.items():
        print(
            f"{name:18s} {summ['success_rate']:8.0%} {summ['mean_final_distance']:11.4f} {summ['median_ms_per_step']:8.1f} "
            f"{summ['model_evals_per_step']:11.0f}  {summ['video']}"
        )
    print(f"\n== 4/4 plots in {out}")
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
    summary = dict(results)
    print(f"  {out / 'cost_curves.png'}\n  {out / 'latent_pca.png'}\n  {out / 'trajectories.png'}")
    if s.hierarchy:
        summary.update(run_two_room(s, out))
    (out / "results.json").write_text(json.dumps({"settings": asdict(s), "results": summary}, indent=2))
    print(f"  {out / 'results.json'}")
    return summary


class SubgoalRecorder:
    """Wraps a controller; keeps the hierarchical planner's subgoal after every replan."""

    def __init__(self, controller):
        self.inner, self.subgoals = controller, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def reset(self, goal_obs):
        self.subgoals = []
        self.inner.reset(goal_obs)

    def act(self, obs):
        action = self.inner.act(obs)
        self.subgoals.append(self.inner.plan_.info["subgoal"][0].cpu().numpy())
        return action


def hard_two_room_seeds(task, first: int, n: int, clearance: float = 0.15) -> list[int]:
    """The first ``n`` episode seeds from ``first`` whose straight line to the goal meets the wall
    ``clearance`` m or more outside the door (chosen by geometry, not by outcome)."""
    from tasks.two_room import line_blocked

    seeds, seed = [], first
    while len(seeds) < n:
        task.reset(seed=seed)
        if line_blocked(task.physical(), task.goal.physical, clearance):
            seeds.append(seed)
        seed += 1
    return seeds


def run_two_room(s: DemoSettings, out: Path) -> dict:
    """two_room: the greedy flat planner vs the hierarchical one; video and subgoals on the map."""
    import tasks
    from mpc_jepa.checkpoint import CheckpointError, load_world_model
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.diagnostics import physical_probe
    from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner, summarize
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.slow import SlowModelConfig
    from mpc_jepa.mpc import MPCController, run_episode
    from mpc_jepa.training import TrainConfig, train
    from mpc_jepa.training_slow import SlowTrainConfig, add_landmark_graph, add_temporal_distance, load_slow, train_slow
    from mpc_jepa.viz import label_frames, plot_trajectories_on_map, save_video

    print("== two_room: flat vs hierarchical planning")
    ds = run_collect(CollectSettings(task="two_room", out="data/demo_two_room", episodes=800))
    fast_path, slow_path = out / "two_room.pt", out / "two_room_slow.pt"
    try:
        fast = load_world_model(fast_path, task="two_room")
    except CheckpointError:
        # 16-step rollouts: with 5, open-loop predictions pass through the wall near its corners (docs/ARCHITECTURE.md)
        fast = train(ds, fast_path, TrainConfig(steps=s.train_steps, rollout_steps=16), WorldModelConfig()).model
    try:
        slow = load_slow(slow_path, fast, task="two_room")
        if slow.metric is None:  # a slow level saved before the temporal-distance metric existed
            slow = add_temporal_distance(slow_path, fast, ds)
        elif slow.graph is None:  # ... or before its landmark graph
            slow = add_landmark_graph(slow_path, fast, ds)
    except CheckpointError:
        slow = train_slow(ds, fast, slow_path, SlowTrainConfig(steps=s.train_steps), SlowModelConfig())[0]
    task = tasks.load("two_room", seed=s.seed)
    seeds = hard_two_room_seeds(task, s.seed, s.hierarchy_episodes)
    print(f"episodes whose straight line to the goal meets the wall >= 0.15 m from the door: seeds {seeds}")
    runs = {"cem": PlanSettings(planner="cem"), "hierarchical": PlanSettings(planner="hierarchical")}
    summary, trajs, subgoals = {}, {}, None
    for name, ps in runs.items():
        episodes = []
        for i, seed in enumerate(seeds):
            pi = replace(ps, planner_seed=ps.planner_seed + seed)  # as evaluate() seeds an episode
            ctrl = MPCController(fast, make_planner(name, fast, pi, slow_model=slow), make_cost(fast, pi))
            ctrl = SubgoalRecorder(ctrl) if name == "hierarchical" else ctrl
            frames = [] if i == 0 else None  # the first one filmed
            ep = run_episode(task, ctrl, seed, frames=frames, record=True)
            episodes.append(ep.as_dict())
            if i == 0:
                trajs[f"{name}: success={ep.success}"] = np.array(ep.trajectory)
                if name == "hierarchical":
                    subgoals = physical_probe(fast, ds)(np.array(ctrl.subgoals))  # [T, 2], for the map only
                path = save_video(label_frames(frames, f"two_room, {name}: success={ep.success}"), out / f"two_room_{name}")
        summary[f"two_room {name}/learned"] = {**summarize(episodes), "seeds": seeds}
        print(f"  {path}   success {summary[f'two_room {name}/learned']['success_rate']:.0%} of {len(seeds)} hard episodes")
    task.reset(seed=seeds[0])
    plot_trajectories_on_map(
        trajs,
        task.goal.physical,
        task.coverage_bounds,
        out / "two_room_subgoals.png",
        walls=task.walls,
        subgoals=subgoals,
        title="two_room: subgoals (latent, shown by a linear probe)",
    )
    print(f"  {out / 'two_room_subgoals.png'}")
    return summary

"""The demo's two_room part: flat CEM on the latent distance, flat CEM on the landmark-graph
distance and the hierarchical planner, on episodes whose straight line to the goal is blocked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

import tasks
from mpc_jepa.control import InfoRecorder, MPCController, run_episode
from mpc_jepa.diagnostics import physical_probe
from mpc_jepa.evaluation import PlanSettings, hard_episode_seeds, make_cost, make_planner, summarize
from mpc_jepa.pipeline import ModelPaths, ensure_models
from mpc_jepa.viz import label_frames, plot_trajectories_on_map, save_video

RUNS = {
    "cem": PlanSettings(planner="cem"),
    "cem, graph distance": PlanSettings.from_flags(planner="cem", goal_metric="graph"),
    "hierarchical": PlanSettings(planner="hierarchical"),
}
"""What the demo compares on two_room: the greedy latent distance, the same planner on the
learned path-following distance, and the hierarchy."""


def run_two_room(train_steps: int, first_seed: int, episodes: int, out: Path) -> dict:
    """Videos of the first hard episode, its map with the hierarchy's subgoals, and summaries."""
    paths = ModelPaths.of_run("demo", "two_room")
    ds, fast, distance, _ = ensure_models("two_room", paths, train_steps, progress=True)
    task = tasks.load("two_room", seed=first_seed)
    seeds = hard_episode_seeds(task, first_seed, episodes)
    print(
        f"episodes whose straight line to the goal meets the wall >= {task.hard_clearance} m from "
        f"the door: seeds {seeds}"
    )
    summary, trajs, subgoals = {}, {}, None
    for name, ps in RUNS.items():
        episodes_out = []
        for i, seed in enumerate(seeds):
            pi = replace(ps, planner_seed=ps.planner_seed + seed)  # as evaluate() seeds an episode
            planner = make_planner(ps.planner, fast, pi, distance=distance)
            ctrl = MPCController(fast, planner, make_cost(fast, pi, distance))
            ctrl = InfoRecorder(ctrl, "subgoal") if ps.composite else ctrl
            frames = [] if i == 0 else None  # the first one filmed
            ep = run_episode(task, ctrl, seed, frames=frames, record=True)
            episodes_out.append(ep.as_dict())
            if i == 0:
                trajs[f"{name}: success={ep.success}"] = np.array(ep.trajectory)
                if ps.composite:
                    # [T, 2], for the map only
                    subgoals = physical_probe(fast, ds)(np.array(ctrl.values))
                video = save_video(
                    label_frames(frames, f"two_room, {name}: success={ep.success}"),
                    out / f"two_room_{name.replace(', ', '_').replace(' ', '_')}",
                )
        key = f"two_room {name}/learned"
        summary[key] = {**summarize(episodes_out), "seeds": seeds, "video": str(video)}
        print(
            f"  {video}   success {summary[key]['success_rate']:.0%} of {len(seeds)} hard episodes"
        )
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

"""Section contact: does the world model predict contact? (``diagnostics.contact``)

Fifty fixed pick-and-place segments of a manipulation play dataset's held-out episodes (the
episodes the fast model's training holds out), each from 25 steps before the cube leaves the table
to 5 after it comes to rest elsewhere. Rows: followers of the dataset's own future (a planner
through the model aiming ``lookahead`` steps ahead of the clock; the goal actor aiming at the
segment's end, mode 1 beside mode 2), and the probe's position error of the model's open-loop
rollouts at 5, 10 and 25 steps. Models: the task's recipe at the default paths (shared with
``mpc-jepa train`` / the ogbench section).
"""

from __future__ import annotations

import time

import numpy as np

import tasks
from mpc_jepa.apps.bench.common import check_known, ordered, stored_section
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.control import MPCController
from mpc_jepa.control.actor import ActorController
from mpc_jepa.diagnostics.contact import (
    PROBE_HORIZONS,
    fit_position_probe,
    follow_segment,
    probe_errors,
    select_segments,
)
from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner
from mpc_jepa.pipeline import ModelPaths, ensure_goal_actor, ensure_models
from mpc_jepa.training.goal_actor import GoalActorTrainConfig

CONTACT_DATASETS = ("cube-single-play-v0",)
SEGMENTS, SLACK, TOLERANCE = 50, 10, 0.04
ACTOR_FOLLOWER = "goal actor, the segment's end as goal (mode 1, full goal)"
FOLLOWERS = {  # row label: (lookahead, planner settings); the actor row has no lookahead
    "iCEM on the JEPA, latent distance, lookahead 5, horizon 5": (
        5,
        dict(planner="cem", horizon=5),
    ),
    "iCEM on the JEPA, latent distance, lookahead 10, horizon 10": (
        10,
        dict(planner="cem", horizon=10),
    ),
    "iCEM on the JEPA, latent distance, lookahead 5, horizon 5, 512 samples x 4 iterations": (
        5,
        dict(planner="cem", horizon=5, num_samples=512, num_elites=32, num_iters=4),
    ),
    ACTOR_FOLLOWER: (None, {}),
}


def bench_contact(s: BenchSettings) -> dict:
    """Every asked dataset: the probe's errors and each asked follower over the segments."""
    datasets = check_known(s.contact_datasets, dict.fromkeys(CONTACT_DATASETS), "contact dataset")
    labels = check_known(s.contact_runs, FOLLOWERS, "contact run")
    fresh = {}
    for dataset in datasets:
        fresh.update(_dataset_rows(dataset, labels, s))
    old = stored_section(s.out, "contact")  # read after the run: notes added meanwhile are kept
    rows = {**old.get("rows", {}), **fresh}
    order = [f"{d} / {k}" for d in CONTACT_DATASETS for k in ("probe", *FOLLOWERS)]
    return {
        "command": "mpc-jepa bench --sections contact [--contact-datasets D] [--contact-runs R]",
        "protocol": f"{SEGMENTS} pick-and-place segments of held-out episodes; success: every "
        f"cube within {TOLERANCE} m of the dataset's, {SLACK} steps after the segment's end",
        "notes": old.get("notes", []),
        "rows": ordered(rows, order),
    }


def _dataset_rows(dataset: str, labels: list[str], s: BenchSettings) -> dict:
    name = f"ogbench:{dataset}"
    paths = ModelPaths.default(name)
    ds, fast, _, _ = ensure_models(name, paths, s.train_steps, distance=False)
    task = tasks.load(name, seed=s.seed)
    train_eps, val_eps = ds.split()  # the fast model's own held-out episodes
    segments = select_segments(ds, val_eps, SEGMENTS)
    rng = np.random.default_rng(0)
    train_rows = ds.rows(train_eps)
    probe = fit_position_probe(fast, ds, np.sort(rng.choice(train_rows, 20000, replace=False)))
    rows = {f"{dataset} / probe": probe_errors(fast, ds, segments, probe)}
    print(f"{dataset} probe: {rows[f'{dataset} / probe']}", flush=True)
    for label in labels:
        lookahead, flags = FOLLOWERS[label]
        if lookahead is None:
            # the command line's actor (`train --level actor`), shared with the ogbench section
            actor = ensure_goal_actor(name, paths, GoalActorTrainConfig(goal="full"))
            controller, settings = ActorController(actor), {"actor_goal": "full"}
        else:
            ps = PlanSettings.from_flags(**flags)
            controller = MPCController(fast, make_planner(ps.planner, fast, ps),
                                       make_cost(fast, ps), ps.replan_every)  # fmt: skip
            settings = ps.flags()
        t0 = time.perf_counter()
        errors = [
            follow_segment(task, controller, ds, g, lookahead, SLACK)["final_error"]
            for g in segments
        ]
        steps = sum(g.length + SLACK for g in segments)
        rows[f"{dataset} / {label}"] = {
            "segments": len(segments),
            "success_rate": float(np.mean(np.asarray(errors) <= TOLERANCE)),
            "median_final_error": float(np.median(errors)),
            "final_errors": errors,
            "ms_per_step": 1000 * (time.perf_counter() - t0) / steps,
            "settings": settings,
        }
        print(f"{dataset} {label}: {rows[f'{dataset} / {label}']['success_rate']:.0%}", flush=True)
    return rows


def contact_table(r: dict, section) -> list[str]:
    """RESULTS.md's contact section."""
    cols = ["dataset / follower", "segments", "success", "median final error (m)", "ms/step"]
    intro = (
        f"Protocol: {r['protocol']}. Followers aim at the dataset's own future (perfect "
        "subgoals), so a failure is the fast level's.",
    )
    title = "Contact: following a pick-and-place through the model"
    parts = section(title, r, cols, (*intro, *r.get("notes", ())))
    probes = []
    for k, v in r["rows"].items():
        if k.endswith("/ probe"):
            probes.append((k, v))
            continue
        parts.append(
            f"| {k} | {v['segments']} | {v['success_rate']:.0%} | "
            f"{v['median_final_error']:.3f} | {v['ms_per_step']:.0f} |"
        )
    parts += [
        "",
        "Cube position error (m, the worst cube, mean over every step of the segments) k steps "
        "ahead: the model's open-loop rollout of the dataset's actions read by a ridge probe; "
        "the probe on the true observation's latent; the cube assumed not to move.",
        "",
        "| dataset | k | model | probe on the true latent | copy |",
        "|---|---|---|---|---|",
    ]
    for k, v in probes:
        for h in PROBE_HORIZONS:
            parts.append(
                f"| {k.split(' / ')[0]} | {h} | {v[f'model_h{h}']:.3f} | "
                f"{v[f'probe_floor_h{h}']:.3f} | {v[f'copy_h{h}']:.3f} |"
            )
    parts.append("")
    return parts

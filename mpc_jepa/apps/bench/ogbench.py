"""Section ogbench: OGBench's goal-reaching protocol, beside its published baselines.

Protocol (OGBench's): its five fixed evaluation tasks, ``episodes`` each (50 in the paper), the
environment's episode length, success = reaching the goal at any step (the episode ends there).
Hours on a CPU, so it resumes: every finished batch of episodes is appended to
``runs/bench/ogbench/<dataset>/<run>.jsonl`` and a rerun skips the episodes stored there; the
summary rows are made from all stored episodes. Models: the task's recipe at the default paths
(``runs/ogbench_<dataset>/``), so ``mpc-jepa collect / train / eval`` and this section share them.
The row ``ACTOR_RUN`` is the goal-conditioned actor alone (mode 1, no world model, no planning).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import tasks
from mpc_jepa.apps.bench.common import check_known, ordered, stored_section
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import (
    PlanSettings,
    evaluate,
    evaluate_actor,
    needs_slow_model,
    summarize,
)
from mpc_jepa.files import atomic_write, json_safe, write_json
from mpc_jepa.models.checkpoints import fingerprint
from mpc_jepa.pipeline import ModelPaths, ensure_goal_actor, ensure_models
from mpc_jepa.training.goal_actor import GoalActorTrainConfig

OGBENCH_DATASETS = (
    "pointmaze-medium-navigate-v0",
    "pointmaze-large-navigate-v0",
    "pointmaze-giant-navigate-v0",
    "cube-single-play-v0",
)
OGBENCH_RUNS = {  # row label: planner settings (overrides of PlanSettings)
    "flat CEM, graph cost": {"planner": "cem", "goal_metric": "graph"},
    "hierarchical, model slow level": {"planner": "hierarchical", "slow_level": "model"},
    "hierarchical, landmark slow level": {"planner": "hierarchical", "slow_level": "landmarks"},
}
ACTOR_RUN = "goal actor (mode 1, no planning)"
OGBENCH_RUNS[ACTOR_RUN] = {}  # its settings: GoalActorTrainConfig's defaults
# success %, state observations, from the OGBench paper (GCBC / GCIVL / GCIQL / QRL / CRL / HIQL)
PUBLISHED = {
    "pointmaze-medium-navigate-v0": (9, 63, 53, 82, 29, 79),
    "pointmaze-large-navigate-v0": (29, 45, 34, 86, 39, 58),
    "pointmaze-giant-navigate-v0": (1, 0, 0, 68, 27, 46),
    "cube-single-play-v0": (6, 53, 68, 5, 19, 15),
}
BASELINES = ("GCBC", "GCIVL", "GCIQL", "QRL", "CRL", "HIQL")


def bench_ogbench(s: BenchSettings) -> dict:
    """Every asked dataset x run by OGBench's protocol (resuming stored episodes)."""
    datasets = check_known(s.ogbench_datasets, dict.fromkeys(OGBENCH_DATASETS), "OGBench dataset")
    labels = check_known(s.ogbench_runs, OGBENCH_RUNS, "OGBench run")
    fresh = {}
    for dataset in datasets:
        fresh.update(_dataset_rows(dataset, labels, s))
    old = stored_section(s.out, "ogbench")  # read after the hours of running: notes added meanwhile
    rows = {**old.get("rows", {}), **fresh}
    order = [f"{d} / {k}" for d in OGBENCH_DATASETS for k in OGBENCH_RUNS]
    return {
        "command": "mpc-jepa bench --sections ogbench [--ogbench-datasets D ...] "
        "[--ogbench-episodes N]  (or: mpc-jepa collect / train / train --level distance|slow /"
        " eval --task ogbench:<dataset> --episodes 250)",
        "protocol": "OGBench's 5 evaluation tasks x episodes each; success at any step",
        "published": {d: dict(zip(BASELINES, v)) for d, v in PUBLISHED.items()},
        "notes": old.get("notes", []),
        "rows": ordered(rows, order),
    }


def _dataset_rows(dataset: str, labels: list[str], s: BenchSettings) -> dict:
    """One dataset's rows; its data and models made by the task's recipe (timed once)."""
    name = f"ogbench:{dataset}"
    paths = ModelPaths.default(name)
    timing = Path("runs") / "bench" / "ogbench" / dataset / "train_seconds.json"
    t0 = time.perf_counter()
    plans = {k: PlanSettings.from_flags(**OGBENCH_RUNS[k]) for k in labels if k != ACTOR_RUN}
    slow_needed = any(needs_slow_model(ps) for ps in plans.values())
    _, fast, distance, slow = ensure_models(
        name, paths, s.train_steps, slow=slow_needed, progress=False
    )
    if not timing.exists():  # only a run that trained knows the training time
        write_json(timing, {"seconds": time.perf_counter() - t0, "note": "collect + train"})
    train_seconds = json.loads(timing.read_text())["seconds"]
    task = tasks.load(name, seed=s.seed)
    rows = {}
    for label in labels:
        if label == ACTOR_RUN:
            row = _actor_row(task, paths, dataset, s)
        else:
            ps = plans[label]
            run = lambda n, chunk, ps=ps: evaluate(  # noqa: E731
                task, fast, ps, n, seed=s.seed, progress=False, slow_model=slow,
                distance=distance, indices=chunk, batch=len(chunk))  # fmt: skip
            row = {**summarize(_resume(task, run, ps.flags(), dataset, label, s)),
                   "train_seconds": train_seconds}  # fmt: skip
        rows[f"{dataset} / {label}"] = row
        print(f"{dataset} {label}: {row}", flush=True)
    return rows


def _actor_row(task, paths: ModelPaths, dataset: str, s) -> dict:
    """The goal actor's row: trained on the same dataset (the training time its checkpoint
    records), then run."""
    # the row reads the goal's success dims: its table label says -oraclerep
    actor = ensure_goal_actor(task.name, paths, GoalActorTrainConfig(goal="oraclerep"))
    run = lambda n, chunk: evaluate_actor(  # noqa: E731
        task, actor, n, seed=s.seed, progress=False, indices=chunk, batch=len(chunk))  # fmt: skip
    weights = {"actor": str(paths.actor), "fingerprint": fingerprint(actor)}  # retrained: rerun
    episodes = _resume(task, run, weights, dataset, ACTOR_RUN, s)
    return {**summarize(episodes), "train_seconds": actor.meta["seconds"]}


def _resume(task, run, settings: dict, dataset: str, label: str, s) -> list[dict]:
    """All ``5 * s.ogbench_episodes`` episodes of one run: stored ones (made with the same
    ``settings``) read back, the missing ones run in batches of ``s.ogbench_batch`` by
    ``run(total, indices) -> evaluate's dict`` and appended as each batch finishes."""
    total = task.num_tasks * s.ogbench_episodes
    store = Path("runs") / "bench" / "ogbench" / dataset / f"{label.replace(' ', '_')}.jsonl"
    done = _read(store, settings)
    missing = [i for i in range(total) if i not in done]
    for j in range(0, len(missing), s.ogbench_batch):
        chunk = missing[j : j + s.ogbench_batch]
        out = run(total, chunk)
        for i, episode in zip(chunk, out["episodes"]):
            done[i] = episode
        rows = [json_safe({"index": i, "settings": settings, **done[i]}) for i in sorted(done)]
        text = "".join(json.dumps(r, allow_nan=False) + "\n" for r in rows).encode()
        atomic_write(store, lambda f, text=text: f.write(text))
        print(f"{dataset} {label}: {len(done)}/{total} episodes stored", flush=True)
    return [done[i] for i in range(total)]


def _read(store: Path, settings: dict) -> dict[int, dict]:
    """Stored episodes of ``store`` run with ``settings`` (others are ignored: rerun)."""
    if not store.exists():
        return {}
    out = {}
    for line in store.read_text().splitlines():
        row = json.loads(line)
        if row.pop("settings") == json.loads(json.dumps(settings)):
            out[row.pop("index")] = row
    return out


def ogbench_table(r: dict, section) -> list[str]:
    """RESULTS.md's OGBench table (``section`` writes the heading): our success by its protocol
    beside its six published baselines."""
    names = list(next(iter(r["published"].values())))
    intro = (
        f"Protocol: {r['protocol']}. Published: state-based success (%) from the OGBench paper, "
        "whose agents read the whole goal observation. A '-oraclerep' row (OGBench's name) reads "
        "only the goal's success dimensions (its oracle goal representation), a privileged input: "
        "the full-goal baselines are not set beside it. Training time: collecting the dataset by "
        "its recipe plus training the models, on this machine.",
    )
    cols = ["dataset / planner", "episodes", "success", "per task", *names]
    cols += ["train min", "mean ms/step", "mean steps"]
    title = "OGBench, by its protocol, beside its published baselines"
    parts = section(title, r, cols, (*intro, *r.get("notes", ())))
    for k, v in r["rows"].items():
        per_task = " ".join(f"{x:.0%}" for x in v["success_rate_per_task"].values())
        dataset, label = k.split(" / ", 1)
        published = r["published"].get(dataset, {})
        if label == ACTOR_RUN:  # it reads the goal's success dims: OGBench's oracle representation
            dataset, published = oraclerep(dataset), {}  # the full-goal baselines do not apply
        base = " | ".join(str(published.get(n, "")) for n in names)
        parts.append(
            f"| {dataset} / {label} | {v['episodes']} | {_percent(v['success_rate'])} | "
            f"{per_task} | {base} | "
            f"{v['train_seconds'] / 60:.0f} | {v['mean_ms_per_step']:.1f} | {v['mean_steps']:.0f} |"
        )
    return [*parts, ""]


def oraclerep(dataset: str) -> str:
    """OGBench's name for a dataset's oracle-goal-representation variant:
    'cube-single-play-v0' -> 'cube-single-play-oraclerep-v0'."""
    stem, version = dataset.rsplit("-", 1)
    return f"{stem}-oraclerep-{version}"


def _percent(x: float) -> str:
    """0.996 -> '99.6%', 1.0 -> '100%': a whole percent without a decimal, else one (250
    episodes resolve 0.4%, and 99.6% must not read as 100%)."""
    text = f"{100 * x:.1f}".removesuffix(".0")
    return f"{text}%"

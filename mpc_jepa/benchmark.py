"""Benchmarks behind `make bench` / `mpc-jepa bench`, written to benchmarks/RESULTS.md.

Each section stores its figures in benchmarks/results/<section>.json; RESULTS.md is regenerated
from all stored sections, so sections can be re-run one at a time (``--sections planning``).
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch

SECTIONS = ("data", "world_model", "anti_collapse", "planning", "peers", "scale", "hierarchy", "pixels")


@dataclass(frozen=True)
class BenchSettings:
    sections: tuple[str, ...] = SECTIONS
    """Sections to run: data, world_model, anti_collapse, planning, peers, scale, hierarchy, pixels."""
    episodes: int = 50
    """Closed-loop episodes per planner."""
    train_steps: int = 3000
    """World-model training steps."""
    out: str = "benchmarks"
    """Directory of RESULTS.md and results/."""
    seed: int = 100000
    """First evaluation episode seed."""
    hierarchy_tasks: tuple[str, ...] = ()
    """hierarchy section: run only these tasks, keeping the stored rows of the others (default: all)."""
    hierarchy_runs: tuple[str, ...] = ()
    """hierarchy section: run only these rows (labels of HIERARCHY_RUNS), keeping the others stored (default: all)."""
    planning_runs: tuple[str, ...] = ()
    """planning section: run only these rows (labels of PLANNING_RUNS), keeping the others stored (default: all)."""
    workers: int = 1
    """hierarchy section: processes sharing each evaluation's episodes (one torch thread each)."""


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch threads, {platform.platform()}"


def _save(out: Path, section: str, payload: dict) -> None:
    (out / "results").mkdir(parents=True, exist_ok=True)
    payload = {**payload, "machine": _machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    (out / "results" / f"{section}.json").write_text(json.dumps(payload, indent=2, default=float))


def bench_data(s: BenchSettings) -> dict:
    import tasks
    from mpc_jepa.data import collect

    rows = {}
    for name in ("point_mass", "two_room", "reacher"):
        ds = collect(tasks.load(name, seed=0), f"data/bench_{name}", episodes=200, seed=0, overwrite=True, progress=False)
        rows[name] = {"coverage_10x10": ds.meta["coverage_10x10"], "frames": len(ds), "frames_per_second": ds.meta["frames_per_second"]}
    ds = collect(tasks.load("point_mass", seed=0, pixels=True), "data/bench_pixels", episodes=20, seed=0, overwrite=True, progress=False)
    rows["point_mass (64x64 pixels)"] = {"coverage_10x10": ds.meta["coverage_10x10"], "frames": len(ds), "frames_per_second": ds.meta["frames_per_second"]}
    return {"command": "mpc-jepa collect --task T --episodes 200 (pixels: --pixels --episodes 20)", "rows": rows}


def _train(task: str, steps: int, tag: str = "", **overrides):
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.training import TrainConfig, train

    ds = run_collect(CollectSettings(task=task), progress=False)
    model_over = {k: overrides.pop(k) for k in list(overrides) if k in WorldModelConfig.__dataclass_fields__}
    t0 = time.perf_counter()
    res = train(ds, f"runs/bench/{task}{tag}.pt", TrainConfig(steps=steps, **overrides), WorldModelConfig(**model_over), progress=False)
    res.metrics["train_seconds"] = time.perf_counter() - t0
    return res


def bench_world_model(s: BenchSettings) -> dict:
    rows = {}
    for task in ("point_mass", "two_room", "reacher"):
        rows[task] = _train(task, s.train_steps).metrics
    return {"command": f"mpc-jepa train --task T --steps {s.train_steps}", "rows": rows}


ANTI_COLLAPSE = {
    "VICReg var+cov, no EMA, no geometry": dict(ema_target=False, var_weight=1.0, cov_weight=1.0, reach_weight=0.0),
    "EMA target only, no geometry": dict(ema_target=True, var_weight=0.0, reach_weight=0.0),
    "VICReg var+cov + EMA, no geometry": dict(ema_target=True, var_weight=1.0, cov_weight=1.0, reach_weight=0.0),
    "VICReg var + reach geometry, no EMA": dict(ema_target=False, var_weight=1.0, reach_weight=1.0),
    "default: EMA + VICReg var + reach geometry": dict(),
}


def bench_anti_collapse(s: BenchSettings) -> dict:
    import tasks
    from mpc_jepa.evaluation import PlanSettings, evaluate

    rows = {}
    episodes = max(10, s.episodes // 2)
    for i, (name, over) in enumerate(ANTI_COLLAPSE.items()):
        res = _train("point_mass", s.train_steps, tag=f"_ablation{i}", **dict(over))
        task = tasks.load("point_mass", seed=s.seed)
        ev = evaluate(task, res.model, PlanSettings(planner="cem"), episodes, seed=s.seed, progress=False)
        rows[name] = {
            **res.metrics,
            "cem_success": ev["summary"]["success_rate"],
            "cem_final_distance": ev["summary"]["mean_final_distance"],
            "episodes": episodes,
        }
    return {
        "command": f"mpc-jepa train --task point_mass --steps {s.train_steps} [variant flags]; mpc-jepa eval --planner cem --episodes {episodes}",
        "rows": rows,
    }


PLANNING_RUNS = {  # row label: (overrides of PlanSettings, model)
    "cem / learned": ({"planner": "cem"}, "learned"),
    "mppi / learned": ({"planner": "mppi"}, "learned"),
    "grad / learned": ({"planner": "grad"}, "learned"),
    "gradcem / learned": ({"planner": "gradcem"}, "learned"),
    "cem / oracle": ({"planner": "cem"}, "oracle"),
    "mppi / oracle": ({"planner": "mppi"}, "oracle"),
    "cem / learned, compiled": ({"planner": "cem", "compile": True}, "learned"),
    "grad, 1 Adam step x 2 restarts / learned": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 2}, "learned"),
    "grad, 1 Adam step x 2 restarts / learned, compiled": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 2, "compile": True}, "learned"),
    "grad, 1 Adam step x 8 restarts / learned": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 8}, "learned"),
    "grad, 1 Adam step x 8 restarts / learned, compiled": ({"planner": "grad", "grad_steps": 1, "grad_restarts": 8, "compile": True}, "learned"),
}


def bench_planning(s: BenchSettings) -> dict:
    import tasks
    from mpc_jepa.checkpoint import load_world_model
    from mpc_jepa.evaluation import PlanSettings, evaluate
    from mpc_jepa.models.oracle import OracleModel

    unknown = set(s.planning_runs) - set(PLANNING_RUNS)
    if unknown:
        raise SystemExit(f"error: no planning run {sorted(unknown)}; known: {', '.join(PLANNING_RUNS)}")
    stored = Path(s.out) / "results" / "planning.json"
    old = json.loads(stored.read_text()) if stored.exists() and s.planning_runs else {}
    rows = dict(old.get("rows", {}))  # rows not re-run are kept
    for task_name in ("point_mass", "reacher"):
        ckpt = Path(f"runs/bench/{task_name}.pt")
        model = load_world_model(ckpt, task=task_name) if ckpt.exists() else _train(task_name, s.train_steps).model
        task = tasks.load(task_name, seed=s.seed)
        for label, (overrides, kind) in PLANNING_RUNS.items():
            if s.planning_runs and label not in s.planning_runs:
                continue
            m = model if kind == "learned" else OracleModel(task)
            ev = evaluate(task, m, PlanSettings(**overrides), s.episodes, seed=s.seed, progress=False)
            rows[f"{task_name} / {label}"] = ev["summary"]
            print(f"{task_name:10s} {label:50s} {ev['summary']}", flush=True)
    order = [f"{t} / {k}" for t in ("point_mass", "reacher") for k in PLANNING_RUNS]
    return {
        "command": f"mpc-jepa eval --task T --planner P --model learned|oracle [--compile] --episodes {s.episodes} --seed {s.seed}",
        "settings": PlanSettings().__dict__,
        "notes": old.get("notes", []),
        "rows": {k: rows[k] for k in sorted(rows, key=lambda k: order.index(k) if k in order else len(order))},
    }


def bench_peers(s: BenchSettings) -> dict:
    import tasks
    from mpc_jepa.checkpoint import load_world_model
    from mpc_jepa.peers import run_peers

    ckpt = Path("runs/bench/point_mass.pt")
    model = load_world_model(ckpt, task="point_mass") if ckpt.exists() else _train("point_mass", s.train_steps).model
    res = run_peers(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed)
    compiled = run_peers(tasks.load("point_mass", seed=0), model, problems=20, seed=s.seed, compiled=True)
    res["rows"].update(compiled["rows"])
    res["command"] = "mpc-jepa bench --sections peers (point_mass JEPA, 20 start/goal pairs, one plan each, horizon 15)"
    return res


def _run(cmd: list[str], env: dict | None = None) -> float:
    """Run a command to completion; its wall time in seconds."""
    import subprocess
    import sys

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", *cmd], check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def bench_scale(s: BenchSettings) -> dict:
    """DDP training throughput for 1 and 2 processes; sharded evaluation vs sequential."""
    from mpc_jepa.checkpoint import read_checkpoint

    steps, episodes = 500, 20
    train_rows = {}
    for n in (1, 2):
        out = f"runs/bench/scale_{n}proc.pt"
        launch = ["mpc_jepa"] if n == 1 else ["torch.distributed.run", "--nproc_per_node", str(n), "-m", "mpc_jepa"]
        wall = _run([*launch, "train", "--task", "point_mass", "--steps", str(steps), "--out", out])
        diag = read_checkpoint(out)["meta"]["diagnostics"]
        train_rows[f"{n} process(es)"] = {"wall_s": wall, "steps_per_second": diag["steps_per_second"], "pred_ratio_h5": diag["pred_ratio_h5"]}
    ckpt = "runs/bench/point_mass.pt" if Path("runs/bench/point_mass.pt").exists() else "runs/bench/scale_1proc.pt"
    ev = ["mpc_jepa", "eval", "--task", "point_mass", "--checkpoint", ckpt, "--episodes", str(episodes), "--seed", str(s.seed)]
    eval_rows, outs = {}, {}
    for name, extra, env in (
        ("sequential (torch default threads)", [], {}),
        ("sequential, 1 thread", [], {"OMP_NUM_THREADS": "1"}),
        ("--workers 2 (1 thread each)", ["--workers", "2"], {}),
    ):
        path = f"runs/bench/scale_eval_{len(outs)}.json"
        eval_rows[name] = {"wall_s": _run([*ev, *extra, "--json", path], env)}
        outs[name] = json.loads(Path(path).read_text())
        eval_rows[name]["success_rate"] = outs[name]["summary"]["success_rate"]
    strip = lambda o: [{k: v for k, v in e.items() if "ms_per_step" not in k} for e in o["episodes"]]  # noqa: E731
    same = strip(outs["sequential, 1 thread"]) == strip(outs["--workers 2 (1 thread each)"])
    return {
        "command": f"python -m mpc_jepa train --steps {steps} vs torchrun --nproc_per_node 2 -m mpc_jepa train --steps {steps}; mpc-jepa eval --episodes {episodes} [--workers 2]",
        "train": train_rows,
        "eval": eval_rows,
        "sharded_equals_sequential": same,
    }


HIERARCHY_CASES = {  # task: (episodes collected, episodes evaluated, fast-model training overrides)
    # two_room: 16-step rollouts in the fast model's loss; with 5, its open-loop predictions pass
    # through the wall near the bottom corner (wall_diagnostics.wall_leak: 55% after 32 steps, 0% with 16)
    "two_room": (800, 50, {"rollout_steps": 16}),
    "point_mass": (200, 20, {}),
    "reacher": (200, 20, {}),
    "pendulum": (200, 20, {}),  # swing-up: energy must be pumped first, a long-horizon case without walls
    # maze: two_room's mass in an S of three corridors; outer-corridor paths of 0.6-1.5 m, up to ~190 steps
    "maze": (800, 30, {"rollout_steps": 16}),  # 30: its episodes are twice two_room's length
}

HIERARCHY_RUNS = {  # row label: planner settings (overrides of PlanSettings)
    "hierarchical": {"planner": "hierarchical"},  # slow cost: the landmark graph over the metric (default)
    "hierarchical, fast-model verification": {"planner": "hierarchical", "slow_verify": True},  # --slow-verify
    "hierarchical, temporal slow cost": {"planner": "hierarchical", "slow_cost": "temporal"},
    "hierarchical, latent slow cost": {"planner": "hierarchical", "slow_cost": "latent"},
    "flat CEM, graph cost": {"planner": "cem", "goal_metric": "graph"},
    "flat CEM, temporal-distance cost": {"planner": "cem", "goal_metric": "temporal"},
    "flat CEM, temporal-distance cost, 3x samples": {"planner": "cem", "goal_metric": "temporal", "num_samples": 384, "num_elites": 36},
    "flat CEM, temporal-distance cost, 3x horizon": {"planner": "cem", "goal_metric": "temporal", "horizon": 45},
    "flat CEM, 3x samples": {"planner": "cem", "num_samples": 384, "num_elites": 36},
    "flat CEM, 3x horizon": {"planner": "cem", "horizon": 45},
    "flat CEM, default": {"planner": "cem"},
}


def bench_hierarchy(s: BenchSettings) -> dict:
    """Hierarchical vs flat planning at matched model evaluations per control step."""
    import tasks
    from mpc_jepa.checkpoint import CheckpointError, load_world_model
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.evaluation import PlanSettings, evaluate, needs_slow_model
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.slow import SlowModelConfig
    from mpc_jepa.sharding import EvalJob, evaluate_sharded
    from mpc_jepa.training import TrainConfig, train
    from mpc_jepa.training_slow import SlowTrainConfig, add_landmark_graph, add_temporal_distance, load_slow, train_slow

    unknown = set(s.hierarchy_tasks) - set(HIERARCHY_CASES)
    if unknown:
        raise SystemExit(f"error: no hierarchy case for {sorted(unknown)}; known: {', '.join(HIERARCHY_CASES)}")
    unknown = set(s.hierarchy_runs) - set(HIERARCHY_RUNS)
    if unknown:
        raise SystemExit(f"error: no hierarchy run {sorted(unknown)}; known: {', '.join(HIERARCHY_RUNS)}")
    run = [t for t in HIERARCHY_CASES if not s.hierarchy_tasks or t in s.hierarchy_tasks]
    labels = [k for k in HIERARCHY_RUNS if not s.hierarchy_runs or k in s.hierarchy_runs]
    stored = Path(s.out) / "results" / "hierarchy.json"
    old = json.loads(stored.read_text()) if stored.exists() else {}
    rows = dict(old.get("rows", {}))  # rows not re-run are kept (same machine)
    for name in run:
        collect_eps, eval_eps, overrides = HIERARCHY_CASES[name]
        ds = run_collect(CollectSettings(task=name, out=f"data/bench_hier_{name}", episodes=collect_eps), progress=False)
        fast_path, slow_path = Path(f"runs/bench/hier_{name}.pt"), Path(f"runs/bench/hier_{name}_slow.pt")
        try:  # reuse the models of an earlier run (delete runs/bench/hier_* to retrain)
            fast = load_world_model(fast_path, task=name)
            slow = load_slow(slow_path, fast, task=name)
            if slow.metric is None:  # a slow level saved before the temporal-distance metric existed
                slow = add_temporal_distance(slow_path, fast, ds, progress=False)
            elif slow.graph is None:  # ... or before its landmark graph
                slow = add_landmark_graph(slow_path, fast, ds)
        except CheckpointError:
            fast = train(ds, fast_path, TrainConfig(steps=s.train_steps, **overrides), WorldModelConfig(), progress=False).model
            slow, _ = train_slow(ds, fast, slow_path, SlowTrainConfig(steps=s.train_steps), SlowModelConfig(), progress=False)
        task = tasks.load(name, seed=s.seed)
        for label in labels:
            ps = PlanSettings(**HIERARCHY_RUNS[label])
            if s.workers > 1:  # episodes shared by processes, one torch thread each (timings differ from one process)
                ev = evaluate_sharded(EvalJob(name, "learned", str(fast_path), str(slow_path), "cpu", ps, eval_eps, s.seed), s.workers)
            else:
                ev = evaluate(task, fast, ps, eval_eps, seed=s.seed, progress=False, slow_model=slow if needs_slow_model(ps) else None)
            rows[f"{name} / {label}"] = {**ev["summary"], "workers": s.workers}
            print(f"{name:10s} {label:32s} {ev['summary']}", flush=True)
    order = [f"{t} / {k}" for t in HIERARCHY_CASES for k in HIERARCHY_RUNS]
    return {
        "command": "mpc-jepa train --level fast|slow --task T; mpc-jepa eval --task T --planner hierarchical [--slow-cost temporal|latent] | cem [--goal-metric graph|temporal"
        " | --num-samples 384 | --horizon 45] --seed " + str(s.seed) + " (all: mpc-jepa bench --sections hierarchy --workers 2)",
        "settings": {k: v for k, v in PlanSettings().__dict__.items() if k.startswith("slow_")},
        "notes": old.get("notes", []),
        "rows": {k: rows[k] for k in sorted(rows, key=lambda k: order.index(k) if k in order else len(order))},
    }


# The pixel configurations (README, docs/ARCHITECTURE.md): name -> (episodes collected, collection seed,
# TrainConfig overrides, WorldModelConfig overrides).
PIXEL_CONFIGS = {
    "cpu": (400, 0, dict(steps=6000, batch_size=64), dict(cnn_width=8)),
    "gpu": (1000, 1, dict(steps=12000, batch_size=512, checkpoint_every=2000), dict(cnn_width=32, hidden=256)),
}


def pixel_command(config: str, device: str = "cpu") -> str:
    """The CLI commands that collect and train a pixel configuration."""
    episodes, seed, tc, mc = PIXEL_CONFIGS[config]
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in {**mc, **tc}.items() if k != "checkpoint_every")
    dev = f" --device {device}" if device != "cpu" else ""
    return f"mpc-jepa collect --task point_mass --pixels --episodes {episodes}{f' --seed {seed}' if seed else ''} && mpc-jepa train --task point_mass --obs-type pixels --history 2 {flags}{dev}"


def bench_pixels(s: BenchSettings) -> dict:
    """point_mass from 64x64 pixels: collection speed, CPU training, diagnostics, closed-loop CEM with image goals.

    The CPU configuration is trained here unless runs/bench/pixels_point_mass.pt exists (delete it to
    retrain). A GPU-configuration checkpoint at runs/bench/pixels_point_mass_gpu.pt, when present
    (trained with ``--device cuda`` elsewhere), is evaluated here too; otherwise its stored row is kept.
    """
    import tasks
    from mpc_jepa.checkpoint import CheckpointError, load_world_model, read_checkpoint
    from mpc_jepa.cli import CollectSettings, run_collect
    from mpc_jepa.evaluation import PlanSettings, evaluate
    from mpc_jepa.models import WorldModelConfig
    from mpc_jepa.models.oracle import OracleModel
    from mpc_jepa.training import TrainConfig, report, train

    stored = Path(s.out) / "results" / "pixels.json"
    old = json.loads(stored.read_text()) if stored.exists() else {}
    rows = old.get("rows", {})
    episodes, _, tc, mc = PIXEL_CONFIGS["cpu"]
    ds = run_collect(CollectSettings(task="point_mass", out="data/bench_pixels_point_mass", episodes=episodes, pixels=True), progress=False)
    path = Path("runs/bench/pixels_point_mass.pt")
    try:  # reuse an earlier run's model
        model = load_world_model(path, task="point_mass", obs_type="pixels")
    except CheckpointError:
        model = train(ds, path, TrainConfig(**tc), WorldModelConfig(obs_type="pixels", history=2, **mc), progress=False).model
    pixel_task = tasks.load("point_mass", seed=s.seed, pixels=True)
    runs = {"cpu": (model, path)}
    gpu_path = Path("runs/bench/pixels_point_mass_gpu.pt")
    if gpu_path.exists():
        runs["gpu"] = (load_world_model(gpu_path, task="point_mass", obs_type="pixels"), gpu_path)
    for config, (m, p) in runs.items():
        meta = read_checkpoint(p)["meta"]
        diag = meta.get("diagnostics") or {}
        if "probe_r2" not in diag:  # a checkpoint saved mid-run: diagnose it on this dataset (unseen by that model)
            diag = {**report(m, ds, *ds.split(0.1)), "steps_per_second": None}
        ev = evaluate(pixel_task, m, PlanSettings(planner="cem"), s.episodes, seed=s.seed, progress=False)
        rows[f"{config} config, pixels, cem"] = {
            **ev["summary"],
            "train": {
                k: diag.get(k)
                for k in (
                    "steps_per_second",
                    "pred_ratio_h1",
                    "pred_ratio_h5",
                    "pred_ratio_h20",
                    "std_min_over_mean",
                    "effective_rank",
                    "latent_dim",
                    "probe_r2",
                    "distance_spearman",
                    "collapsed",
                )
            },
            "train_steps": meta["step"],
            "frames_per_second": float(ds.meta["frames_per_second"]) if config == "cpu" else None,
            "command": pixel_command(config, "cpu" if config == "cpu" else "cuda"),
        }
        print(f"pixels {config}: {ev['summary']}", flush=True)
    ev = evaluate(
        tasks.load("point_mass", seed=s.seed),
        OracleModel(tasks.load("point_mass", seed=0)),
        PlanSettings(planner="cem"),
        s.episodes,
        seed=s.seed,
        progress=False,
    )
    rows["oracle (true physics), cem"] = ev["summary"]
    return {
        "notes": old.get("notes", []),
        "command": f"mpc-jepa bench --sections pixels (eval: mpc-jepa eval --task point_mass --pixels --planner cem --episodes {s.episodes} --seed {s.seed})",
        "rows": rows,
    }


def _eval_cells(v: dict, mean_ms: bool = False) -> str:
    """Table cells of an evaluation summary: success, final and start distance, ms/step, model evals/step."""
    ms = f"{v['median_ms_per_step']:.1f}"
    if mean_ms:
        ms += " | n/a" if v.get("mean_ms_per_step") is None else f" | {v['mean_ms_per_step']:.1f}"
    return f"{v['success_rate']:.0%} | {v['mean_final_distance']:.4f} | {v['mean_start_distance']:.4f} | {ms} | {v['model_evals_per_step']:.0f}"


def _section(title: str, r: dict, columns: list[str], intro: tuple[str, ...] = ()) -> list[str]:
    """Markdown heading, the section's command and machine, optional intro lines, and a table header."""
    lines = [f"## {title}", "", f"Command: `{r['command']}`  ", f"Machine: {r['machine']}, {r['date']}", ""]
    for line in intro:
        lines += [line, ""]
    return lines + ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def write_results(out: Path) -> Path:
    """Regenerate RESULTS.md from every stored section."""
    parts = [
        "# Benchmark results",
        "",
        "Regenerated by `make bench` (`mpc-jepa bench`) from `benchmarks/results/*.json`; every table names its command and machine.",
        "",
    ]
    res = {p.stem: json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))}
    if "data" in res:
        r = res["data"]
        parts += _section("Datasets: exploration coverage and collection speed", r, ["dataset", "frames", "coverage of a 10x10 grid", "frames/s"])
        for k, v in r["rows"].items():
            cov = "n/a" if v["coverage_10x10"] is None else f"{v['coverage_10x10']:.0%}"
            parts.append(f"| {k} | {v['frames']} | {cov} | {v['frames_per_second']:.0f} |")
        parts.append("")
    if "world_model" in res:
        r = res["world_model"]
        intro = ("Prediction error = open-loop latent MSE at horizon k on held-out episodes / MSE of the copy baseline (z_{t+k} = z_t).",)
        cols = ["task", "train s", "steps/s", "h1", "h5", "h10", "h20", "std min/mean", "eff. rank", "probe R^2", "Spearman(latent, physical dist.)"]
        parts += _section("World model (state observations, default config)", r, cols, intro)
        for k, v in r["rows"].items():
            hs = " | ".join(f"{v.get(f'pred_ratio_h{h}', float('nan')):.3f}" for h in (1, 5, 10, 20))
            parts.append(
                f"| {k} | {v['train_seconds']:.0f} | {v['steps_per_second']:.0f} | {hs} | {v['std_min_over_mean']:.2f} | {v['effective_rank']:.1f}/{v['latent_dim']} | {v['probe_r2']:.3f} | {v['distance_spearman']:.2f} |"
            )
        parts.append("")
    if "anti_collapse" in res:
        r = res["anti_collapse"]
        cols = ["variant", "h1", "h20", "std min/mean", "eff. rank", "probe R^2", "Spearman", "CEM success", "CEM final dist. (m)"]
        parts += _section("Anti-collapse modes and latent geometry (point_mass)", r, cols)
        for k, v in r["rows"].items():
            parts.append(
                f"| {k} | {v['pred_ratio_h1']:.3f} | {v['pred_ratio_h20']:.3f} | {v['std_min_over_mean']:.2f} | {v['effective_rank']:.1f}/{v['latent_dim']} | {v['probe_r2']:.3f} | {v['distance_spearman']:.2f} | {v['cem_success']:.0%} ({v['episodes']} ep.) | {v['cem_final_distance']:.3f} |"
            )
        parts.append("")
    if "planning" in res:
        r = res["planning"]
        cols = ["task / planner / model", "success", "mean final dist.", "mean start dist.", "median ms/step", "model evals/step"]
        intro = (
            f"Planner settings: `{r['settings']}`",
            *r.get("notes", ()),
            "', compiled': the learned model's rollouts run through `torch.compile` (`--compile`; one-off compilation ~70 s cold, seconds from inductor's on-disk cache, not in the per-step times). 'grad, 1 Adam step x R restarts': the gradient planner as a real-time iteration, one Adam step per control step from the previous plan (restart 0) and R - 1 random restarts around it (`--grad-steps 1 --grad-restarts R`).",
        )
        parts += _section("Closed-loop planning (state observations)", r, cols, intro)
        for k, v in r["rows"].items():
            parts.append(f"| {k} | {_eval_cells(v)} |")
        parts.append("")
    if "peers" in res:
        r = res["peers"]
        intro = (
            f"Same model, cost (uniform + terminal latent L2), start states and goals; budgets matched to our iCEM's counted {r['budget_evals']} model evaluations per plan (peers: same population per iteration and iterations; pytorch_mppi: one iteration with the whole budget). Cost = our cost of the returned plan under the model (lower is better), mean over {r['problems']} problems.",
            "Rows ending in ', compiled model': every planner, ours and the peers', calls the same model with its `rollout` and `predict` compiled by `torch.compile` (`mpc_jepa.compiled.CompiledModel`, `--compile`); the one-off compilation is outside the median. 'model rollouts alone': the rollout batches of one of our iCEM plans, timed without the planner (the floor any planner spending this budget in these batches pays).",
        )
        parts += _section(
            "Planners side by side with mbrl-lib and pytorch_mppi", r, ["planner", "median ms per plan", "mean cost", "model evals per plan"], intro
        )
        for k, v in r["rows"].items():
            cost = "n/a" if v["mean_cost"] is None else f"{v['mean_cost']:.3f}"
            parts.append(f"| {k} | {v['ms_per_plan']:.1f} | {cost} | {v['model_evals_per_plan']:.0f} |")
        parts.append("")
    if "hierarchy" in res:
        r = res["hierarchy"]
        intro = (
            f"Slow level settings: `{r['settings']}`. two_room: every episode starts in one room with its goal in the other; maze: in one outer corridor with its goal in the other. Model evaluations count fast and slow predictor steps (not the temporal-distance metric's MLP or the landmark graph, whose cost is in the timings). processes: episodes shared by that many processes of one torch thread each (1: one process, all threads).",
        )
        cols = [
            "task / planner",
            "episodes",
            "success",
            "mean final dist.",
            "mean start dist.",
            "median ms/step",
            "mean ms/step",
            "model evals/step",
            "processes",
        ]
        parts += _section("Hierarchical vs flat planning", r, cols, (*intro, *r.get("notes", ())))
        for k, v in r["rows"].items():
            parts.append(f"| {k} | {v['episodes']} | {_eval_cells(v, mean_ms=True)} | {v.get('workers', 1)} |")
        parts.append("")
    if "pixels" in res:
        r = res["pixels"]
        intro = (
            "point_mass from 64x64 images with 2-frame history (`KeypointEncoder`); goals are images, the cost is the embedding distance to the goal image's. Training on this machine's CPU for the CPU configuration; the GPU configuration was trained on one H200 (`--device cuda`) and evaluated here. The oracle row is the same planner on the true physics.",
        )
        cols = [
            "configuration",
            "success",
            "mean final dist.",
            "mean start dist.",
            "median ms/step",
            "model evals/step",
            "train steps",
            "steps/s",
            "h1",
            "h20",
            "eff. rank",
            "probe R^2",
            "Spearman",
        ]
        parts += _section("Planning from pixels (point_mass)", r, cols, (*intro, *r.get("notes", ())))
        for k, v in r["rows"].items():
            t = v.get("train")
            extra = (
                " | ".join(["n/a"] * 7)
                if t is None
                else (
                    f"{v['train_steps']} | {'n/a' if t['steps_per_second'] is None else format(t['steps_per_second'], '.1f')} | {t['pred_ratio_h1']:.3f} | {t['pred_ratio_h20']:.3f} | {t['effective_rank']:.1f}/{t['latent_dim']} | {t['probe_r2']:.3f} | {t['distance_spearman']:.2f}"
                )
            )
            parts.append(f"| {k} | {_eval_cells(v)} | {extra} |")
        parts.append("")
        for k, v in r["rows"].items():
            if "command" in v:
                parts.append(f"- {k}: `{v['command']}`" + (f"; collection {v['frames_per_second']:.0f} frames/s" if v.get("frames_per_second") else ""))
        parts.append("")
    if "scale" in res:
        r = res["scale"]
        intro = ("Global batch 256 in both runs (each of 2 ranks loads 128 windows); 2 cores, so 2 processes share the same compute.",)
        parts += _section("Scaling out: DDP training and sharded evaluation", r, ["training", "wall s", "steps/s", "held-out pred/copy h5"], intro)
        for k, v in r["train"].items():
            parts.append(f"| {k} | {v['wall_s']:.1f} | {v['steps_per_second']:.1f} | {v['pred_ratio_h5']:.3f} |")
        parts += ["", "| evaluation | wall s (incl. start-up) | success |", "|---|---|---|"]
        for k, v in r["eval"].items():
            parts.append(f"| {k} | {v['wall_s']:.1f} | {v['success_rate']:.0%} |")
        parts += ["", f"Per-episode results of `--workers 2` identical to the 1-thread sequential run (timings excepted): {r['sharded_equals_sequential']}", ""]
    path = out / "RESULTS.md"
    path.write_text("\n".join(parts) + "\n")
    return path


def run_benchmarks(s: BenchSettings) -> Path:
    out = Path(s.out)
    funcs = {
        "data": bench_data,
        "world_model": bench_world_model,
        "anti_collapse": bench_anti_collapse,
        "planning": bench_planning,
        "peers": bench_peers,
        "scale": bench_scale,
        "hierarchy": bench_hierarchy,
        "pixels": bench_pixels,
    }
    for section in s.sections:
        if section not in funcs:
            raise SystemExit(f"error: unknown section {section!r}; known: {', '.join(SECTIONS)}")
        print(f"== bench {section}", flush=True)
        _save(out, section, funcs[section](s))
    path = write_results(out)
    print(f"wrote {path}")
    return path


__all__ = ["BenchSettings", "run_benchmarks", "write_results"]

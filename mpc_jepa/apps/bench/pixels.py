"""Section pixels: point_mass from 64x64 images, CPU and GPU configurations."""

from __future__ import annotations

import tasks
from mpc_jepa.apps.bench.common import stored_section
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.diagnostics import report
from mpc_jepa.evaluation import PlanSettings, evaluate
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import CheckpointError, load_world_model, read_checkpoint
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.pipeline import CollectSettings, ModelPaths, run_collect
from mpc_jepa.training import TrainConfig, train

PIXEL_CONFIGS = {
    "cpu": (400, 0, dict(steps=6000, batch_size=64), dict(cnn_width=8)),
    "gpu": (
        1000,
        1,
        dict(steps=12000, batch_size=512, checkpoint_every=2000),
        dict(cnn_width=32, hidden=256),
    ),
}


def pixel_command(config: str, device: str = "cpu") -> str:
    """The CLI commands that collect and train a pixel configuration."""
    episodes, seed, tc, mc = PIXEL_CONFIGS[config]
    flags = " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in {**mc, **tc}.items() if k != "checkpoint_every"
    )
    dev = f" --device {device}" if device != "cpu" else ""
    seed_flag = f" --seed {seed}" if seed else ""
    return (
        f"mpc-jepa collect --task point_mass --pixels --episodes {episodes}{seed_flag} && "
        f"mpc-jepa train --task point_mass --obs-type pixels --history 2 {flags}{dev}"
    )


TRAIN_KEYS = (
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
"""The training diagnostics a pixel row reports."""


def bench_pixels(s: BenchSettings) -> dict:
    """point_mass from 64x64 pixels: collection speed, CPU training, diagnostics, closed-loop CEM
    with image goals.

    The CPU configuration is trained here unless runs/bench/pixels_point_mass.pt exists (delete
    it to retrain). A GPU-configuration checkpoint at runs/bench/pixels_point_mass_gpu.pt, when
    present (trained with ``--device cuda`` elsewhere), is evaluated here too; otherwise its
    stored row is kept.
    """
    old = stored_section(s.out, "pixels")
    rows = old.get("rows", {})
    ds, runs = _pixel_models()
    pixel_task = tasks.load("point_mass", seed=s.seed, pixels=True)
    for config, (model, path) in runs.items():
        meta = read_checkpoint(path)["meta"]
        diag = meta.get("diagnostics") or {}
        if "probe_r2" not in diag:  # saved mid-run: diagnose it on this dataset (unseen by it)
            diag = {**report(model, ds, *ds.split(0.1)), "steps_per_second": None}
        ev = evaluate(
            pixel_task, model, PlanSettings(planner="cem"), s.episodes, seed=s.seed, progress=False
        )
        rows[f"{config} config, pixels, cem"] = {
            **ev["summary"],
            "train": {k: diag.get(k) for k in TRAIN_KEYS},
            "train_steps": meta["step"],
            "frames_per_second": float(ds.meta["frames_per_second"]) if config == "cpu" else None,
            "command": pixel_command(config, "cpu" if config == "cpu" else "cuda"),
        }
        print(f"pixels {config}: {ev['summary']}", flush=True)
    oracle = OracleModel(tasks.load("point_mass", seed=0))
    state_task = tasks.load("point_mass", seed=s.seed)
    ev = evaluate(
        state_task, oracle, PlanSettings(planner="cem"), s.episodes, seed=s.seed, progress=False
    )
    rows["oracle (true physics), cem"] = ev["summary"]
    return {
        "notes": old.get("notes", []),
        "command": "mpc-jepa bench --sections pixels (eval: mpc-jepa eval --task point_mass "
        f"--pixels --planner cem --episodes {s.episodes} --seed {s.seed})",
        "rows": rows,
    }


def _pixel_models():
    """The CPU configuration's dataset and model (trained unless stored), and the GPU
    configuration's model when its checkpoint is there.

    Returns (dataset, {config: (model, checkpoint path)})."""
    episodes, _, tc, mc = PIXEL_CONFIGS["cpu"]
    paths = ModelPaths.of_run("bench", "pixels_point_mass")
    collect = CollectSettings(
        task="point_mass", out=str(paths.dataset), episodes=episodes, pixels=True
    )
    ds = run_collect(collect, progress=False)
    try:  # reuse an earlier run's model
        model = load_world_model(paths.fast, task="point_mass", obs_type="pixels")
    except CheckpointError:
        mcfg = WorldModelConfig(obs_type="pixels", history=2, **mc)
        model = train(ds, paths.fast, TrainConfig(**tc), mcfg, progress=False).model
    runs = {"cpu": (model, paths.fast)}
    gpu_path = ModelPaths.of_run("bench", "pixels_point_mass_gpu").fast
    if gpu_path.exists():
        runs["gpu"] = (load_world_model(gpu_path, task="point_mass", obs_type="pixels"), gpu_path)
    return ds, runs

"""The benchmark's settings (`mpc-jepa bench --help`)."""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = (
    "data",
    "world_model",
    "anti_collapse",
    "planning",
    "peers",
    "anytime",
    "scale",
    "hierarchy",
    "pixels",
    "throughput",
)
# hours on a CPU, resumable: run only when asked (--sections ogbench)
LONG_SECTIONS = ("ogbench", "contact", "learning")


@dataclass(frozen=True)
class BenchSettings:
    sections: tuple[str, ...] = SECTIONS
    """Sections to run: data, world_model, anti_collapse, planning, peers, anytime, scale,
    hierarchy, pixels, throughput; and, only when named, ogbench, contact and learning (hours: a
    play dataset to collect, or learning runs; ogbench and learning resume where they stopped)."""
    episodes: int = 50
    """Closed-loop episodes per planner."""
    train_steps: int = 3000
    """World-model training steps."""
    out: str = "benchmarks"
    """Directory of RESULTS.md and results/."""
    seed: int = 100000
    """First evaluation episode seed."""
    hierarchy_tasks: tuple[str, ...] = ()
    """hierarchy section: run only these tasks, keeping the stored rows of the others (default:
    all)."""
    hierarchy_runs: tuple[str, ...] = ()
    """hierarchy section: run only these rows (labels of HIERARCHY_RUNS), keeping the others stored
    (default: all)."""
    planning_runs: tuple[str, ...] = ()
    """planning section: run only these rows (labels of PLANNING_RUNS), keeping the others stored
    (default: all)."""
    workers: int = 1
    """hierarchy section: processes sharing each evaluation's episodes (one torch thread each)."""
    hierarchy_batch: int = 1
    """hierarchy section: episodes advanced together (one batched plan per control step)."""
    ogbench_datasets: tuple[str, ...] = ()
    """ogbench section: run only these datasets (default: all of OGBENCH_DATASETS)."""
    ogbench_runs: tuple[str, ...] = ()
    """ogbench section: run only these rows (labels of OGBENCH_RUNS; default: all)."""
    ogbench_episodes: int = 50
    """ogbench section: episodes per evaluation task (OGBench's protocol: 50, x 5 tasks)."""
    ogbench_batch: int = 25
    """ogbench section: episodes advanced together (one batched plan per control step)."""
    contact_datasets: tuple[str, ...] = ()
    """contact section: run only these play datasets (default: all of CONTACT_DATASETS)."""
    contact_runs: tuple[str, ...] = ()
    """contact section: run only these followers (labels of FOLLOWERS; default: all), keeping the
    others stored."""
    learning_tasks: tuple[str, ...] = ()
    """learning section: run only these tasks (default: all of LEARNING_RUNS)."""
    learning_seeds: tuple[int, ...] = ()
    """learning section: run only these seeds of each task (default: LEARNING_RUNS's)."""
    learning_env_steps: int = 100000
    """learning section: environment steps per run."""

"""The benchmark's settings (`mpc-jepa bench --help`)."""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = (
    "data",
    "world_model",
    "anti_collapse",
    "planning",
    "peers",
    "scale",
    "hierarchy",
    "pixels",
    "throughput",
)


@dataclass(frozen=True)
class BenchSettings:
    sections: tuple[str, ...] = SECTIONS
    """Sections to run: data, world_model, anti_collapse, planning, peers, scale, hierarchy,
    pixels, throughput."""
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

"""Benchmarks behind `make bench` / `mpc-jepa bench`, written to benchmarks/RESULTS.md.

Each section stores its figures in benchmarks/results/<section>.json; RESULTS.md is regenerated
from all stored sections, so sections can be re-run one at a time (``--sections planning``).
"""

from __future__ import annotations

from pathlib import Path

from mpc_jepa.apps.bench.anytime import bench_anytime
from mpc_jepa.apps.bench.common import save_section
from mpc_jepa.apps.bench.contact import bench_contact
from mpc_jepa.apps.bench.hierarchy import bench_hierarchy
from mpc_jepa.apps.bench.learning import bench_learning
from mpc_jepa.apps.bench.ogbench import bench_ogbench
from mpc_jepa.apps.bench.pixels import bench_pixels
from mpc_jepa.apps.bench.planning import bench_peers, bench_planning
from mpc_jepa.apps.bench.report import write_results
from mpc_jepa.apps.bench.scale import bench_scale
from mpc_jepa.apps.bench.settings import LONG_SECTIONS, SECTIONS, BenchSettings
from mpc_jepa.apps.bench.throughput import bench_throughput
from mpc_jepa.apps.bench.world_model import bench_anti_collapse, bench_data, bench_world_model


def run_benchmarks(s: BenchSettings) -> Path:
    """Run ``s.sections``, store each one's figures, regenerate RESULTS.md; its path."""
    out = Path(s.out)
    funcs = {
        "data": bench_data,
        "world_model": bench_world_model,
        "anti_collapse": bench_anti_collapse,
        "planning": bench_planning,
        "peers": bench_peers,
        "anytime": bench_anytime,
        "scale": bench_scale,
        "hierarchy": bench_hierarchy,
        "pixels": bench_pixels,
        "throughput": bench_throughput,
        "ogbench": bench_ogbench,
        "contact": bench_contact,
        "learning": bench_learning,
    }
    for section in s.sections:
        if section not in funcs:
            known = ", ".join(SECTIONS + LONG_SECTIONS)
            raise ValueError(f"unknown section {section!r}; known: {known}")
        print(f"== bench {section}", flush=True)
        save_section(out, section, funcs[section](s))
    path = write_results(out)
    print(f"wrote {path}")
    return path


__all__ = ["BenchSettings", "run_benchmarks", "write_results"]

"""The learning curve of `mpc-jepa learn`: its CSV, and its picture (return vs environment steps,
beside the published points at 100k steps)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless
import matplotlib.pyplot as plt  # noqa: E402

from mpc_jepa.files import atomic_write  # noqa: E402

FIELDS = ("env_steps", "episodes", "mean_return", "std_return", "wall_seconds")
# mean return at 100k environment steps, 3 seeds, state observations (TD-MPC2 / DreamerV3 / SAC),
# as the TD-MPC2 paper's curves report them
PUBLISHED_100K = {
    "pendulum-swingup": {"TD-MPC2": 724, "DreamerV3": 699, "SAC": 96},
    "cartpole-swingup": {"TD-MPC2": 839, "DreamerV3": 677, "SAC": 835},
    "cheetah-run": {"TD-MPC2": 519, "DreamerV3": 336, "SAC": 310},
    "reacher-hard": {"TD-MPC2": 414, "DreamerV3": 813, "SAC": 161},
    "walker-walk": {"TD-MPC2": 962, "DreamerV3": 630, "SAC": 708},
}


def suite_name(task: str) -> str:
    """``dmc:cheetah-run@reward`` (or ``dmc:cheetah-run,repeat=2``) -> ``cheetah-run``."""
    return task.split(":", 1)[-1].split("@", 1)[0].split(",", 1)[0]


def _draw(ax, runs: dict, task: str) -> None:
    """Mean return +- std of every run (seed: rows) and the published 100k points of ``task``."""
    for i, (seed, rows) in enumerate(runs.items()):
        x = [r["env_steps"] for r in rows]
        y = [r["mean_return"] for r in rows]
        sd = [r["std_return"] for r in rows]
        ax.plot(x, y, "o-", color="C0", alpha=1 - 0.4 * i, label=f"mpc_jepa, seed {seed}")
        lo, hi = [a - b for a, b in zip(y, sd)], [a + b for a, b in zip(y, sd)]
        ax.fill_between(x, lo, hi, color="C0", alpha=0.15)
    for i, (name, value) in enumerate(PUBLISHED_100K.get(suite_name(task), {}).items()):
        # side by side right of 100k: equal returns would hide each other
        ax.plot([100000 + 4000 * (i + 1)], [value], marker="*^s"[i % 3], linestyle="none",
                markersize=9,
                color=f"C{i + 1}", label=f"{name} at 100k (published)")  # fmt: skip
    ax.set(xlabel="environment steps", ylabel="episode return", title=suite_name(task))
    ax.set_ylim(0, 1000)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")


def plot_curve(rows: list[dict], task: str, path: str | Path, seed: int | str = 0) -> Path:
    """Write ``path`` (PNG): one run's curve (``FIELDS`` rows) beside the published points."""
    return plot_curves({task: {seed: rows}}, path)


def plot_curves(curves: dict, path: str | Path) -> Path:
    """Write ``path`` (PNG): one panel per task of ``curves`` ({task: {seed: rows}})."""
    n = max(len(curves), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.5 * n, 3.6), squeeze=False)
    for ax, (task, runs) in zip(axes[0], curves.items()):
        _draw(ax, runs, task)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    return path


def read_curve(path: Path) -> list[dict]:
    """The rows of a curve CSV (numbers as floats); [] when it does not exist yet."""
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def write_curve(path: Path, rows: list[dict]) -> None:
    """Write the rows (``FIELDS``) as CSV, atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(FIELDS))
    w.writeheader()
    w.writerows(rows)
    text = buf.getvalue().encode()
    atomic_write(path, lambda f: f.write(text))

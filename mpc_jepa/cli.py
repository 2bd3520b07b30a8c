"""The ``mpc-jepa`` command line. Every subcommand's settings are a typed dataclass (see --help)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from mpc_jepa.cli_args import add_dataclass_args, dataclass_from_args


@dataclass(frozen=True)
class CollectSettings:
    task: str = "point_mass"
    """Task name (see `mpc-jepa tasks`) or dmc:<domain>-<task>."""
    out: str = ""
    """Dataset directory to write (default: data/<task>[-pixels])."""
    episodes: int = 200
    """Number of episodes."""
    episode_length: int = 0
    """Agent steps per episode (0: the task's episode length)."""
    seed: int = 0
    """Seed for starts and exploration actions."""
    pixels: bool = False
    """Also store 64x64 (see --image-size) uint8 images."""
    image_size: int = 64
    """Image side in pixels."""
    overwrite: bool = False
    """Replace an existing dataset (otherwise an existing one is reused)."""

    def path(self) -> Path:
        return Path(self.out or f"data/{self.task.replace(':', '_')}{'-pixels' if self.pixels else ''}")


def cmd_tasks(_args) -> int:
    import tasks

    for name in tasks.names():
        t = tasks.load(name, seed=0)
        print(f"{name:12s} state_dim={t.state_dim} action_dim={t.action_dim} episode_length={t.episode_length} "
              f"success: distance <= {t.success_threshold} ({type(t).__doc__.strip().splitlines()[0] if type(t).__doc__ else ''})")
    print("dmc:<domain>-<task>  any dm-control suite task, goal = state reached k steps later")
    return 0


def run_collect(s: CollectSettings, progress: bool = True):
    """Collect a dataset (or reuse the one already at the path). Returns the Dataset."""
    import tasks
    from mpc_jepa.data import Dataset, collect

    path = s.path()
    if path.exists() and not s.overwrite:
        ds = Dataset(path)
        if ds.task != s.task:
            raise SystemExit(f"error: {path} holds a dataset of task {ds.task!r}, not {s.task!r}; use --overwrite or another --out")
        print(f"reusing dataset {path} ({ds.num_episodes} episodes, {len(ds)} frames)")
        return ds
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels, image_size=s.image_size)
    ds = collect(task, path, episodes=s.episodes, episode_length=s.episode_length or None, seed=s.seed, overwrite=s.overwrite, progress=progress)
    cov = ds.meta["coverage_10x10"]
    print(f"wrote {path}: {ds.num_episodes} episodes, {len(ds)} frames, {ds.meta['frames_per_second']:.0f} frames/s"
          + (f", coverage of a 10x10 grid: {cov:.0%}" if cov is not None else ""))
    return ds


def cmd_collect(args) -> int:
    run_collect(dataclass_from_args(CollectSettings, args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mpc-jepa", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tasks", help="list the registered tasks")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("collect", help="collect an exploration dataset")
    add_dataclass_args(p, CollectSettings)
    p.set_defaults(func=cmd_collect)
    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list = []


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dump(obj, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, default=float))


__all__ = ["main", "build_parser", "CollectSettings", "run_collect", "asdict"]

if __name__ == "__main__":
    sys.exit(main())

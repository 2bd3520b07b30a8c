"""`mpc-jepa collect`: a dataset at its default path, collected once and reused after."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import tasks
from mpc_jepa.data import Dataset, DatasetError, collect, import_npz
from mpc_jepa.pipeline.paths import dataset_dir


@dataclass(frozen=True)
class CollectSettings:
    task: str = "point_mass"
    """Task name (see `mpc-jepa tasks`) or dmc:<domain>-<task>."""
    out: str = ""
    """Dataset directory to write (default: data/<task>[-pixels])."""
    episodes: int = 0
    """Number of episodes (0: the task's recipe: 200 for most, OGBench's published sizes)."""
    episode_length: int = 0
    """Agent steps per episode (0: the task's recipe, else its episode length)."""
    seed: int = 0
    """Seed for starts and exploration actions."""
    pixels: bool = False
    """Also store 64x64 (see --image-size) uint8 images."""
    image_size: int = 64
    """Image side in pixels."""
    overwrite: bool = False
    """Replace an existing dataset (otherwise an existing one is reused)."""
    from_npz: str = ""
    """Import this OGBench .npz dataset file instead of collecting (ogbench:<dataset> tasks)."""

    def __post_init__(self):
        if self.episodes < 0:
            raise ValueError(f"episodes must be >= 0 (0: the task's recipe), got {self.episodes}")
        if self.episode_length < 0:
            raise ValueError(f"episode_length must be >= 0, got {self.episode_length}")

    def path(self) -> Path:
        return Path(self.out) if self.out else dataset_dir(self.task, self.pixels)


def run_collect(s: CollectSettings, progress: bool = True) -> Dataset:
    """Collect a dataset, or reuse the one already at the path (recollected when the task's
    timing changed since). Raises ``DatasetError`` for a dataset of another task."""
    path = s.path()
    if path.exists() and not s.overwrite:
        ds = Dataset(path)
        if ds.task != s.task:
            raise DatasetError(
                f"{path} holds a dataset of task {ds.task!r}, not {s.task!r}; use --overwrite or "
                "another --out"
            )
        repeat = tasks.load(s.task).action_repeat
        if ds.meta["action_repeat"] != repeat:  # stale data
            print(
                f"{path} was collected with action_repeat={ds.meta['action_repeat']}, the task "
                f"now uses {repeat}: collecting again"
            )
            return run_collect(replace(s, overwrite=True), progress)
        print(f"reusing dataset {path} ({ds.num_episodes} episodes, {len(ds)} frames)")
        return ds
    task = tasks.load(s.task, seed=s.seed, pixels=s.pixels, image_size=s.image_size)
    if s.from_npz:
        ds = import_npz(task, s.from_npz, path, overwrite=s.overwrite, progress=progress)
        print(f"wrote {path}: {ds.num_episodes} episodes, {len(ds)} frames from {s.from_npz}")
        return ds
    ds = collect(
        task,
        path,
        episodes=s.episodes or task.recipe.collect_episodes,
        episode_length=s.episode_length or task.recipe.collect_length or None,
        seed=s.seed,
        policy=task.collection_policy(),
        overwrite=s.overwrite,
        progress=progress,
    )
    cov = ds.meta["coverage_10x10"]
    print(
        f"wrote {path}: {ds.num_episodes} episodes, {len(ds)} frames, "
        f"{ds.meta['frames_per_second']:.0f} frames/s"
        + (f", coverage of a 10x10 grid: {cov:.0%}" if cov is not None else "")
    )
    return ds

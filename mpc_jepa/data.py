"""Trajectory datasets: collect with an exploration policy, save atomically, load lazily, sample windows.

On-disk format (a directory, format version 1); every array but the images is a plain ``.npy`` file,
so it can be memory-mapped (``np.load(mmap_mode='r')``) for datasets larger than RAM; images are
compressed (see ``mpc_jepa.pixel_store``):

| file                | shape                 | dtype   | content                                             |
|---------------------|-----------------------|---------|-----------------------------------------------------|
| ``meta.json``       |                       |         | task, dims, episode count, exploration, seed, coverage |
| ``states.npy``      | [N, S]                | float32 | state observations, episodes back to back          |
| ``actions.npy``     | [N, A]                | float32 | action taken at each observation, in [-1, 1]; the last row of each episode is 0 (no action) |
| ``rewards.npy``     | [N]                   | float32 | suite reward after the action (0 on the last row)   |
| ``physics.npy``     | [N, nstate]           | float64 | full MuJoCo physics state (``Task.get_state``)      |
| ``physical.npy``    | [N, P]                | float64 | the task's goal-relevant physical quantity          |
| ``episode_starts.npy`` | [E + 1]            | int64   | row offsets: episode e is rows [starts[e], starts[e+1]) |
| ``pixels.npz``      | [N, H, W, 3]          | uint8   | only with pixels: camera images, one deflated array per episode |

Datasets written before images were compressed hold ``pixels.npy`` instead (memory-mapped, still read).

A dataset is written into a temporary sibling directory and renamed into place only when
complete, so a crash or Ctrl-C never leaves a half-written dataset under the final name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from mpc_jepa.pixel_store import PixelStore, PixelWriter

FORMAT_VERSION = 1
_ARRAYS = ("states", "actions", "rewards", "physics", "physical")


class DatasetError(ValueError):
    """A dataset path or content is not what was asked for."""


@dataclass(frozen=True)
class ExplorationConfig:
    """Temporally correlated exploration: held random actions plus coloured noise.

    Independent uniform actions barely move a damped point mass (they average out), so the policy
    holds a random action for a random number of steps and adds low-frequency noise on top.
    """

    hold_min: int = 5
    """Shortest hold of one random action (agent steps)."""
    hold_max: int = 25
    """Longest hold of one random action (agent steps)."""
    noise_scale: float = 0.3
    """Scale of the smooth (AR(1)) noise added to the held action."""
    noise_corr: float = 0.9
    """AR(1) coefficient of the noise: closer to 1 is smoother."""

    def __post_init__(self):
        if not 1 <= self.hold_min <= self.hold_max:
            raise DatasetError(f"need 1 <= hold_min <= hold_max, got hold_min={self.hold_min}, hold_max={self.hold_max}")
        if self.noise_scale < 0:
            raise DatasetError(f"noise_scale must be >= 0, got {self.noise_scale}")
        if not 0 <= self.noise_corr < 1:
            raise DatasetError(f"noise_corr must be in [0, 1), got {self.noise_corr}")


def exploration_actions(rng: np.random.Generator, steps: int, action_dim: int, config: ExplorationConfig) -> np.ndarray:
    """A [steps, action_dim] exploration action sequence in [-1, 1]."""
    out = np.empty((steps, action_dim))
    noise = np.zeros(action_dim)
    t = 0
    while t < steps:
        hold = int(rng.integers(config.hold_min, config.hold_max + 1))
        out[t : t + hold] = rng.uniform(-1, 1, action_dim)
        t += hold
    for t in range(steps):
        noise = config.noise_corr * noise + np.sqrt(1 - config.noise_corr**2) * rng.normal(size=action_dim)
        out[t] += config.noise_scale * noise
    return np.clip(out, -1.0, 1.0)


def coverage(physical: np.ndarray, bounds, bins: int = 10) -> float:
    """Fraction of a ``bins`` x ``bins`` grid over ``bounds`` visited by [N, 2] positions."""
    physical = np.asarray(physical)[:, :2]
    lo = np.array([b[0] for b in bounds[:2]])
    hi = np.array([b[1] for b in bounds[:2]])
    idx = np.floor((physical - lo) / (hi - lo) * bins).astype(int)
    idx = idx[np.all((idx >= 0) & (idx < bins), axis=1)]
    return len({(int(i), int(j)) for i, j in idx}) / bins**2


def collect(
    task,
    out: str | os.PathLike,
    *,
    episodes: int,
    episode_length: int | None = None,
    seed: int = 0,
    exploration: ExplorationConfig = ExplorationConfig(),
    overwrite: bool = False,
    progress: bool = True,
) -> Dataset:
    """Roll out the exploration policy in ``task`` and write a dataset to ``out`` atomically.

    Args:
        task: a ``tasks.Task`` (pixels are stored when it was built with ``pixels=True``).
        out: dataset directory to create.
        episodes: number of episodes E.
        episode_length: agent steps T per episode (default: the task's); each episode has T+1 rows.
        seed: seeds starts and actions, so collection is reproducible.
        exploration: the exploration policy's settings.
        overwrite: replace an existing dataset at ``out``.
    Returns:
        The written dataset, opened lazily.
    """
    out = Path(out)
    if episodes < 1:
        raise DatasetError(f"episodes must be >= 1, got {episodes}")
    T = int(episode_length or task.episode_length)
    if T < 1:
        raise DatasetError(f"episode_length must be >= 1, got {T}")
    if out.exists() and not overwrite:
        raise DatasetError(f"dataset {str(out)!r} exists; pass overwrite=True (--overwrite) to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    N = episodes * (T + 1)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        task.reset(seed=int(rng.integers(2**31)))
        shapes = {
            "states": ((N, task.state_dim), np.float32),
            "actions": ((N, task.action_dim), np.float32),
            "rewards": ((N,), np.float32),
            "physics": ((N, task.get_state().shape[0]), np.float64),
            "physical": ((N, task.physical().shape[0]), np.float64),
        }
        arrays = {k: np.lib.format.open_memmap(tmp / f"{k}.npy", mode="w+", dtype=dt, shape=sh) for k, (sh, dt) in shapes.items()}
        pixel_writer = PixelWriter(tmp / "pixels.npz") if task.pixels else None
        frames = np.empty((T + 1, task.image_size, task.image_size, 3), np.uint8) if task.pixels else None
        start_time = time.perf_counter()
        row = 0
        for _ in tqdm(range(episodes), desc=f"collect {task.name}", disable=not progress, unit="ep"):
            obs = task.reset(seed=int(rng.integers(2**31)), exploration=True)
            actions = exploration_actions(rng, T, task.action_dim, exploration)
            for t in range(T + 1):
                arrays["states"][row] = obs["state"]
                arrays["physics"][row] = task.get_state()
                arrays["physical"][row] = task.physical()
                if task.pixels:
                    frames[t] = obs["pixels"]
                if t < T:
                    arrays["actions"][row] = actions[t]
                    obs = task.step(actions[t])
                    arrays["rewards"][row] = task.env.task.get_reward(task.physics) or 0.0
                else:
                    arrays["actions"][row] = 0.0
                    arrays["rewards"][row] = 0.0
                row += 1
            if pixel_writer is not None:
                pixel_writer.append(frames)
        if pixel_writer is not None:
            pixel_writer.close()
        elapsed = time.perf_counter() - start_time
        for a in arrays.values():
            a.flush()
        np.save(tmp / "episode_starts.npy", np.arange(0, N + 1, T + 1, dtype=np.int64))
        cov = coverage(arrays["physical"], task.coverage_bounds) if task.coverage_bounds else None
        meta = {
            "format_version": FORMAT_VERSION,
            "task": task.name,
            "state_dim": task.state_dim,
            "action_dim": task.action_dim,
            "pixels": task.pixels,
            "image_size": task.image_size if task.pixels else None,
            "episodes": episodes,
            "episode_length": T,
            "action_repeat": task.action_repeat,
            "seed": seed,
            "exploration": asdict(exploration),
            "coverage_10x10": cov,
            "frames_per_second": N / elapsed,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        del arrays
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset(out)


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move a finished ``tmp`` to ``out``; an old ``out`` is moved aside first and then deleted."""
    if out.exists():
        trash = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, trash)
        os.replace(tmp, out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out)


class Dataset:
    """A dataset directory opened lazily (arrays memory-mapped). See the module docstring."""

    def __init__(self, path: str | os.PathLike, *, mmap: bool = True):
        self.path = Path(path)
        if not str(path):
            raise DatasetError("dataset path is empty")
        meta_file = self.path / "meta.json"
        if not meta_file.is_file():
            raise DatasetError(f"no dataset at {str(self.path)!r} (missing meta.json)")
        self.meta = json.loads(meta_file.read_text())
        if self.meta.get("format_version") != FORMAT_VERSION:
            raise DatasetError(f"{str(self.path)!r}: format_version {self.meta.get('format_version')!r}, expected {FORMAT_VERSION}")
        mode = "r" if mmap else None
        self.arrays = {k: np.load(self.path / f"{k}.npy", mmap_mode=mode) for k in (*_ARRAYS, "episode_starts")}
        self.episode_starts = np.asarray(self.arrays["episode_starts"])
        if self.meta["pixels"]:
            if (self.path / "pixels.npz").is_file():
                self.arrays["pixels"] = PixelStore(self.path / "pixels.npz", self.episode_starts)
            else:  # datasets written before images were compressed
                self.arrays["pixels"] = np.load(self.path / "pixels.npy", mmap_mode=mode)
        if self.episode_starts[-1] != len(self.arrays["states"]):
            raise DatasetError(f"{str(self.path)!r}: episode_starts ends at {self.episode_starts[-1]}, but there are {len(self.arrays['states'])} rows")

    task = property(lambda self: self.meta["task"])
    num_episodes = property(lambda self: len(self.episode_starts) - 1)

    def __len__(self) -> int:
        return int(self.episode_starts[-1])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def episode(self, e: int) -> dict[str, np.ndarray]:
        """Arrays of episode ``e``: each [T_e + 1, ...]."""
        if not 0 <= e < self.num_episodes:
            raise DatasetError(f"episode {e} out of range [0, {self.num_episodes})")
        s, f = self.episode_starts[e], self.episode_starts[e + 1]
        return {k: np.asarray(v[s:f]) for k, v in self.arrays.items() if k != "episode_starts"}

    def split(self, val_fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint (train, held-out) episode indices; held-out gets ceil(val_fraction * E) >= 1."""
        if not 0 < val_fraction < 1:
            raise DatasetError(f"val_fraction must be in (0, 1), got {val_fraction}")
        if self.num_episodes < 2:
            raise DatasetError(f"need >= 2 episodes to split, dataset has {self.num_episodes}")
        perm = np.random.default_rng(seed).permutation(self.num_episodes)
        n_val = max(1, int(np.ceil(val_fraction * self.num_episodes)))
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])


class WindowSampler:
    """Samples training windows (obs_t..obs_{t+T}, a_t..a_{t+T-1}) that never cross an episode end."""

    def __init__(self, dataset: Dataset, length: int, episodes: np.ndarray | None = None, keys: tuple[str, ...] = ("states",)):
        if length < 1:
            raise DatasetError(f"window length must be >= 1, got {length}")
        self.dataset, self.length, self.keys = dataset, int(length), keys
        episodes = np.arange(dataset.num_episodes) if episodes is None else np.asarray(episodes)
        starts = []
        for e in episodes:
            s, f = dataset.episode_starts[e], dataset.episode_starts[e + 1]
            if f - s > length:  # an episode of L rows has L - length windows of length+1 rows
                starts.append(np.arange(s, f - length))
        if not starts:
            raise DatasetError(f"no episode is longer than the window length {length}")
        self.starts = np.concatenate(starts)
        # arrays in RAM: windows come from all episodes at random (compressed images are decompressed once)
        self._cache = {k: np.asarray(dataset[k]) for k in (*keys, "actions")}

    def __len__(self) -> int:
        return len(self.starts)

    def sample(self, batch_size: int, rng: np.random.Generator, shard: tuple[int, int] = (0, 1)) -> dict[str, np.ndarray]:
        """Returns {key: [B, T+1, ...]} for the observation keys and {'actions': [B, T, A]}.

        ``shard=(rank, world)``: draw the global batch of ``batch_size`` windows (the same on every
        rank, from the same generator state) and load only this rank's contiguous slice of it.
        """
        t0 = rng.choice(self.starts, size=batch_size)
        rank, world = shard
        if world > 1:
            t0 = np.array_split(t0, world)[rank]
        return self.windows(t0)

    def windows(self, t0: np.ndarray) -> dict[str, np.ndarray]:
        """Windows starting at rows ``t0`` [B]; see ``sample``."""
        idx = t0[:, None] + np.arange(self.length + 1)[None]  # [B, T+1]
        out = {}
        for k in self.keys:
            src = self._cache[k]
            out[k] = np.asarray(src[idx.ravel()]).reshape(*idx.shape, *src.shape[1:])
        out["actions"] = self._cache["actions"][idx[:, :-1]]  # [B, T, A]
        return out

"""Trajectory datasets on disk: open lazily, split by episode, sample windows (``collect`` writes
them).

On-disk format (a directory, format version 1); every array but the images is a plain ``.npy`` file,
so it can be memory-mapped (``np.load(mmap_mode='r')``) for datasets larger than RAM; images are
compressed (see ``mpc_jepa.data.pixel_store``):

| file                | shape                 | dtype   | content
|
|---------------------|-----------------------|---------|-----------------------------------------------------|
| ``meta.json``       |                       |         | task, dims, episode count, exploration,
seed, coverage |
| ``states.npy``      | [N, S]                | float32 | state observations, episodes back to back
|
| ``actions.npy``     | [N, A]                | float32 | action taken at each observation, in [-1,
1]; the last row of each episode is 0 (no action) |
| ``rewards.npy``     | [N]                   | float32 | suite reward after the action (0 on the
last row)   |
| ``physics.npy``     | [N, nstate]           | float64 | full MuJoCo physics state
(``Task.get_state``)      |
| ``physical.npy``    | [N, P]                | float64 | the task's goal-relevant physical quantity
|
| ``episode_starts.npy`` | [E + 1]            | int64   | row offsets: episode e is rows [starts[e],
starts[e+1]) |
| ``pixels.npz``      | [N, H, W, 3]          | uint8   | only with pixels: camera images, one
deflated array per episode |

Datasets written before images were compressed hold ``pixels.npy`` instead (memory-mapped, still
read).

A dataset is written into a temporary sibling directory and renamed into place only when
complete, so a crash or Ctrl-C never leaves a half-written dataset under the final name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from mpc_jepa.data.pixel_store import PixelStore
from mpc_jepa.errors import MpcJepaError, NonFiniteError

FORMAT_VERSION = 1
ARRAYS = ("states", "actions", "rewards", "physics", "physical")


class DatasetError(MpcJepaError):
    """A dataset path or content is not what was asked for."""


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
            raise DatasetError(
                f"{str(self.path)!r}: format_version "
                f"{self.meta.get('format_version')!r}, expected {FORMAT_VERSION}"
            )
        mode = "r" if mmap else None
        self.arrays = {k: _load(self.path / f"{k}.npy", mode) for k in (*ARRAYS, "episode_starts")}
        self.episode_starts = np.asarray(self.arrays["episode_starts"])
        if self.meta["pixels"]:
            if (self.path / "pixels.npz").is_file():
                self.arrays["pixels"] = PixelStore(self.path / "pixels.npz", self.episode_starts)
            else:  # datasets written before images were compressed
                self.arrays["pixels"] = np.load(self.path / "pixels.npy", mmap_mode=mode)
        if self.episode_starts[-1] != len(self.arrays["states"]):
            raise DatasetError(
                f"{str(self.path)!r}: episode_starts ends at "
                f"{self.episode_starts[-1]}, but there are {len(self.arrays['states'])} rows"
            )
        self._check_sizes()

    def _check_sizes(self) -> None:
        """meta.json, the episode index and every array agree (a copied or edited dataset)."""
        rows = {k: len(self.arrays[k]) for k in ARRAYS}
        if len(set(rows.values())) != 1:
            raise DatasetError(f"{str(self.path)!r}: arrays of different lengths {rows}")
        stated = {
            "episodes": (self.meta.get("episodes"), self.num_episodes),
            "state_dim": (self.meta.get("state_dim"), self.arrays["states"].shape[1]),
            "action_dim": (self.meta.get("action_dim"), self.arrays["actions"].shape[1]),
        }
        for name, (meta_value, actual) in stated.items():
            if meta_value != actual:
                raise DatasetError(
                    f"{str(self.path)!r}: meta.json says {name}={meta_value!r}, the arrays hold "
                    f"{actual}"
                )
        if np.any(np.diff(self.episode_starts) < 1) or self.episode_starts[0] != 0:
            raise DatasetError(f"{str(self.path)!r}: episode_starts is not increasing from 0")

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

    def rows(self, episodes) -> np.ndarray:
        """The row indices [n] of ``episodes`` (episode indices), in their order."""
        starts = self.episode_starts
        return np.concatenate(
            [np.arange(starts[e], starts[e + 1]) for e in np.asarray(episodes)] or [np.arange(0)]
        )

    def split(self, val_fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint (train, held-out) episode indices; held-out gets ceil(val_fraction * E) >= 1."""
        if not 0 < val_fraction < 1:
            raise DatasetError(f"val_fraction must be in (0, 1), got {val_fraction}")
        if self.num_episodes < 2:
            raise DatasetError(f"need >= 2 episodes to split, dataset has {self.num_episodes}")
        perm = np.random.default_rng(seed).permutation(self.num_episodes)
        n_val = max(1, int(np.ceil(val_fraction * self.num_episodes)))
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _load(path: Path, mode: str | None) -> np.ndarray:
    """One array file of a dataset, or a ``DatasetError`` naming it (missing, cut short)."""
    try:
        return np.load(path, mmap_mode=mode)
    except (OSError, ValueError, EOFError) as e:
        raise DatasetError(
            f"cannot read {str(path)!r} (missing, truncated or not .npy): {e}"
        ) from None


def check_finite(array: np.ndarray, what: str, chunk: int = 1 << 18) -> None:
    """``NonFiniteError`` naming ``what``, the count of non-finite values and the first row that
    holds one; read in chunks of rows (memory-mapped arrays stay on disk)."""
    if not np.issubdtype(array.dtype, np.floating):
        return
    count, first = 0, None
    for start in range(0, len(array), chunk):
        bad = ~np.isfinite(np.asarray(array[start : start + chunk]))
        if bad.any():
            rows = bad.reshape(len(bad), -1).any(1)
            count += int(bad.sum())
            first = start + int(np.argmax(rows)) if first is None else first
    if count:
        raise NonFiniteError(
            f"{what} holds {count} non-finite values (NaN or infinity), the first in row {first}"
        )


def episode_ends(episode_starts: np.ndarray) -> np.ndarray:
    """[E + 1] episode starts -> [N]: the last row of each row's episode (row t has a successor
    iff t < its end)."""
    starts = np.asarray(episode_starts)
    return np.repeat(starts[1:] - 1, np.diff(starts))


class WindowSampler:
    """Samples training windows (obs_t..obs_{t+T}, a_t..a_{t+T-1}) that never cross an episode
    end."""

    def __init__(
        self,
        dataset: Dataset,
        length: int,
        episodes: np.ndarray | None = None,
        keys: tuple[str, ...] = ("states",),
    ):
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
        # arrays in RAM: windows come from all episodes at random (compressed images are
        # decompressed once)
        self._cache = {k: np.asarray(dataset[k]) for k in (*keys, "actions")}

    def __len__(self) -> int:
        return len(self.starts)

    def sample(
        self, batch_size: int, rng: np.random.Generator, shard: tuple[int, int] = (0, 1)
    ) -> dict[str, np.ndarray]:
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

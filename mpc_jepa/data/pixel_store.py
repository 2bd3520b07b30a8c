"""Compressed, lazily loaded image arrays: one deflated ``.npy`` member per episode in a ``.npz``.

Rendered frames are mostly flat background, so deflate shrinks them 30-50x (64x64 point_mass and
two_room frames). ``PixelStore`` reads like a [N, H, W, 3] uint8 array indexed by row; it
decompresses only the episodes a read touches (keeping the last few) and ``load()`` decompresses
everything into RAM for training, where windows are drawn from all episodes at random.
"""

from __future__ import annotations

import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np


def _key(e: int) -> str:
    """Name of episode e's array in the archive (the member file is this plus '.npy')."""
    return f"ep{e:06d}"


class PixelWriter:
    """Appends one episode of frames at a time to a new ``.npz`` (call ``close`` when done)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True
        )
        self.episodes = 0

    def append(self, frames: np.ndarray) -> None:
        """Write one episode's frames [T_e + 1, H, W, 3] uint8."""
        if frames.dtype != np.uint8 or frames.ndim != 4:
            raise ValueError(
                f"frames must be [T, H, W, C] uint8, got {frames.dtype} {list(frames.shape)}"
            )
        with self._zip.open(_key(self.episodes) + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.ascontiguousarray(frames), allow_pickle=False)
        self.episodes += 1

    def close(self) -> None:
        self._zip.close()


class PixelStore:
    """Read-only [N, H, W, C] uint8 view of a ``PixelWriter`` file, decompressed on demand.

    Args:
        path: the ``.npz`` written by ``PixelWriter``.
        episode_starts: [E + 1] row offsets of the dataset the frames belong to.
        cache_episodes: decompressed episodes kept in memory between reads.
    """

    def __init__(self, path: str | Path, episode_starts: np.ndarray, cache_episodes: int = 8):
        self.path = Path(path)
        self.episode_starts = np.asarray(episode_starts)
        try:
            self._npz = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(
                f"{str(self.path)!r}: not a readable image archive (truncated or foreign): {e}"
            ) from e
        expected = [_key(e) for e in range(len(self.episode_starts) - 1)]
        if sorted(self._npz.files) != expected:
            raise ValueError(
                f"{str(self.path)!r}: holds {len(self._npz.files)} episodes, the "
                f"dataset has {len(expected)}"
            )
        first = self._episode(0)
        self.shape = (int(self.episode_starts[-1]), *first.shape[1:])
        self.dtype = first.dtype
        self.ndim = len(self.shape)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = max(1, int(cache_episodes))
        self._all: np.ndarray | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def _episode(self, e: int) -> np.ndarray:
        frames = self._npz[_key(e)]
        n = self.episode_starts[e + 1] - self.episode_starts[e]
        if frames.shape[0] != n:
            raise ValueError(
                f"{str(self.path)!r}: episode {e} has {frames.shape[0]} frames, the dataset {n}"
            )
        return frames

    def episode(self, e: int) -> np.ndarray:
        """Frames of episode ``e``: [T_e + 1, H, W, C] (cached)."""
        if self._all is not None:
            return self._all[self.episode_starts[e] : self.episode_starts[e + 1]]
        if e in self._cache:
            self._cache.move_to_end(e)
            return self._cache[e]
        frames = self._episode(e)
        self._cache[e] = frames
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return frames

    def load(self) -> np.ndarray:
        """All frames [N, H, W, C], decompressed once into RAM (later reads use them)."""
        if self._all is None:
            self._all = np.concatenate(
                [self._episode(e) for e in range(len(self.episode_starts) - 1)]
            )
            self._cache.clear()
        return self._all

    def __getitem__(self, index) -> np.ndarray:
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            index = np.arange(*index.indices(len(self)))
        rows = np.asarray(index)
        if rows.dtype.kind not in "iu":
            raise TypeError(f"PixelStore rows must be integers or a slice, got {rows.dtype}")
        flat = np.where(rows < 0, rows + len(self), rows).ravel()
        if flat.size and (flat.min() < 0 or flat.max() >= len(self)):
            raise IndexError(
                f"row out of range [0, {len(self)}): {int(flat.min())}..{int(flat.max())}"
            )
        eps = np.searchsorted(self.episode_starts, flat, side="right") - 1
        out = np.empty((flat.size, *self.shape[1:]), self.dtype)
        for e in np.unique(eps):
            sel = eps == e
            out[sel] = self.episode(int(e))[flat[sel] - self.episode_starts[e]]
        return out.reshape(*rows.shape, *self.shape[1:])

    def __array__(self, dtype=None, copy=None):
        a = self.load()
        return a if dtype is None else a.astype(dtype)

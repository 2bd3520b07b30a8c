"""Growing a dataset episode by episode (learning by acting), never leaving a half-written one.

Each call writes the old rows plus the new episodes into a temporary sibling directory and renames
it over the old one (``collect.replace_dir``): killed at any moment, the path holds either the old
dataset or the new one. Rewriting is linear in the dataset's size; at the sizes a learning run
reaches (10^5 rows of state vectors) it takes milliseconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mpc_jepa.data.collect import replace_dir
from mpc_jepa.data.dataset import ARRAYS, FORMAT_VERSION, Dataset, DatasetError, check_finite
from mpc_jepa.files import dumps_json
from mpc_jepa.outputs import check_replaceable, output_lock


def append_episodes(path: str | os.PathLike, episodes: list[dict], meta: dict) -> Dataset:
    """The dataset at ``path`` (created if missing) with ``episodes`` appended.

    Args:
        episodes: dicts of arrays ``states`` [L, S], ``actions`` [L, A] (last row 0), ``rewards``
            [L], ``physics`` [L, nstate], ``physical`` [L, P]: one episode of L rows each.
        meta: the dataset's description (task, dims, ...); ``episodes`` and ``format_version``
            are set here. State datasets only.
    """
    path = Path(path)
    if meta.get("pixels"):
        raise DatasetError("append_episodes writes state datasets only (no pixels)")
    check_replaceable(path, "dataset")
    with output_lock(path):
        return _append(path, episodes, meta)


def _append(path: Path, episodes: list[dict], meta: dict) -> Dataset:
    """``append_episodes`` with the output's lock held."""
    parts = []
    if path.exists():
        old = Dataset(path, mmap=False)
        if old.task != meta["task"]:
            raise DatasetError(f"{str(path)!r} holds task {old.task!r}, not {meta['task']!r}")
        parts.append({k: old[k] for k in ARRAYS})
    for e in episodes:
        missing = set(ARRAYS) - set(e)
        lengths = {len(e[k]) for k in ARRAYS if k in e}
        if missing or len(lengths) != 1:
            raise DatasetError(
                f"an episode needs {', '.join(ARRAYS)} of one length; missing {sorted(missing)},"
                f" lengths {sorted(lengths)}"
            )
    for i, e in enumerate(episodes):
        for k in ("states", "actions", "rewards"):
            check_finite(np.asarray(e[k]), f"new episode {i}'s {k} for {str(path)!r}")
    parts += episodes
    lengths = ([] if not path.exists() else list(np.diff(old.episode_starts))) + [
        len(e["states"]) for e in episodes
    ]
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        for k in ARRAYS:
            dtype = np.float64 if k in ("physics", "physical") else np.float32
            np.save(tmp / f"{k}.npy", np.concatenate([np.asarray(p[k], dtype) for p in parts]))
        np.save(tmp / "episode_starts.npy", starts)
        full = {**meta, "format_version": FORMAT_VERSION, "episodes": len(lengths)}
        (tmp / "meta.json").write_text(dumps_json(full))
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset(path)

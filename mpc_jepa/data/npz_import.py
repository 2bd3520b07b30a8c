"""Import a dataset in OGBench's ``.npz`` format (for users who have the official files).

OGBench's files hold flat arrays over all episodes: ``observations`` [N, S], ``actions``
[N, A], ``terminals`` [N] (1 on each episode's last row) and, in its state datasets, ``qpos`` /
``qvel`` [N, nq] / [N, nv]. An episode of L rows there has L actions, the last one's outcome
unstored; here it becomes L rows with the last action 0 (our format: T + 1 observations, T
actions). Physics states and the task's physical quantity are rebuilt from qpos / qvel through the
task (``set_configuration``); without them they are NaN and oracle planning is unavailable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mpc_jepa.data.arrays import open_arrays
from mpc_jepa.data.collect import replace_dir
from mpc_jepa.data.dataset import FORMAT_VERSION, Dataset, DatasetError, check_finite
from mpc_jepa.files import dumps_json
from mpc_jepa.outputs import check_replaceable, output_lock

REQUIRED = ("observations", "actions", "terminals")


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of an OGBench ``.npz`` file, checked for the keys and row counts it must have."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no .npz file at {str(path)!r}")
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError) as e:  # not an .npz, cut short, pickled objects
        raise DatasetError(f"cannot read {str(path)!r} as an .npz archive of arrays: {e}") from None
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise DatasetError(f"{path}: an OGBench dataset needs {missing} (has {sorted(arrays)})")
    rows = {k: len(v) for k, v in arrays.items()}
    if len(set(rows.values())) != 1:
        raise DatasetError(f"{path}: arrays of different lengths {rows}")
    if not arrays["terminals"][-1]:
        raise DatasetError(f"{path}: the last row is not an episode end (terminals[-1] == 0)")
    for k in ("observations", "actions", "rewards"):
        if k in arrays:
            check_finite(arrays[k], f"{path}: {k}")
    return arrays


def import_npz(
    task, source: str | os.PathLike, out: str | os.PathLike, *, overwrite=False, progress=True
) -> Dataset:
    """Write OGBench's ``source`` .npz as a dataset of ``task`` at ``out`` (atomically).

    Args:
        task: the ``tasks.Task`` the data was recorded in (its dims must match the file's).
        source: the .npz file; out: dataset directory to create.
    Returns:
        The written dataset.
    """
    arrays, out = read_npz(source), Path(out)
    obs, actions = arrays["observations"], arrays["actions"]
    if obs.shape[1:] != (task.state_dim,) or actions.shape[1:] != (task.action_dim,):
        raise DatasetError(
            f"{source}: observations {obs.shape[1:]} / actions {actions.shape[1:]} do not match "
            f"{task.name}'s state ({task.state_dim},) / action ({task.action_dim},)"
        )
    if out.exists() and not overwrite:
        raise DatasetError(f"dataset {str(out)!r} exists; pass overwrite=True (--overwrite)")
    check_replaceable(out, "dataset")
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        return _write(task, source, arrays, out, progress)


def _write(task, source, arrays: dict, out: Path, progress: bool) -> Dataset:
    """``import_npz`` with the output's lock held."""
    obs, actions = arrays["observations"], arrays["actions"]
    ends = np.flatnonzero(arrays["terminals"]) + 1
    starts = np.concatenate([[0], ends]).astype(np.int64)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        dest = open_arrays(task, tmp, len(obs))
        dest["states"][:] = obs
        dest["actions"][:] = actions
        dest["actions"][ends - 1] = 0.0  # the last action's outcome is not stored
        dest["rewards"][:] = arrays.get("rewards", np.zeros(len(obs)))
        _physics(task, arrays, dest, progress)
        for a in dest.values():
            a.flush()
        np.save(tmp / "episode_starts.npy", starts)
        meta = {
            "format_version": FORMAT_VERSION,
            "task": task.name,
            "state_dim": task.state_dim,
            "action_dim": task.action_dim,
            "pixels": False,
            "image_size": None,
            "episodes": len(starts) - 1,
            "episode_length": int(np.max(np.diff(starts))) - 1,
            "action_repeat": task.action_repeat,
            "seed": None,
            "exploration": None,
            "source": str(source),
        }
        (tmp / "meta.json").write_text(dumps_json(meta))
        del dest
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset(out)


def _physics(task, arrays: dict, dest: dict, progress: bool) -> None:
    """Physics states and physical quantities from qpos / qvel (NaN without them)."""
    if "qpos" not in arrays or "qvel" not in arrays:
        dest["physics"][:] = np.nan
        dest["physical"][:] = np.nan
        return
    saved = task.get_state()
    rows = tqdm(range(len(arrays["qpos"])), desc="physics states", disable=not progress)
    for i in rows:
        task.set_configuration(arrays["qpos"][i], arrays["qvel"][i])
        dest["physics"][i] = task.get_state()
        dest["physical"][i] = task.physical()
    task.set_state(saved)

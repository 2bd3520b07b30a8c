"""The per-step arrays of the dataset format (see ``mpc_jepa.data.dataset``): their shapes for a
task, memory-mapped files of them, and their size on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def array_shapes(task, rows: int) -> dict[str, tuple[tuple, type]]:
    """Shape and dtype of every per-step array of the format, ``rows`` rows."""
    return {
        "states": ((rows, task.state_dim), np.float32),
        "actions": ((rows, task.action_dim), np.float32),
        "rewards": ((rows,), np.float32),
        "physics": ((rows, task.get_state().shape[0]), np.float64),
        "physical": ((rows, task.physical().shape[0]), np.float64),
    }


def open_arrays(task, directory: Path, rows: int, mode: str = "w+") -> dict[str, np.ndarray]:
    """Memory-mapped ``.npy`` files of ``rows`` rows for every per-step array of the format
    (``mode`` "w+": created; "r+": reopened to resume)."""
    shapes = array_shapes(task, rows)
    if mode == "r+":
        return {k: np.lib.format.open_memmap(directory / f"{k}.npy", mode="r+") for k in shapes}
    return {
        k: np.lib.format.open_memmap(directory / f"{k}.npy", mode="w+", dtype=dt, shape=sh)
        for k, (sh, dt) in shapes.items()
    }


def dataset_bytes(task, rows: int) -> int:
    """Bytes on disk of ``rows`` rows of ``task``'s arrays (images: their raw size, an upper
    bound of the compressed archive)."""
    per_row = sum(
        int(np.prod(shape[1:], dtype=np.int64)) * np.dtype(dtype).itemsize
        for shape, dtype in array_shapes(task, 1).values()
    )
    if task.pixels:
        per_row += 3 * task.image_size**2
    return rows * per_row

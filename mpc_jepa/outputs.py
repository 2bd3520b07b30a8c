"""Who may write an output: one process at a time, and only over what this toolkit wrote.

- ``output_lock(path)``: an exclusive lock per output (a dataset directory, a checkpoint, a run
  directory), held in a hidden sibling ``.<name>.lock`` with ``flock``: a second writer stops at
  once with an ``OutputLockedError`` naming the path and the process holding it. The file is
  removed when the writer finishes; the kernel drops the lock when its process ends, however it
  ends, so a killed run leaves at most an unheld file, never a stale lock.
- ``check_replaceable(path, kind)``: an existing output is replaced only if it carries the marker
  of what the toolkit writes there (a dataset's ``meta.json``, a checkpoint's format tag, a JSON
  document); anything else (a README, another program's file) is refused, named.
- ``check_writable(path)``: an output path that cannot be written is named before the work runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from mpc_jepa.errors import OutputError, OutputLockedError

_HELD: dict[Path, int] = {}  # locks this process holds (re-entered, not re-taken) -> depth


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of output ``path``: ``.<name>.lock`` beside it."""
    path = Path(path)
    return path.parent / f".{path.name}.lock"


@contextmanager
def output_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the exclusive lock of output ``path`` for the ``with`` block (re-entrant in one
    process). Raises ``OutputLockedError`` naming ``path`` and the other process's id."""
    path = Path(path).absolute()
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield path
        finally:
            _HELD[path] -= 1
        return
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, lock)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _HELD[path] = 1
    try:
        yield path
    finally:
        del _HELD[path]
        lock.unlink(missing_ok=True)  # still held: nobody can take the file being removed
        os.close(fd)  # releases the flock


def _acquire(path: Path, lock: Path) -> int:
    """An open descriptor of ``lock`` holding its flock. The holder removes the file when done,
    so a lock taken on a file already removed is dropped and taken again on the new one."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutputLockedError(
                f"{str(path)!r} is being written by another process (pid {holder}); wait for it "
                "to finish or write elsewhere"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:  # its holder removed it just now
            same = False
        if same:
            return fd
        os.close(fd)  # locked a file its holder had just removed: take the new one


Kind = Literal["dataset", "checkpoint", "json"]


def is_ours(path: str | os.PathLike, kind: Kind) -> bool:
    """Whether the existing ``path`` carries the marker of a ``kind`` this toolkit writes."""
    path = Path(path)
    if kind == "dataset":
        try:
            meta = json.loads((path / "meta.json").read_text())
        except (OSError, ValueError):
            return False
        return path.is_dir() and isinstance(meta, dict) and "format_version" in meta
    if kind == "checkpoint":
        return path.is_file() and _is_checkpoint(path)
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def _is_checkpoint(path: Path) -> bool:
    """A torch zip archive whose pickle carries a ``mpc_jepa.<kind>/<version>`` format tag (the
    pickle alone is read, a few KB, not the tensors)."""
    try:
        with zipfile.ZipFile(path) as z:
            pickles = [n for n in z.namelist() if n.endswith("data.pkl")]
            return bool(pickles) and b"mpc_jepa." in z.read(pickles[0])
    except (OSError, zipfile.BadZipFile):
        return False


def check_replaceable(path: str | os.PathLike, kind: Kind, flag: str = "--out") -> None:
    """Nothing, if ``path`` is free or holds a ``kind`` this toolkit wrote; else an
    ``OutputError`` naming it (it is never deleted or replaced)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if kind != "dataset" and path.is_dir():
        raise OutputError(f"{flag} {str(path)!r} is a directory; name a file")
    if kind != "dataset" and not path.is_file():  # a device, a pipe: nothing to read or replace
        raise OutputError(f"{flag} {str(path)!r} is not a regular file; name a file")
    if not is_ours(path, kind):
        what = {"dataset": "a mpc_jepa dataset (no meta.json of ours)",
                "checkpoint": "a mpc_jepa checkpoint",
                "json": "a JSON document"}[kind]  # fmt: skip
        raise OutputError(
            f"{flag} {str(path)!r} exists and is not {what}; refusing to replace it (remove it "
            "yourself or choose another path)"
        )


def check_writable(path: str | os.PathLike, flag: str, directory: bool = False) -> None:
    """``OutputError`` naming ``flag`` when ``path`` cannot be written: a directory where a file
    goes (or a file where a directory goes), or a parent that is a file or not writable."""
    path = Path(path)
    if not str(path):
        raise OutputError(f"{flag} is empty")
    if path.is_dir() and not directory:
        raise OutputError(f"{flag} {str(path)!r} is a directory; name a file")
    if path.exists() and not path.is_dir() and directory:
        raise OutputError(f"{flag} {str(path)!r} is a file; name a directory")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{flag} {str(path)!r}: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{flag} {str(path)!r} is not writable (permission denied)")

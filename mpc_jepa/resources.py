"""What the machine can give, checked before work starts: devices, memory, disk.

A request past a limit is refused with the figure and the limit (``ResourceError``), instead of
taking gigabytes before anything is printed or failing deep inside torch.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch

from mpc_jepa.errors import ResourceError

MEMORY_FRACTION = 0.8
"""Share of the memory available now that one request may plan to use."""


def check_device(device: str | torch.device, setting: str = "device") -> torch.device:
    """``device`` as a ``torch.device``, or a ``ResourceError`` naming it when this build or
    machine has no such device (e.g. 'cuda' on a CPU-only torch)."""
    try:
        d = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ResourceError(f"{setting}={device!r} is not a torch device ({e})") from None
    if d.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only torch build" if torch.version.cuda is None else "no visible GPU"
            raise ResourceError(f"{setting}={device!r}: CUDA is not available here ({build})")
        if d.index is not None and d.index >= torch.cuda.device_count():
            raise ResourceError(
                f"{setting}={device!r}: only {torch.cuda.device_count()} CUDA device(s) here"
            )
    elif d.type == "mps" and not torch.backends.mps.is_available():
        raise ResourceError(f"{setting}={device!r}: MPS is not available here")
    elif d.type not in ("cpu", "cuda", "mps"):
        raise ResourceError(f"{setting}={device!r}: use cpu, cuda or cuda:N")
    return d


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (MemAvailable; total RAM elsewhere)."""
    meminfo = Path("/proc/meminfo")
    lines = meminfo.read_text().splitlines() if meminfo.exists() else []
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(nbytes: float, what: str, device: str | torch.device = "cpu") -> None:
    """``ResourceError`` when ``what`` would need more than ``MEMORY_FRACTION`` of the memory
    available on ``device`` (its RAM, or the GPU's free memory)."""
    d = torch.device(device)
    if d.type == "cuda":
        free = torch.cuda.mem_get_info(d)[0]
    else:
        free = available_memory()
    limit = MEMORY_FRACTION * free
    if nbytes > limit:
        raise ResourceError(
            f"{what} needs about {_gib(nbytes)} of memory, more than the {_gib(limit)} this "
            f"machine can give ({MEMORY_FRACTION:.0%} of {_gib(free)} available on {d.type})"
        )


def check_disk(nbytes: float, path: str | os.PathLike, what: str) -> None:
    """``ResourceError`` when ``what`` needs more bytes than the disk holding ``path`` has free."""
    p = Path(path).absolute()
    while not p.exists():
        p = p.parent
    free = shutil.disk_usage(p).free
    if nbytes > free:
        raise ResourceError(
            f"{what} needs about {_gib(nbytes)} of disk at {str(path)!r}, more than the "
            f"{_gib(free)} free there"
        )


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB"

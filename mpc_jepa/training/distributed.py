"""torch.distributed plumbing: one code path for a single process, torchrun, and multi-node runs.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; ``init_from_env`` joins
the process group they describe (gloo on CPU, nccl on CUDA) and is a no-op without them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def env_world_size() -> int:
    """WORLD_SIZE from the environment (1 when not launched by torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_from_env(device: str = "cpu") -> DistInfo:
    """Join the process group torchrun describes; returns this process's rank info.

    Under CUDA each process uses the GPU of its LOCAL_RANK (pass ``--device cuda``)."""
    world = env_world_size()
    if world <= 1:
        return DistInfo()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(rank, world, local_rank)


def rank_device(device: str, info: DistInfo) -> torch.device:
    """``cuda`` means this process's GPU (cuda:LOCAL_RANK) in a distributed run."""
    d = torch.device(device)
    if d.type == "cuda" and d.index is None and info.enabled:
        return torch.device("cuda", info.local_rank)
    return d


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def mean_across(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Average scalar logs over ranks (so logged losses are those of the global batch)."""
    if not info.enabled:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(t)
    return dict(zip(keys, (t / info.world_size).tolist()))


def gather_objects(obj, info: DistInfo) -> list:
    """Every rank's ``obj``, in rank order (on every rank)."""
    if not info.enabled:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


__all__ = [
    "DistInfo",
    "init_from_env",
    "env_world_size",
    "rank_device",
    "barrier",
    "mean_across",
    "gather_objects",
]

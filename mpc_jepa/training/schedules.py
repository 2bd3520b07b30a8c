"""The learning-rate schedule every trainer uses: linear warm-up, then cosine decay to a floor."""

from __future__ import annotations

import math

import torch


def cosine_factor(step: int, total_steps: int, warmup_steps: int = 0, floor: float = 0.05) -> float:
    """Multiplier of the peak rate at ``step``: (step+1)/warmup during warm-up, then a cosine from
    1 down to ``floor`` at ``total_steps`` (held there after)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min((step - warmup_steps) / max(1, total_steps - warmup_steps), 1.0)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0, floor: float = 0.05
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` over ``optimizer`` following ``cosine_factor`` (step it once per update)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cosine_factor(step, total_steps, warmup_steps, floor)
    )

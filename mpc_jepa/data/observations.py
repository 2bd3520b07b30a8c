"""Dataset rows -> encoder input: which array a model reads, frame histories, tensors."""

from __future__ import annotations

import numpy as np
import torch

from mpc_jepa.data.dataset import Dataset


def obs_key(model) -> str:
    """The dataset array a model reads: "pixels" or "states"."""
    return "pixels" if len(model.obs_shape) == 3 else "states"


def history_of(model) -> int:
    """Frames stacked per observation (1 for states)."""
    return model.obs_shape[0] // 3 if obs_key(model) == "pixels" else 1


def obs_tensor(model, array: np.ndarray, device="cpu") -> torch.Tensor:
    """Dataset rows -> encoder input.

    States [..., S] -> float32. Pixels with history h: a run of L consecutive frames
    [..., L, H, W, 3] uint8 -> [..., L-h+1, 3h, H, W] (each observation stacks its frame and the
    h-1 before it, oldest first); with h = 1 a single frame [..., H, W, 3] -> [..., 3, H, W] works
    too.
    """
    x = torch.as_tensor(np.asarray(array), device=device)
    if obs_key(model) != "pixels":
        return x.float()
    x = x.movedim(-1, -3)  # [..., L, 3, H, W]
    h = history_of(model)
    if h == 1:
        return x
    L = x.shape[-4]
    if L < h:
        raise ValueError(f"stacking {h} frames needs runs of at least {h} frames, got {L}")
    # [..., L-h+1, 3h, H, W]
    return torch.cat([x[..., i : L - h + 1 + i, :, :, :] for i in range(h)], dim=-3)


def history_rows(dataset: Dataset, rows: np.ndarray, h: int) -> np.ndarray:
    """[n] rows -> [n, h] rows of each one's frame history (oldest first), clamped at its
    episode's start: an episode's first frame repeated, as ``control.FrameStack`` does."""
    starts = np.asarray(dataset.episode_starts)
    first = starts[np.searchsorted(starts, rows, side="right") - 1]  # [n]
    return np.maximum(rows[:, None] + np.arange(1 - h, 1)[None], first[:, None])

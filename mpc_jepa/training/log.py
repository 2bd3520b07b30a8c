"""Training logs beside the checkpoint: a CSV of logged rows, and TensorBoard when it is
installed."""

from __future__ import annotations

import csv
from pathlib import Path


class TrainLog:
    """Appends rows to ``<checkpoint>.csv`` (and TensorBoard scalars under ``tb/<name>``)."""

    def __init__(self, checkpoint: Path, enabled: bool = True):
        self.path = checkpoint.with_suffix(".csv")
        self.enabled = enabled
        self.writer = _tensorboard(checkpoint.parent / "tb" / checkpoint.stem) if enabled else None

    def write(self, row: dict) -> None:
        """One row {name: number}, with a 'step' entry."""
        if not self.enabled:
            return
        new = not self.path.exists()
        with open(self.path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)
        if self.writer is not None:
            for k, v in row.items():
                if k != "step":
                    self.writer.add_scalar(k, v, row["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _tensorboard(logdir: Path):
    """A TensorBoard writer when tensorboard is installed (optional), else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(logdir))

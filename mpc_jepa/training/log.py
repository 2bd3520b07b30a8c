"""Training logs beside the checkpoint: a CSV of logged rows, and TensorBoard when it is
installed."""

from __future__ import annotations

import csv
from pathlib import Path


class TrainLog:
    """Appends rows to ``<checkpoint>.csv`` (and TensorBoard scalars under ``tb/<name>``)."""

    def __init__(self, checkpoint: Path, enabled: bool = True, fresh: bool = False):
        """``fresh``: a new run, whose rows replace an old run's CSV instead of joining it."""
        self.path = checkpoint.with_suffix(".csv")
        self.enabled = enabled
        if enabled and fresh and _is_our_log(self.path):
            self.path.unlink()
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


def _is_our_log(path: Path) -> bool:
    """A CSV this class wrote (its header starts with 'step'); anything else is left alone."""
    try:
        with open(path) as f:
            return f.readline().startswith("step,")
    except (OSError, UnicodeDecodeError):
        return False


def _tensorboard(logdir: Path):
    """A TensorBoard writer when tensorboard is installed (optional), else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(logdir))

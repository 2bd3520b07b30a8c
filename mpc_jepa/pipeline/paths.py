"""Where datasets and checkpoints live by default: the one place that spells ``data/`` and
``runs/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def slug(task: str) -> str:
    """A task name as a file name (``dmc:cheetah-run`` -> ``dmc_cheetah-run``)."""
    return task.replace(":", "_")


def dataset_dir(task: str, pixels: bool = False, prefix: str = "") -> Path:
    """``data/<prefix><task>[-pixels]``."""
    return Path("data") / f"{prefix}{slug(task)}{'-pixels' if pixels else ''}"


@dataclass(frozen=True)
class ModelPaths:
    """A dataset and the checkpoints trained on it."""

    dataset: Path
    fast: Path
    slow: Path
    """The slow level (its predictor: ``--slow-level model`` only)."""
    distance: Path | None = None
    """The learned distance and landmarks; None: beside ``slow`` as ``distance.pt``."""
    value: Path | None = None
    """The reward head and critic (reward tasks); None: beside ``slow`` as ``value_heads.pt``."""
    actor: Path | None = None
    """The goal-conditioned actor (goal tasks); None: beside ``slow`` as ``goal_actor.pt``."""

    def __post_init__(self):
        if self.distance is None:
            object.__setattr__(self, "distance", self.slow.with_name("distance.pt"))
        if self.value is None:
            object.__setattr__(self, "value", self.slow.with_name("value_heads.pt"))
        if self.actor is None:
            object.__setattr__(self, "actor", self.slow.with_name("goal_actor.pt"))

    @classmethod
    def default(cls, task: str, pixels: bool = False) -> ModelPaths:
        """The command line's defaults: ``data/<task>``, ``runs/<task>/world_model.pt``,
        ``runs/<task>/slow_model.pt``, ``runs/<task>/distance.pt``, ``runs/<task>/value_heads.pt``,
        ``runs/<task>/goal_actor.pt``."""
        run = Path("runs") / slug(task)
        fast = run / ("world_model_pixels.pt" if pixels else "world_model.pt")
        return cls(dataset_dir(task, pixels), fast, run / "slow_model.pt")

    @classmethod
    def of_run(cls, run: str, name: str, dataset: Path | None = None) -> ModelPaths:
        """An app's own models: ``runs/<run>/<name>.pt``, ``<name>_slow.pt``,
        ``<name>_distance.pt``, ``<name>_value.pt`` (the demo, the bench)."""
        root = Path("runs") / run
        return cls(
            dataset or dataset_dir(name, prefix=f"{run}_"),
            root / f"{name}.pt",
            root / f"{name}_slow.pt",
            root / f"{name}_distance.pt",
            root / f"{name}_value.pt",
        )

"""The optional path geometry of a task whose goal may lie behind obstacles (walls, regions),
and ``spawn``, the other optional capability every task inherits.

Diagnostics (``mpc_jepa.diagnostics.task_geometry``), the demo and the benchmarks read these
methods from the task object; a task with walls provides them, every other task inherits these
defaults (no geometry: a clear ``TaskError``; no episode is "hard").
"""

from __future__ import annotations

import numpy as np


class TaskError(ValueError):
    """A task was asked for something it cannot give (bad name, size, goal)."""


class PathGeometry:
    """Hooks a task with obstacles fills in; ``Task`` inherits them."""

    name: str = "task"

    def spawn(self):
        """Another instance of this task with the same options (``tasks.load`` sets this)."""
        raise TaskError(
            f"{self.name}: built without tasks.load, so it cannot spawn another instance"
        )

    walls: tuple[tuple[float, float, float, float], ...] = ()
    """Obstacles as boxes (x0, y0, x1, y1) in the physical plane, for maps."""

    @property
    def has_geometry(self) -> bool:
        """Whether the task knows its shortest paths (``geodesic_distance``, ``region_of``)."""
        return type(self).geodesic_distance is not PathGeometry.geodesic_distance

    def geodesic_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Shortest obstacle-free path length between physical points: [..., P], [..., P] ->
        [...]."""
        raise TaskError(f"{self.name}: the task has no path geometry (geodesic_distance)")

    def region_of(self, physical: np.ndarray) -> np.ndarray:
        """Index of the region (room, corridor) of physical points: [..., P] -> [...] int."""
        raise TaskError(f"{self.name}: the task has no regions (region_of)")

    def at_rest(self, states: np.ndarray) -> np.ndarray:
        """State observations [N, S] with their velocities zeroed (goals are at rest)."""
        raise TaskError(f"{self.name}: the task cannot put state observations at rest (at_rest)")

    def is_hard_episode(self) -> bool:
        """Whether the current episode's straight line to its goal is blocked by an obstacle
        (a greedy planner gets stuck); chosen by geometry, never by outcome."""
        return False

    def leak_probes(self, rng: np.random.Generator, per_band: int) -> dict[str, list]:
        """Open-loop wall probes: {band: [(start xy [2], action [A]), ...]}, each start beside a
        wall with its action pushing into it (``diagnostics.task_geometry.wall_leak``)."""
        raise TaskError(f"{self.name}: the task has no wall probes (leak_probes)")

"""point_mass: dm-control's point mass; reach a random position in the 0.6 m x 0.6 m arena.

State observation [4]: position xy (m), velocity xy (m/s). Physical goal: position xy.
Success: the mass centre within 0.03 m of the goal position.
"""

from __future__ import annotations

import numpy as np

from tasks.base import Task, load_suite

ARENA_HALF = 0.25  # starts and goals stay 5 cm inside the walls at +-0.3 m


class PointMass(Task):
    name = "point_mass"
    episode_length = 100
    success_threshold = 0.03
    camera = "fixed"
    action_repeat = 4
    coverage_bounds = ((-0.3, 0.3), (-0.3, 0.3))

    def _build_env(self, random):
        return load_suite("point_mass", "easy", random)

    def _state_observation(self, physics):
        return np.concatenate([physics.named.data.qpos[["root_x", "root_y"]], physics.named.data.qvel[["root_x", "root_y"]]])

    def _physical(self, physics):
        return physics.named.data.qpos[["root_x", "root_y"]].copy()

    def _sample_start(self, physics, rng):
        physics.named.data.qpos[["root_x", "root_y"]] = rng.uniform(-ARENA_HALF, ARENA_HALF, 2)
        physics.data.qvel[:] = 0

    _sample_goal = _sample_start

    def _show_goal(self, physics, physical):
        if physical is None:
            physics.named.model.geom_rgba["target", 3] = 0.0
        else:
            physics.named.model.geom_rgba["target", 3] = 1.0
            physics.named.model.geom_pos["target", :2] = physical

"""point_mass: dm-control's point mass; reach a random position in the 0.6 m x 0.6 m arena.

State observation [4]: position xy (m), velocity xy (m/s). Physical goal: position xy.
Success: the mass centre within 0.03 m of the goal position.

Pixels: the suite draws the mass as a 1 cm sphere, about one pixel of a 64x64 image of the
0.6 m arena. We draw it as a MARKER_RADIUS sphere instead: this model has contacts disabled,
so the geom's size is only what the camera sees (dynamics, states and success are unchanged).
"""

from __future__ import annotations

import mujoco
import numpy as np

from tasks.base import Task, load_suite

ARENA_HALF = 0.25  # starts and goals stay 5 cm inside the walls at +-0.3 m
MARKER_RADIUS = 0.025  # drawn radius of the mass (m): about 5 px across at 64x64


class PointMass(Task):
    name = "point_mass"
    episode_length = 100
    success_threshold = 0.03
    camera = "fixed"
    action_repeat = 4
    coverage_bounds = ((-0.3, 0.3), (-0.3, 0.3))

    def _build_env(self, random):
        env = load_suite("point_mass", "easy", random)
        model = env.physics.named.model
        if not env.physics.model.opt.disableflags & mujoco.mjtDisableBit.mjDSBL_CONTACT:
            raise RuntimeError(
                "point_mass: the suite model has contacts enabled; the drawn marker would collide"
            )
        model.geom_size["pointmass", 0] = MARKER_RADIUS
        model.geom_rbound["pointmass"] = MARKER_RADIUS  # the renderer culls geoms by this bound
        return env

    def _state_observation(self, physics):
        return np.concatenate(
            [
                physics.named.data.qpos[["root_x", "root_y"]],
                physics.named.data.qvel[["root_x", "root_y"]],
            ]
        )

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

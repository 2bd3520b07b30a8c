"""reacher: dm-control's two-link reacher (easy); bring the fingertip to a random target.

State observation [6]: cos and sin of both joint angles, both joint velocities (rad/s).
Goals are sampled as random joint configurations, so every goal is reachable.
Physical goal: fingertip xy (m). Success: fingertip inside dm-control's target radius (0.05 m).
"""

from __future__ import annotations

import numpy as np

from tasks.base import Task, load_suite

WRIST_LIMIT = 2.79  # rad, the wrist joint's range in reacher.xml


class Reacher(Task):
    name = "reacher"
    episode_length = 100
    success_threshold = 0.05
    camera = "fixed"
    action_repeat = 2
    coverage_bounds = ((-0.22, 0.22), (-0.22, 0.22))

    def _build_env(self, random):
        return load_suite("reacher", "easy", random)

    def _state_observation(self, physics):
        q = physics.data.qpos
        return np.concatenate([np.cos(q), np.sin(q), physics.data.qvel])

    def _physical(self, physics):
        return physics.named.data.geom_xpos["finger", :2].copy()

    def _sample_start(self, physics, rng):
        physics.named.data.qpos["shoulder"] = rng.uniform(-np.pi, np.pi)
        physics.named.data.qpos["wrist"] = rng.uniform(-WRIST_LIMIT, WRIST_LIMIT) * 0.9
        physics.data.qvel[:] = 0

    _sample_goal = _sample_start

    def _show_goal(self, physics, physical):
        if physical is None:
            physics.named.model.geom_rgba["target", 3] = 0.0
        else:
            physics.named.model.geom_rgba["target", 3] = 1.0
            physics.named.model.geom_pos["target", :2] = physical

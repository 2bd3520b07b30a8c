"""pendulum: dm-control's pendulum; swing up from hanging down to upright and hold it there.

Non-greedy: the torque limit is too small to lift the pole directly, so energy must be pumped.
State observation [3]: cos and sin of the pole angle (0 = upright), angular velocity (rad/s).
The goal is always the upright configuration at rest. Physical goal: the pole angle (rad).
Success: the final angle within 0.2 rad of upright.
"""

from __future__ import annotations

import numpy as np

from tasks.base import Task, load_suite


class Pendulum(Task):
    name = "pendulum"
    episode_length = 250
    success_threshold = 0.2
    camera = "fixed"
    action_repeat = 2

    def _build_env(self, random):
        return load_suite("pendulum", "swingup", random)

    def _state_observation(self, physics):
        angle = physics.named.data.qpos["hinge"][0]
        return np.array([np.cos(angle), np.sin(angle), physics.named.data.qvel["hinge"][0]])

    def _physical(self, physics):
        return np.array([physics.named.data.qpos["hinge"][0]])

    def distance_fn(self, a, b):
        diff = (float(a[0]) - float(b[0]) + np.pi) % (2 * np.pi) - np.pi  # wrap to [-pi, pi)
        return abs(diff)

    def _sample_start(self, physics, rng):
        physics.named.data.qpos["hinge"] = np.pi + rng.uniform(-0.2, 0.2)
        physics.data.qvel[:] = 0

    def _sample_exploration_start(self, physics, rng):
        # anywhere on the circle, at any speed the pole reaches: random actions from hanging
        # almost never lift it to the top, where the goal is
        physics.named.data.qpos["hinge"] = rng.uniform(-np.pi, np.pi)
        physics.named.data.qvel["hinge"] = rng.uniform(-6.0, 6.0)

    def _sample_goal(self, physics, rng):
        physics.named.data.qpos["hinge"] = 0.0

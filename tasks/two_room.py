"""two_room: a point mass in two rooms joined by a door in the dividing wall (our own MJCF).

The arena spans x, y in [-0.3, 0.3] m; a wall at x = 0 divides it, with a door of 0.1 m at
y in [DOOR_LOW, DOOR_HIGH]. Every episode starts in one room with its goal in the other, so the
straight line to the goal usually hits the wall: a greedy short-horizon planner gets stuck.
State observation [4]: position xy (m), velocity xy (m/s). Physical goal: position xy.
Success: within 0.03 m of the goal position.
Pixels: the camera sees the mass as a MARKER_RADIUS sphere (a geom without contacts or mass), since
the 1.5 cm mass itself would be about three pixels of a 64x64 image.
"""

from __future__ import annotations

import numpy as np
from dm_control import mujoco as dm_mujoco
from dm_control.rl import control
from dm_control.suite import base

from tasks.base import Task
from tasks.recipe import TrainingRecipe

HALF = 0.3  # arena half-width (m), inside the outer walls
WALL_HALF_THICKNESS = 0.01
DOOR_LOW, DOOR_HIGH = 0.1, 0.2  # door in the dividing wall (m)
RADIUS = 0.015  # point-mass radius (m)
MARKER_RADIUS = 0.025  # drawn radius (m), a geom without contacts or mass: ~5 px across at 64x64
MARGIN = 0.04  # starts and goals keep this far from every wall
DOOR_START_FRACTION = 0.5  # data collection: share of episodes starting near the door
DOOR_START_REACH = 0.1  # ... within this distance (m) of it

_XML = f"""
<mujoco model="two_room">
  <option timestep="0.02">
    <flag contact="enable"/>
  </option>
  <visual><quality shadowsize="0"/><global offwidth="512" offheight="512"/></visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1=".1 .2 .3" rgb2=".2 .3 .4" width="300"
    height="300"/> <material name="grid" texture="grid" texrepeat="6 6"/> <material name="wall"
    rgba=".7 .5 .3 1"/>
  </asset>
  <worldbody>
    <light name="light" pos="0 0 1"/>
    <camera name="fixed" pos="0 0 0.75" quat="1 0 0 0"/>
    <geom name="ground" type="plane" pos="0 0 0" size="{HALF} {HALF} .1" material="grid"/>
    <geom name="wall_px" type="box" pos="{HALF + WALL_HALF_THICKNESS} 0 .02"
    size="{WALL_HALF_THICKNESS} {HALF + 2 * WALL_HALF_THICKNESS} .02" material="wall"/>
    <geom name="wall_nx" type="box" pos="{-HALF - WALL_HALF_THICKNESS} 0 .02"
    size="{WALL_HALF_THICKNESS} {HALF + 2 * WALL_HALF_THICKNESS} .02" material="wall"/>
    <geom name="wall_py" type="box" pos="0 {HALF + WALL_HALF_THICKNESS} .02" size="{HALF}
    {WALL_HALF_THICKNESS} .02" material="wall"/> <geom name="wall_ny" type="box" pos="0 {
    -HALF - WALL_HALF_THICKNESS
} .02" size="{HALF} {WALL_HALF_THICKNESS} .02" material="wall"/> <geom
    name="divider_low" type="box" pos="0 {(-HALF + DOOR_LOW) / 2} .02"
    size="{WALL_HALF_THICKNESS} {(DOOR_LOW + HALF) / 2} .02" material="wall"/> <geom
    name="divider_high" type="box" pos="0 {(HALF + DOOR_HIGH) / 2} .02"
    size="{WALL_HALF_THICKNESS} {(HALF - DOOR_HIGH) / 2} .02" material="wall"/> <geom
    name="target" type="sphere" pos="0 0 .01" size=".02" contype="0" conaffinity="0" rgba=".9 .2
    .2 .6"/> <body name="pointmass" pos="0 0 .015">
      <joint name="root_x" type="slide" axis="1 0 0" damping="1" limited="false"/>
      <joint name="root_y" type="slide" axis="0 1 0" damping="1" limited="false"/>
      <geom name="pointmass" type="sphere" size="{RADIUS}" mass=".3" rgba=".9 .9 .2 1"
      friction="0 0 0"/> <geom name="marker" type="sphere" size="{MARKER_RADIUS}" mass="0"
      contype="0" conaffinity="0" rgba=".9 .9 .2 1"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="tx" joint="root_x" gear=".1" ctrlrange="-1 1" ctrllimited="true"/>
    <motor name="ty" joint="root_y" gear=".1" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


class _TwoRoomControlTask(base.Task):
    """dm-control task: observations and a dense reward (negative distance) for the suite API."""

    def __init__(self, random=None):
        super().__init__(random=random)
        self.goal_xy = np.zeros(2)

    def initialize_episode(self, physics):
        physics.named.data.qpos[["root_x", "root_y"]] = self.random.uniform(
            -HALF + MARGIN, HALF - MARGIN, 2
        )

    def get_observation(self, physics):
        return {
            "position": physics.named.data.qpos[["root_x", "root_y"]].copy(),
            "velocity": physics.named.data.qvel[["root_x", "root_y"]].copy(),
        }

    def get_reward(self, physics):
        return -float(np.linalg.norm(physics.named.data.qpos[["root_x", "root_y"]] - self.goal_xy))


def room_of(xy: np.ndarray) -> np.ndarray:
    """0 for the left room (x < 0), 1 for the right; [..., 2] -> [...] int."""
    return (np.asarray(xy)[..., 0] > 0).astype(int)


def line_blocked(start: np.ndarray, goal: np.ndarray, clearance: float = 0.0) -> bool:
    """True when the straight segment start -> goal (xy) meets the dividing wall more than
    ``clearance`` (m) outside the door's free opening. A greedy planner pushes into the wall there;
    with a large clearance, sliding along the (frictionless) wall does not lead it to the door
    either."""
    return bool(_blocked(np.asarray(start, float)[:2], np.asarray(goal, float)[:2], clearance))


def _blocked(a: np.ndarray, b: np.ndarray, clearance: float = 0.0) -> np.ndarray:
    """[..., 2], [..., 2] -> [...] bool: the segment a -> b crosses x = 0 outside the door's free
    opening widened by ``clearance`` (see ``line_blocked``)."""
    cross = np.sign(a[..., 0]) != np.sign(b[..., 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        # where it meets x = 0
        y = a[..., 1] + (b[..., 1] - a[..., 1]) * a[..., 0] / (a[..., 0] - b[..., 0])
    return cross & ~((DOOR_LOW + RADIUS - clearance <= y) & (y <= DOOR_HIGH - RADIUS + clearance))


def geodesic_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest path length (m) for the mass centre from a to b: straight when the segment
    passes the door's free opening or stays in one room, else through the best point of the
    opening.
    a, b: [..., 2] -> [...]."""
    a, b = np.broadcast_arrays(np.asarray(a, float)[..., :2], np.asarray(b, float)[..., :2])
    straight = np.linalg.norm(a - b, axis=-1)
    ys = np.linspace(DOOR_LOW + RADIUS, DOOR_HIGH - RADIUS, 41)  # the opening the centre can pass
    door = np.stack([np.zeros_like(ys), ys], -1)  # [Y, 2]
    via = (
        np.linalg.norm(a[..., None, :] - door, axis=-1)
        + np.linalg.norm(door - b[..., None, :], axis=-1)
    ).min(-1)
    return np.where(_blocked(a, b), via, straight)


def sample_in_room(rng: np.random.Generator, room: int) -> np.ndarray:
    """Uniform xy [2] inside ``room`` (0 left, 1 right), ``MARGIN`` away from every wall."""
    x = rng.uniform(WALL_HALF_THICKNESS + MARGIN, HALF - MARGIN)
    y = rng.uniform(-HALF + MARGIN, HALF - MARGIN)
    return np.array([x if room == 1 else -x, y])


class TwoRoom(Task):
    name = "two_room"
    episode_length = 200
    success_threshold = 0.03
    camera = "fixed"
    action_repeat = 4
    coverage_bounds = ((-HALF, HALF), (-HALF, HALF))
    walls = (  # the dividing wall's two segments, (x0, y0, x1, y1)
        (-WALL_HALF_THICKNESS, -HALF, WALL_HALF_THICKNESS, DOOR_LOW),
        (-WALL_HALF_THICKNESS, DOOR_HIGH, WALL_HALF_THICKNESS, HALF),
    )
    # 800 episodes: random actions rarely pass the door; 16-step rollouts: with 5, open-loop
    # predictions pass through the wall near its corners (diagnostics.task_geometry.wall_leak:
    # 55% after 32 steps, 0% with 16)
    recipe = TrainingRecipe(collect_episodes=800, rollout_steps=16)
    hard_clearance = 0.15
    """A hard episode's straight line meets the wall this far (m) or more outside the door."""
    leak_bands = {"bottom": (-0.28, -0.15), "middle": (-0.15, 0.05), "top": (0.22, 0.28)}
    """y ranges (m) of the wall probes: the bottom corner, the middle, the top corner."""

    def geodesic_distance(self, a, b):
        return geodesic_distance(a, b)

    def region_of(self, physical):
        return room_of(physical)

    def at_rest(self, states):
        states = np.array(states, dtype=np.float32)
        states[..., 2:] = 0  # [x, y, vx, vy]
        return states

    def is_hard_episode(self) -> bool:
        return line_blocked(self.physical(), self.goal.physical, self.hard_clearance)

    def leak_probes(self, rng, per_band):
        out = {}
        for band, (lo, hi) in self.leak_bands.items():
            out[band] = []
            for _ in range(per_band):
                side = rng.choice([-1.0, 1.0])
                xy = np.array([side * rng.uniform(0.03, 0.06), rng.uniform(lo, hi)])
                # into the wall, sliding
                out[band].append((xy, np.array([-side, rng.uniform(-0.5, 0.5)])))
        return out

    def _build_env(self, random):
        physics = dm_mujoco.Physics.from_xml_string(_XML)
        return control.Environment(
            physics, _TwoRoomControlTask(random=random), time_limit=float("inf")
        )

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
        # the start goes in the room opposite the goal sampled just before (see Task.reset)
        goal_room = room_of(self.goal.physical) if self.goal is not None else rng.integers(2)
        physics.named.data.qpos[["root_x", "root_y"]] = sample_in_room(rng, 1 - goal_room)
        physics.data.qvel[:] = 0

    def _sample_exploration_start(self, physics, rng):
        # random actions rarely pass the door (about one crossing per 300 steps from
        # uniform starts),
        # so half the collection episodes start near it: the models see both passages and jambs
        if rng.random() < DOOR_START_FRACTION:
            xy = np.array(
                [
                    rng.uniform(-DOOR_START_REACH, DOOR_START_REACH),
                    rng.uniform(DOOR_LOW - DOOR_START_REACH, DOOR_HIGH + DOOR_START_REACH),
                ]
            )
            xy[0] = np.sign(xy[0] or 1.0) * max(abs(xy[0]), WALL_HALF_THICKNESS + RADIUS + 0.002)
            physics.named.data.qpos[["root_x", "root_y"]] = xy
            physics.data.qvel[:] = 0
        else:
            self._sample_start(physics, rng)

    def set_position(self, xy: np.ndarray) -> None:
        """Put the mass at rest at ``xy`` [2] (m); for diagnostics. Refuses positions inside a
        wall."""
        xy = np.asarray(xy, dtype=float)
        if (
            xy.shape != (2,)
            or np.any(np.abs(xy) > HALF - RADIUS)
            or abs(xy[0]) < WALL_HALF_THICKNESS + RADIUS
            and not DOOR_LOW + RADIUS <= xy[1] <= DOOR_HIGH - RADIUS
        ):
            raise ValueError(
                f"two_room: position must be [x, y] inside a room or the door, got {xy.tolist()}"
            )
        with self.physics.reset_context():
            self.physics.named.data.qpos[["root_x", "root_y"]] = xy
            self.physics.data.qvel[:] = 0

    def _sample_goal(self, physics, rng):
        physics.named.data.qpos[["root_x", "root_y"]] = sample_in_room(rng, int(rng.integers(2)))

    def _show_goal(self, physics, physical):
        if physical is None:
            physics.named.model.geom_rgba["target", 3] = 0.0
        else:
            physics.named.model.geom_rgba["target", 3] = 0.6
            physics.named.model.geom_pos["target", :2] = physical
            self.env.task.goal_xy = np.asarray(physical).copy()

"""maze: the two_room point mass in an S-shaped maze of three corridors (issue 5's long-horizon
case).

Two inner walls at x = -WALL_X and x = +WALL_X split the 0.6 m arena into three corridors of about
0.19 m. The left wall leaves a gap of GAP at the top, the right one a gap at the bottom, so the only
path from the left corridor to the right one runs up the left corridor, down the middle one and up
the right one: 0.6-1.5 m between random points of the outer corridors (mean 1.0 m), up to ~190
control steps at the mass's top speed (0.1 m/s per axis), where two_room's detours take 60-100.
Every evaluation episode starts in one outer corridor with its goal in the other. The dynamics,
observations and success test are two_room's: state [4] = position xy (m), velocity xy (m/s);
physical goal: position xy; success: within 0.03 m.

The model is two_room's MJCF with its dividing wall replaced by the maze's walls (edited as XML, so
the mass, actuators and contacts are the same by construction).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import numpy as np
from dm_control import mujoco as dm_mujoco
from dm_control.rl import control

from tasks import two_room
from tasks.base import TaskError
from tasks.two_room import HALF, MARGIN, RADIUS, WALL_HALF_THICKNESS, TwoRoom

WALL_X = 0.1  # the inner walls stand at x = -WALL_X and x = +WALL_X (m)
GAP = 0.1  # opening at the top of the left wall and at the bottom of the right one (m)
GAP_START_FRACTION = 0.5  # data collection: share of episodes starting near one of the gaps
GAP_START_REACH = 0.1  # ... within this distance (m) of its opening

# inner wall segments (x0, y0, x1, y1), thickness included: left wall open at the top, right at
# the bottom
WALLS = [
    (-WALL_X - WALL_HALF_THICKNESS, -HALF, -WALL_X + WALL_HALF_THICKNESS, HALF - GAP),
    (WALL_X - WALL_HALF_THICKNESS, -HALF + GAP, WALL_X + WALL_HALF_THICKNESS, HALF),
]
# the points the mass centre's shortest paths bend around: the wall tips, cleared by the mass radius
_TIPS = np.array(
    [
        [-WALL_X, HALF - GAP + WALL_HALF_THICKNESS + RADIUS],
        [WALL_X, -HALF + GAP - WALL_HALF_THICKNESS - RADIUS],
    ]
)
_CORRIDOR_X = {
    0: (-HALF, -WALL_X - WALL_HALF_THICKNESS),
    1: (-WALL_X + WALL_HALF_THICKNESS, WALL_X - WALL_HALF_THICKNESS),
    2: (WALL_X + WALL_HALF_THICKNESS, HALF),
}


def _maze_xml() -> str:
    root = ET.fromstring(two_room._XML)
    world = root.find("worldbody")
    for geom in list(world.findall("geom")):
        if geom.get("name", "").startswith("divider"):
            world.remove(geom)
    # keep the walls before the goal marker
    anchor = list(world).index(world.find("geom[@name='target']"))
    for i, (x0, y0, x1, y1) in enumerate(WALLS):
        wall = ET.Element("geom", name=f"maze_wall{i}", type="box", material="wall")
        wall.set("pos", f"{(x0 + x1) / 2} {(y0 + y1) / 2} .02")
        wall.set("size", f"{(x1 - x0) / 2} {(y1 - y0) / 2} .02")
        world.insert(anchor + i, wall)
    root.set("model", "maze")
    return ET.tostring(root, encoding="unicode")


def corridor_of(xy: np.ndarray) -> np.ndarray:
    """0 (left), 1 (middle) or 2 (right): [..., 2] -> [...] int."""
    x = np.asarray(xy)[..., 0]
    return (x > -WALL_X).astype(int) + (x > WALL_X).astype(int)


def _crosses_wall(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[..., 2], [..., 2] -> [...] bool: the segment a -> b passes a wall line where the mass centre
    cannot (beside a wall, not through its gap cleared by the mass radius)."""
    blocked = np.zeros(np.broadcast_shapes(a.shape[:-1], b.shape[:-1]), bool)
    for wx, tip_y, open_above in ((-WALL_X, _TIPS[0, 1], True), (WALL_X, _TIPS[1, 1], False)):
        cross = np.sign(a[..., 0] - wx) * np.sign(b[..., 0] - wx) < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            y = a[..., 1] + (b[..., 1] - a[..., 1]) * (wx - a[..., 0]) / (b[..., 0] - a[..., 0])
        blocked |= cross & ((y < tip_y) if open_above else (y > tip_y))
    return blocked


def geodesic_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest path length (m) of the mass centre from a to b: the shortest chain a -> (wall
    tips) -> b whose straight pieces cross no wall (tips cleared by the mass radius). a, b:
    [..., 2] ->
    [...]."""
    a, b = np.broadcast_arrays(np.asarray(a, float)[..., :2], np.asarray(b, float)[..., :2])
    best = np.full(a.shape[:-1], np.inf)
    for k in range(3):
        for order in itertools.permutations(range(2), k):
            points = [a] + [np.broadcast_to(_TIPS[i], a.shape) for i in order] + [b]
            length, free = np.zeros(a.shape[:-1]), np.ones(a.shape[:-1], bool)
            for p, q in itertools.pairwise(points):
                length = length + np.linalg.norm(q - p, axis=-1)
                free &= ~_crosses_wall(p, q)
            best = np.where(free, np.minimum(best, length), best)
    return best


def sample_in_corridor(rng: np.random.Generator, corridor: int) -> np.ndarray:
    """Uniform xy [2] inside ``corridor`` (0 left, 1 middle, 2 right), ``MARGIN`` from every
    wall."""
    lo, hi = _CORRIDOR_X[corridor]
    return np.array(
        [rng.uniform(lo + MARGIN, hi - MARGIN), rng.uniform(-HALF + MARGIN, HALF - MARGIN)]
    )


class Maze(TwoRoom):
    name = "maze"
    episode_length = 400
    walls = tuple(WALLS)

    def geodesic_distance(self, a, b):
        return geodesic_distance(a, b)

    def region_of(self, physical):
        return corridor_of(physical)

    def is_hard_episode(self) -> bool:
        return True  # every episode starts in one outer corridor with its goal in the other

    def leak_probes(self, rng, per_band):
        raise TaskError("maze: no wall probes (its walls are not two_room's dividing wall)")

    def _build_env(self, random):
        physics = dm_mujoco.Physics.from_xml_string(_maze_xml())
        return control.Environment(
            physics, two_room._TwoRoomControlTask(random=random), time_limit=float("inf")
        )

    def _sample_start(self, physics, rng):
        # the start goes in the outer corridor opposite the goal sampled just before (see
        # Task.reset)
        goal_side = (
            corridor_of(self.goal.physical) if self.goal is not None else 2 * int(rng.integers(2))
        )
        physics.named.data.qpos[["root_x", "root_y"]] = sample_in_corridor(rng, 2 - goal_side)
        physics.data.qvel[:] = 0

    def _sample_exploration_start(self, physics, rng):
        # random actions rarely pass a gap, so half the collection episodes start near one
        # (as two_room's door);
        # the others start anywhere in the maze, so every corridor is covered
        if rng.random() < GAP_START_FRACTION:
            tip = _TIPS[int(rng.integers(2))]
            xy = tip + rng.uniform(-GAP_START_REACH, GAP_START_REACH, 2)
            xy[1] = np.clip(xy[1], -HALF + RADIUS + 0.002, HALF - RADIUS - 0.002)
            for x0, y0, x1, y1 in WALLS:  # out of a wall: to its nearer side
                if x0 - RADIUS < xy[0] < x1 + RADIUS and y0 - RADIUS < xy[1] < y1 + RADIUS:
                    xy[0] = x0 - RADIUS - 0.002 if xy[0] < (x0 + x1) / 2 else x1 + RADIUS + 0.002
            physics.named.data.qpos[["root_x", "root_y"]] = xy
        else:
            physics.named.data.qpos[["root_x", "root_y"]] = sample_in_corridor(
                rng, int(rng.integers(3))
            )
        physics.data.qvel[:] = 0

    def _sample_goal(self, physics, rng):
        physics.named.data.qpos[["root_x", "root_y"]] = sample_in_corridor(
            rng, 2 * int(rng.integers(2))
        )

    def set_position(self, xy: np.ndarray) -> None:
        """Put the mass at rest at ``xy`` [2] (m); for diagnostics. Refuses positions inside a
        wall."""
        xy = np.asarray(xy, dtype=float)
        inside = xy.shape == (2,) and any(
            x0 - RADIUS < xy[0] < x1 + RADIUS and y0 - RADIUS < xy[1] < y1 + RADIUS
            for x0, y0, x1, y1 in WALLS
        )
        if xy.shape != (2,) or np.any(np.abs(xy) > HALF - RADIUS) or inside:
            raise ValueError(
                "maze: position must be [x, y] inside a corridor, clear of the walls, got "
                f"{xy.tolist()}"
            )
        with self.physics.reset_context():
            self.physics.named.data.qpos[["root_x", "root_y"]] = xy
            self.physics.data.qvel[:] = 0

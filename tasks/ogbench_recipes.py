"""OGBench's data recipes, regenerated here (its download server is out of reach).

``navigate`` (point mazes): every episode starts in a random free cell and heads for a random
"vertex" cell (a free cell that is not the middle of a straight corridor); a waypoint expert
moves toward the next cell of a breadth-first-search path to the goal cell, plus N(0, noise^2)
action noise, clipped to [-1, 1]; on arrival (the environment's own success test) a new goal cell
is drawn. Start and goal positions get the package's own cell noise. OGBench's sizes: 1000 episodes
of 1001 observations (giant: 500 of 2001), noise 0.5 for the point agent.

``play`` (scene): the same loop over four plan oracles of the package (cube, button, drawer,
window), the next one chosen by the environment's ``privileged/target_task`` (p_stack 0.5, the
script's value for the scene), and the script's health check: an episode in which the cube leaves
the table to the right (y >= 0.29) or to the left outside the drawer is recorded again.

``play`` (cube-single, -double, -triple, -quadruple; OGBench's ``data_gen_scripts/
generate_manipspace.py --dataset_type=play``): the environment in its data-collection mode (random
cube and target poses), driven by the package's own ``CubePlanOracle``: a pick-and-place plan
through keyframes with randomised timing and heights, temporally correlated noise (0.1, smoothing
0.5) added to the plan, actions that track it; when a plan ends, a new target is drawn, stacked on
another top cube with probability p_stack, drawn once per episode as the script draws it (single 0,
double U(0, 0.25), triple U(0.05, 0.35), quadruple U(0.1, 0.5)). The oracle draws from numpy's
global generator: it is seeded from ``rng`` around every draw and restored. OGBench's size: 1000
episodes of 1001 observations (triple 3000, quadruple 5000). Where this differs from the script:
the script's episode holds 1001 actions and drops the last one's outcome, ours 1000 actions and
1001 observations (the same rows); the script reseeds nothing between episodes, we reseed each
episode from ``rng`` (same distributions, a reproducible stream); its 10% validation episodes are
not made (we hold out our own split).

A recipe is a collection policy: ``begin(task, rng)`` sets up an episode after the task's reset,
``act(task, rng)`` returns the next action [A] in [-1, 1], ``accept(task)`` says whether the episode
just recorded is kept (else it is recorded again); ``mpc_jepa.data.collect`` drives it.
Everything random comes from ``rng``, so a dataset is reproducible from its seed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from tasks.base import TaskError
from tasks.ogbench_env import numpy_global_seed

_STEPS = ((-1, 0), (0, -1), (1, 0), (0, 1))


@dataclass(frozen=True)
class DatasetRecipe:
    """An OGBench dataset's size: episodes and agent steps per episode."""

    episodes: int
    episode_length: int


# OGBench's published sizes (observations per episode = episode_length + 1)
SIZES = {"medium": DatasetRecipe(1000, 1000), "large": DatasetRecipe(1000, 1000)}
SIZES["giant"] = DatasetRecipe(500, 2000)
PLAY_SIZES = {
    "scene": DatasetRecipe(1000, 1000),
    "single": DatasetRecipe(1000, 1000),
    "double": DatasetRecipe(1000, 1000),
    "triple": DatasetRecipe(3000, 1000),
    "quadruple": DatasetRecipe(5000, 1000),
}
P_STACK = {"single": (0.0, 0.0), "double": (0.0, 0.25), "triple": (0.05, 0.35)}
P_STACK["scene"] = (0.5, 0.5)
P_STACK["quadruple"] = (0.1, 0.5)
"""The range of each episode's stacking probability, by cube count (OGBench's script)."""


def free_cells(maze_map: np.ndarray) -> list[tuple[int, int]]:
    """Every free (0) cell (i, j) of the maze map."""
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(maze_map == 0))]


def vertex_cells(maze_map: np.ndarray) -> list[tuple[int, int]]:
    """Free cells that are not the middle of a straight corridor (OGBench's goal cells)."""
    out = []
    for i, j in free_cells(maze_map):
        up, down = maze_map[i - 1, j] == 0, maze_map[i + 1, j] == 0
        left, right = maze_map[i, j - 1] == 0, maze_map[i, j + 1] == 0
        vertical = up and down and not left and not right
        horizontal = left and right and not up and not down
        if not (vertical or horizontal):
            out.append((i, j))
    return out


def bfs_steps(maze_map: np.ndarray, goal: tuple[int, int]) -> np.ndarray:
    """[rows, cols] cell steps to ``goal`` over free cells (4-connected); -1 where unreachable."""
    dist = np.full(maze_map.shape, -1, dtype=np.int64)
    dist[goal] = 0
    queue = deque([goal])
    while queue:
        i, j = queue.popleft()
        for di, dj in _STEPS:
            n = (i + di, j + dj)
            if maze_map[n] == 0 and dist[n] < 0:
                dist[n] = dist[i, j] + 1
                queue.append(n)
    return dist


def next_cell(dist: np.ndarray, cell: tuple[int, int]) -> tuple[int, int]:
    """The neighbour of ``cell`` one BFS step closer to the goal (the cell itself at the goal)."""
    best = cell
    for di, dj in _STEPS:
        n = (cell[0] + di, cell[1] + dj)
        if dist[n] >= 0 and (dist[best] < 0 or dist[n] < dist[best]):
            best = n
    return best


class NavigatePolicy:
    """OGBench's ``navigate`` waypoint expert for the point maze (see the module docstring)."""

    def __init__(self, noise: float = 0.5):
        if not noise >= 0:
            raise TaskError(f"navigate noise must be >= 0, got {noise}")
        self.noise = float(noise)
        self._bfs: dict[tuple[int, int], np.ndarray] = {}

    def begin(self, task, rng: np.random.Generator) -> None:
        env = task.env
        if not task.is_maze:  # an OGBench task (the recipe is looked up by its env id)
            raise TaskError(f"{task.name}: the navigate recipe needs a maze")
        self._cells, self._vertices = free_cells(env.maze_map), vertex_cells(env.maze_map)
        start = self._cells[rng.integers(len(self._cells))]
        self._goal = self._vertices[rng.integers(len(self._vertices))]
        env.set_xy(np.asarray(self._noisy(env, start, rng)))
        env.set_goal(goal_xy=self._noisy(env, self._goal, rng))

    def act(self, task, rng: np.random.Generator) -> np.ndarray:
        env = task.env
        if env.compute_success():  # arrived: a new goal cell, as OGBench's recipe does
            self._goal = self._vertices[rng.integers(len(self._vertices))]
            env.set_goal(goal_xy=self._noisy(env, self._goal, rng))
        if self._goal not in self._bfs:
            self._bfs[self._goal] = bfs_steps(env.maze_map, self._goal)
        xy = np.asarray(env.get_xy()[:2])
        waypoint = np.asarray(env.ij_to_xy(next_cell(self._bfs[self._goal], env.xy_to_ij(xy))))
        direction = (waypoint - xy) / (np.linalg.norm(waypoint - xy) + 1e-6)
        return np.clip(direction + rng.normal(0.0, self.noise, 2), -1.0, 1.0)

    def accept(self, task) -> bool:
        """Every episode is kept."""
        return True

    @staticmethod
    def _noisy(env, cell: tuple[int, int], rng: np.random.Generator) -> tuple[float, float]:
        """The cell's centre plus the package's uniform noise of a quarter cell per axis."""
        x, y = env.ij_to_xy(cell)
        reach = env._noise * env._maze_unit / 4
        return x + rng.uniform(-reach, reach), y + rng.uniform(-reach, reach)


class CubePlayPolicy:
    """OGBench's ``play`` recipe for the cube environments and the scene, through the package's
    plan oracles (module docstring)."""

    def __init__(self, noise: float = 0.1, noise_smoothing: float = 0.5):
        if not noise >= 0 or not noise_smoothing >= 0:
            raise TaskError(
                f"play noise and smoothing must be >= 0, got {noise}, {noise_smoothing}"
            )
        self.noise, self.noise_smoothing = float(noise), float(noise_smoothing)
        self._oracle, self._pending, self.p_stack, self.healthy = None, False, 0.0, True
        self._agents: dict = {}

    def begin(self, task, rng: np.random.Generator) -> None:
        if task.is_maze or not task.env_id.startswith(("cube-", "scene-")):
            raise TaskError(f"{task.name}: the play recipe needs a cube or scene environment")
        env = task.env
        env._mode = "data_collection"  # random cubes and targets (task.reset switches back)
        seed = int(rng.integers(2**31))
        env._space_rng = np.random.default_rng(seed)
        env.action_space.seed(seed)
        scene = task.env_id.startswith("scene-")
        with numpy_global_seed(seed):
            env.reset(seed=seed)
            lo, hi = P_STACK["scene" if scene else task.env_id.split("-")[1]]
            # no draw with one cube: cube-single's stream (and data) as before
            self.p_stack = float(np.random.uniform(lo, hi)) if hi > lo else lo
            self._agents = _plan_oracles(env, scene, self.noise, self.noise_smoothing)
            self._next_agent(env)
        self._pending, self.healthy, self._scene = False, True, scene

    def act(self, task, rng: np.random.Generator) -> np.ndarray:
        env = task.env
        if self._pending:  # the plan ended on the last step: a new target, as OGBench's loop does
            with numpy_global_seed(int(rng.integers(2**31))):
                env.set_new_target(return_info=False, p_stack=self.p_stack)
                self._next_agent(env)
        if self._scene:
            self.healthy = self.healthy and _cube_healthy(task.data.joint("object_joint_0").qpos)
        action = self._oracle.select_action(None, env.compute_ob_info())
        self._pending = self._oracle.done
        return np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)

    def accept(self, task) -> bool:
        """Whether the episode just recorded is kept (OGBench's scene health check)."""
        return self.healthy

    def _next_agent(self, env) -> None:
        """The oracle of the environment's current target task, reset to it."""
        info = env.compute_ob_info()
        self._oracle = self._agents[info.get("privileged/target_task", "cube")]
        self._oracle.reset(None, info)


def _plan_oracles(env, scene: bool, noise: float, smoothing: float) -> dict:
    """The package's plan oracles by target task: the cube's, and in the scene also the button's,
    drawer's and window's."""
    from ogbench.manipspace.oracles.plan.button_plan import ButtonPlanOracle
    from ogbench.manipspace.oracles.plan.cube_plan import CubePlanOracle
    from ogbench.manipspace.oracles.plan.drawer_plan import DrawerPlanOracle
    from ogbench.manipspace.oracles.plan.window_plan import WindowPlanOracle

    kinds = {"cube": CubePlanOracle}
    if scene:
        kinds.update(button=ButtonPlanOracle, drawer=DrawerPlanOracle, window=WindowPlanOracle)
    return {k: cls(env=env, noise=noise, noise_smoothing=smoothing) for k, cls in kinds.items()}


def _cube_healthy(qpos) -> bool:
    """OGBench's scene health check on one state: the cube [x, y, z] is on the table, or in the
    drawer (left, at the drawer's height)."""
    _, y, z = np.asarray(qpos[:3])
    return bool(y < 0.29 and not (y <= -0.3 and (z < 0.06 or z > 0.08)))


def published_size(env_id: str, dataset_type: str) -> DatasetRecipe | None:
    """OGBench's size of a dataset regenerated here (None: no recipe here for it)."""
    family, size = env_id.split("-")[:2]
    if dataset_type == "navigate" and family == "pointmaze":
        return SIZES.get(size)
    if dataset_type == "play" and family in ("cube", "scene"):
        return PLAY_SIZES.get(size if family == "cube" else "scene")
    return None


def recipe_for(task) -> tuple[NavigatePolicy | CubePlayPolicy, DatasetRecipe]:
    """The collection policy and published size of ``task``'s OGBench dataset."""
    size = published_size(task.env_id, task.dataset_type)
    if size is not None:
        policy = NavigatePolicy(noise=0.5) if task.is_maze else CubePlayPolicy()
        return policy, size
    raise TaskError(
        f"{task.name}: only pointmaze navigate and cube and scene play data can be regenerated "
        f"here so far (got {task.dataset_type!r} on {task.env_id!r}); load OGBench's own .npz "
        "instead"
    )

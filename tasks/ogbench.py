"""ogbench:<dataset>: OGBench's goal-conditioned environments (Park et al., ICLR 2025) as tasks.

Names are OGBench's dataset names, e.g. ``ogbench:pointmaze-medium-navigate-v0`` or
``ogbench:cube-single-play-v0`` (``ogbench:pointmaze-medium-v0``, the environment's own name, works
too). One adapter turns the package's Gymnasium environment into our task template:

- state observation: the environment's own (pointmaze: xy [2]; cube-single: [28]);
- goal observation: what ``env.reset(options=dict(task_id=i))`` returns as ``info['goal']``;
- evaluation goals: OGBench's five fixed tasks; episode seed ``s`` plays ``task_id = 1 + s % 5``,
  so 5k consecutive seeds are k episodes of each task;
- success: the environment's own test, checked after every step; an episode ends at success
  (``terminates_at_success``), as OGBench's evaluation does, or after the environment's length;
- actions in [-1, 1]; full physics state get/set (FULLPHYSICS, so the cube's targets travel too);
  pixels from a fixed camera (the maze from above; the arm from the front).

The package draws start and goal noise from numpy's global generator (mazes) and the
environment's own generator (manipulation): both are seeded from the episode seed, and numpy's
global state is restored afterwards, so an evaluation is reproducible and leaves no trace.
"""

from __future__ import annotations

from dataclasses import replace

import mujoco
import numpy as np
from mujoco import rollout as mj_rollout

from tasks.base import Goal, Task, TaskError
from tasks.ogbench_env import MANIP_PREFIXES, make_env, seeded_reset
from tasks.ogbench_recipes import published_size, recipe_for
from tasks.recipe import TrainingRecipe
from tasks.rendering import new_renderer, track_renderer

MAZE_TOLERANCE = 1.0  # the point maze's success radius (the package's goal_tol for the point)


def _success_dims(env_id: str, cubes: int) -> tuple[int, ...]:
    """The state dimensions the environment's success test reads: a maze's xy (the first two); a
    cube environment's cube positions (after the arm's 19 dims, each cube's 9 begin with its
    position). The scene's buttons, drawer and window are not declared: ()."""
    if not env_id.startswith(MANIP_PREFIXES):
        return (0, 1)
    if env_id.startswith("cube-"):
        return tuple(19 + 9 * i + j for i in range(cubes) for j in range(3))
    return ()


class OGBenchTask(Task):
    """An OGBench environment behind the task template; see the module docstring."""

    terminates_at_success = True
    action_repeat = 1

    def __init__(
        self, dataset: str, *, seed: int | None = 0, pixels: bool = False, image_size: int = 64
    ):
        if not isinstance(image_size, (int, np.integer)) or not 16 <= int(image_size) <= 512:
            raise TaskError(f"image_size must be an int in [16, 512], got {image_size!r}")
        self.env, self.env_id, self.dataset_type, self.episode_length = make_env(dataset)
        self.name = f"ogbench:{dataset}"
        self.is_maze = not self.env_id.startswith(MANIP_PREFIXES)
        self._rollout = None  # the oracle's batched step, made at its first use
        track_renderer(self)
        self.seed, self.pixels, self.image_size = seed, bool(pixels), int(image_size)
        self.rng = np.random.default_rng(seed)
        self._renderer = None
        self.goal: Goal | None = None
        self.task_id: int | None = None
        self.reset(seed=int(self.rng.integers(2**31)))
        self.action_dim = int(self.env.action_space.shape[0])
        self.state_dim = int(self.state_observation().shape[0])
        self.num_tasks = int(self.env.num_tasks)
        self.success_threshold = MAZE_TOLERANCE if self.is_maze else 0.04
        self.success_dims = _success_dims(self.env_id, self._cubes())
        # the arm with a cube: a wider latent, longer training, denser landmarks, and the objects'
        # poses kept in the embedding (an object slot; gain chosen on the contact benchmark's
        # segments of seed 100: 1.0 36%, 0.3 72%, notes 2026-12-08)
        models = {} if self.is_maze else dict(latent_dim=32, train_steps=5000, landmarks=2000,
                                              object_gain=0.3)  # fmt: skip
        self.recipe = TrainingRecipe(rollout_steps=16, **models)
        size = published_size(self.env_id, self.dataset_type)  # datasets regenerated here
        if size is not None:
            self.recipe = replace(self.recipe, collect_episodes=size.episodes,
                                  collect_length=size.episode_length)  # fmt: skip
        if self.is_maze:  # cell (i, j) is centred at (j * unit - offset_x, i * unit - offset_y)
            rows, cols = self.env.maze_map.shape
            unit, ox, oy = self.env._maze_unit, self.env._offset_x, self.env._offset_y
            self.coverage_bounds = (
                (-ox - unit / 2, (cols - 0.5) * unit - ox),
                (-oy - unit / 2, (rows - 0.5) * unit - oy),
            )

    @property
    def model(self) -> mujoco.MjModel:
        return self.env.model

    @property
    def data(self) -> mujoco.MjData:
        return self.env.data

    # ----- episodes ---------------------------------------------------------------------
    def reset(self, seed: int | None = None, *, exploration: bool = False) -> dict:
        """Start one of OGBench's evaluation tasks: ``task_id = 1 + seed % num_tasks``.
        (``exploration`` is accepted for the template's sake; OGBench data comes from its
        recipes, ``tasks.ogbench_recipes``.)"""
        if seed is None:
            seed = int(self.rng.integers(2**31))
        self.rng = np.random.default_rng(seed)
        if not self.is_maze:
            self.env._mode = "task"  # a collection recipe may have switched it (play)
        n = getattr(self.env, "num_tasks", 5)  # OGBench's envs: 5 tasks where not declared
        self.task_id = 1 + int(seed) % n
        _, info = seeded_reset(self.env, seed, dict(task_id=self.task_id))
        goal_physical = self._goal_physical()
        saved = self.get_state()
        self._place(goal_physical)
        goal_physics = self.get_state()
        goal_pixels = self.render(show_goal=False) if self.pixels else None
        self.set_state(saved)
        self.goal = Goal(
            state=np.asarray(info["goal"], dtype=np.float32),
            pixels=goal_pixels,
            physical=goal_physical,
            physics_state=goal_physics,
        )
        return self.observe()

    def step(self, action: np.ndarray) -> dict[str, np.ndarray]:
        """Apply a normalised action [A] in [-1, 1] (the environment's own step)."""
        self.env.step(np.clip(self.checked_action(action), -1.0, 1.0))
        return self.observe()

    def state_observation(self) -> np.ndarray:
        ob = self.env.get_ob() if self.is_maze else self.env.compute_observation()
        return np.asarray(ob, dtype=np.float32)

    def physical(self) -> np.ndarray:
        """Maze: the agent's xy; manipulation: every cube's xyz, flattened [3 * cubes]."""
        if self.is_maze:
            return np.asarray(self.env.get_xy()[:2], dtype=np.float64)
        return np.concatenate(
            [self.data.joint(f"object_joint_{i}").qpos[:3] for i in range(self._cubes())]
        ).astype(np.float64)

    def distance_fn(self, a: np.ndarray, b: np.ndarray) -> float:
        """Maze: distance in the plane (maze units: a cell is 4); manipulation: the largest
        cube-to-target distance (metres)."""
        d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
        return float(np.max(np.linalg.norm(d.reshape(-1, 2 if self.is_maze else 3), axis=-1)))

    def success(self, goal: Goal | None = None) -> bool:
        """The environment's own test for its current goal (another ``goal``: by distance)."""
        if goal is not None and goal is not self.goal:
            return self.distance(goal) <= self.success_threshold
        if self.is_maze:
            return bool(self.env.compute_success())
        # cubes, and in the scene also buttons, drawer and window: all must hold
        return bool(np.all(np.concatenate([np.ravel(s) for s in self.env._compute_successes()])))

    def collection_policy(self):
        """OGBench's own data recipe for this dataset (``tasks.ogbench_recipes``)."""
        return recipe_for(self)[0]

    def reward(self) -> float:
        """1 at success, else 0 (OGBench's goal-conditioned reward)."""
        return float(self.success())

    def _cubes(self) -> int:
        return int(getattr(self.env, "_num_cubes", 0))  # OGBench sets it on cube envs only

    def _goal_physical(self) -> np.ndarray:
        if self.is_maze:
            return np.asarray(self.env.cur_goal_xy, dtype=np.float64)
        ids = self.env._cube_target_mocap_ids
        return np.concatenate([self.data.mocap_pos[i] for i in ids]).astype(np.float64)

    def _place(self, physical: np.ndarray) -> None:
        """Put the physics at ``physical`` at rest (the goal's physics state)."""
        if self.is_maze:
            self.env.set_xy(np.asarray(physical)[:2])
        else:
            for i, xyz in enumerate(np.asarray(physical).reshape(-1, 3)):
                self.data.joint(f"object_joint_{i}").qpos[:3] = xyz
                self.data.joint(f"object_joint_{i}").qpos[3:] = (1.0, 0.0, 0.0, 0.0)
        self.data.qvel[:] = 0
        mujoco.mj_forward(self.model, self.data)

    # ----- physics state and pixels -----------------------------------------------------
    def rollout_physics(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The environment's step for B physics states at once (the oracle's rollout):
        [B, nstate], [B, T, A] in [-1, 1] -> [B, T, nstate] after each step.

        The point maze moves qpos by 0.2 * action, zeroes qvel, then runs ``frame_skip`` physics
        steps with zero control (contacts push the ball out of walls): reproduced exactly, the
        physics steps in C through ``mujoco.rollout``. The arm's step runs a Python
        inverse-kinematics controller per step, so it has no batched oracle."""
        if not (self.is_maze and self.env_id.startswith("pointmaze-")):
            raise TaskError(
                f"{self.name}: the environment's step runs Python controller code per step, so it "
                "cannot be rolled out in batch (no oracle)"
            )
        if self._rollout is None:
            self._rollout = (mj_rollout.Rollout(nthread=1), [mujoco.MjData(self.model)])
        runner, datas = self._rollout
        nq, nv, frame_skip = self.model.nq, self.model.nv, self.env.frame_skip
        z = np.array(states, dtype=np.float64)
        out = np.empty((len(z), actions.shape[1], z.shape[1]))
        ctrl = np.zeros((len(z), frame_skip, self.model.nu))
        for t in range(actions.shape[1]):
            z[:, 1 : 1 + nq] += 0.2 * np.clip(actions[:, t], -1.0, 1.0)
            z[:, 1 + nq : 1 + nq + nv] = 0.0
            traj, _ = runner.rollout(self.model, datas, z, ctrl, nstep=frame_skip)
            z = traj[:, -1].copy()
            out[:, t] = z
        return out

    def set_configuration(self, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Set joint positions [nq] and velocities [nv] (as OGBench's datasets store them)."""
        qpos, qvel = np.asarray(qpos, np.float64), np.asarray(qvel, np.float64)
        if qpos.shape != (self.model.nq,) or qvel.shape != (self.model.nv,):
            raise TaskError(
                f"{self.name}: need qpos ({self.model.nq},) and qvel ({self.model.nv},), got "
                f"{qpos.shape} and {qvel.shape}"
            )
        self.data.qpos[:], self.data.qvel[:] = qpos, qvel
        mujoco.mj_forward(self.model, self.data)

    def get_state(self) -> np.ndarray:
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        out = np.empty(mujoco.mj_stateSize(self.model, spec))
        mujoco.mj_getState(self.model, self.data, out, spec)
        return out

    def set_state(self, state: np.ndarray) -> None:
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        state = np.asarray(state, dtype=np.float64)
        size = mujoco.mj_stateSize(self.model, spec)
        if state.shape != (size,):
            raise TaskError(
                f"{self.name}: physics state must have shape ({size},), got {state.shape}"
            )
        mujoco.mj_setState(self.model, self.data, state, spec)
        mujoco.mj_forward(self.model, self.data)

    def render(self, size: int | None = None, show_goal: bool = True) -> np.ndarray:
        """[H, W, 3] uint8 from a fixed camera: the maze from above, the arm from the front."""
        size = self.image_size if size is None else size
        if self._renderer is None or self._renderer.width != size:
            self.close()
            self._renderer = new_renderer(self.model, size)
        camera = self.env.custom_camera if self.is_maze else "front"
        marker = self._marker_alpha(None if show_goal else 0.0)
        self._renderer.update_scene(self.data, camera=camera)
        image = self._renderer.render().copy()
        self._marker_alpha(marker)
        return image

    def _marker_alpha(self, alpha):
        """Set the maze's goal marker's alpha (None: leave it); returns the previous one."""
        if not self.is_maze or alpha is None:
            return None
        try:
            geom = self.model.geom("target")
        except KeyError:
            return None
        old = float(geom.rgba[3])
        geom.rgba[3] = alpha
        return old

    def __repr__(self) -> str:
        return (
            f"OGBenchTask({self.name!r}, state_dim={self.state_dim}, action_dim={self.action_dim})"
        )

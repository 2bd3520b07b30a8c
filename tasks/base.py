"""The task template every task file follows (as dm_control's suite does).

A task wraps a dm-control ``Environment`` and adds what goal-conditioned planning needs:
flat state observations, optional pixels from a fixed camera, actions normalised to
[-1, 1], a goal sampler that returns a goal *observation* made by putting the physics in
the goal configuration, and a physical success test in task units.

A subclass fills in five hooks (``_build_env``, ``_state_observation``, ``_physical``,
``_sample_start`` and ``_sample_goal``) and three class attributes (``name``,
``episode_length``, ``success_threshold``). Everything else is shared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")  # headless by default; a user's choice wins

import mujoco
from dm_control.rl import control

from tasks.geometry import PathGeometry, TaskError
from tasks.recipe import TrainingRecipe
from tasks.rendering import new_renderer, track_renderer


@dataclass(frozen=True)
class Goal:
    """A goal: what the agent sees there, and where it is physically.

    Attributes:
        state: [S] float32 state observation of the goal configuration (velocity zero).
        pixels: [H, W, 3] uint8 image of the goal configuration, or None without pixels.
        physical: [P] float64 goal in task units (metres, radians), used by ``success``.
        physics_state: [nstate] full MuJoCo physics state of the goal configuration.
    """

    state: np.ndarray
    pixels: np.ndarray | None
    physical: np.ndarray
    physics_state: np.ndarray


class Task(PathGeometry):
    """Base class of every goal-conditioned task. See the module docstring."""

    name: str = "task"
    episode_length: int = 200
    """Control steps in an evaluation episode."""
    success_threshold: float = 0.03
    """Largest physical distance to the goal (task units) counted as success."""
    camera: int | str = 0
    """Fixed camera rendered for pixel observations and videos."""
    action_repeat: int = 1
    """Physics control steps per agent step (the action is held)."""
    coverage_bounds: tuple[tuple[float, float], ...] | None = None
    """Box over the physical quantity on which dataset coverage is measured (None: not measured)."""
    rollout_physics = None
    """None, or a batched step ``(states [B, S], actions [B, T, A]) -> [B, T, S]`` for a task whose
    step is not "hold ctrl for action_repeat physics steps" (the oracle calls it)."""
    recipe: TrainingRecipe = TrainingRecipe()
    """How this task's models are best trained."""
    terminates_at_success: bool = False
    """Whether an episode ends at the first step that succeeds (OGBench's protocol) rather than
    running its full length and being judged at the end."""
    success_dims: tuple[int, ...] = ()
    """State-observation dimensions the success test depends on (empty: not declared). A goal
    actor reads only these of a goal, so the goal's other dimensions (a cube's yaw, the arm's pose)
    are no target to chase."""
    objective: str = "goal"
    """'goal': episodes are judged by reaching a goal observation (``success``); 'reward': by the
    suite's episode return (``reward`` summed over the steps), with no goal at all."""
    task_id: int | None = None
    """The benchmark's own task number of the current episode, where it has several (OGBench's
    five evaluation tasks); None elsewhere."""

    def __init__(self, *, seed: int | None = 0, pixels: bool = False, image_size: int = 64):
        if not isinstance(image_size, (int, np.integer)) or not 16 <= int(image_size) <= 512:
            raise TaskError(f"image_size must be an int in [16, 512], got {image_size!r}")
        self.seed = seed
        self.pixels = bool(pixels)
        self.image_size = int(image_size)
        self.rng = np.random.default_rng(seed)
        self.env: control.Environment = self._build_env(
            np.random.RandomState(self.rng.integers(2**31))
        )
        self.physics = self.env.physics
        spec = self.env.action_spec()
        self._act_low = np.asarray(spec.minimum, dtype=np.float64) * np.ones(spec.shape)
        self._act_high = np.asarray(spec.maximum, dtype=np.float64) * np.ones(spec.shape)
        self.action_dim = int(spec.shape[0])
        self._renderer: mujoco.Renderer | None = None
        track_renderer(self)
        self.goal: Goal | None = None
        self._last_reward: float | None = None
        self.env.reset()
        self.state_dim = int(self.state_observation().shape[0])

    # ----- hooks a task file fills in -------------------------------------------------
    def _build_env(self, random: np.random.RandomState) -> control.Environment:
        raise NotImplementedError  # abstract hook

    def _state_observation(self, physics) -> np.ndarray:
        """Flat state vector [S] of the current physics (goal-independent)."""
        raise NotImplementedError  # abstract hook

    def _physical(self, physics) -> np.ndarray:
        """The goal-relevant physical quantity [P] in task units (e.g. an xy position)."""
        raise NotImplementedError  # abstract hook

    def _sample_start(self, physics, rng: np.random.Generator) -> None:
        """Put the physics in a random start configuration."""
        raise NotImplementedError  # abstract hook

    def _sample_exploration_start(self, physics, rng: np.random.Generator) -> None:
        """Set the physics to a start for data collection (default: the episode start
        distribution)."""
        self._sample_start(physics, rng)

    def _sample_goal(self, physics, rng: np.random.Generator) -> None:
        """Put the physics in a random goal configuration (at rest)."""
        raise NotImplementedError  # abstract hook

    def _show_goal(self, physics, physical: np.ndarray | None) -> None:
        """Move the goal marker (if the task has one) to ``physical``; None hides it."""

    def distance_fn(self, a: np.ndarray, b: np.ndarray) -> float:
        """Physical distance between two ``_physical`` values (task units)."""
        return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))

    # ----- shared API -----------------------------------------------------------------
    def reset(self, seed: int | None = None, *, exploration: bool = False) -> dict[str, np.ndarray]:
        """Start an episode: sample a start and a goal. Returns the observation dict.

        ``exploration=True`` (data collection) samples the start from the task's exploration
        distribution instead, which may favour states that random actions rarely reach.
        """
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.env.reset()
        self._last_reward = None
        self.goal = self.sample_goal(self.rng)
        with self.physics.reset_context():
            (self._sample_exploration_start if exploration else self._sample_start)(
                self.physics, self.rng
            )
        self._show_goal(self.physics, self.goal.physical)
        self._after_reset()
        return self.observe()

    def _after_reset(self) -> None:
        """Hook for tasks that must couple start and goal (called after both are sampled)."""

    def sample_goal(self, rng: np.random.Generator | None = None) -> Goal:
        """Sample a goal configuration and observe it, leaving the physics as it was."""
        rng = self.rng if rng is None else rng
        saved = self.get_state()
        with self.physics.reset_context():
            self._sample_goal(self.physics, rng)
            self.physics.data.qvel[:] = 0
        goal = self._goal_here()
        self.set_state(saved)
        return goal

    def _goal_here(self) -> Goal:
        physical = self._physical(self.physics).astype(np.float64)
        self._show_goal(self.physics, physical)
        return Goal(
            state=self.state_observation(),
            pixels=self.render(show_goal=False)
            if self.pixels
            else None,  # looks like an observation: no marker
            physical=physical,
            physics_state=self.get_state(),
        )

    def step(self, action: np.ndarray) -> dict[str, np.ndarray]:
        """Apply a normalised action [A] in [-1, 1] for ``action_repeat`` control steps."""
        action = self.checked_action(action)
        total = 0.0
        for _ in range(self.action_repeat):
            total += float(self.env.step(self.denormalise(action)).reward or 0.0)
        self._last_reward = total
        return self.observe()

    def collection_policy(self):
        """The policy that collects this task's datasets: None for the toolkit's exploration, or a
        recipe of the task's own (``begin(task, rng)``, ``act(task, rng) -> [A]``)."""
        return None

    def checked_action(self, action) -> np.ndarray:
        """``action`` as a float64 [A] array, or a ``TaskError`` naming a wrong shape or NaN."""
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.action_dim,):
            raise TaskError(
                f"{self.name}: action must have shape ({self.action_dim},), got {action.shape}"
            )
        if not np.all(np.isfinite(action)):
            raise TaskError(f"{self.name}: action must be finite, got {action}")
        return action

    def reward(self) -> float:
        """The suite's reward of the last agent step, summed over its ``action_repeat`` physics
        steps (before any step: the current state's reward; 0 where the suite gives none)."""
        if self._last_reward is not None:
            return self._last_reward
        return float(self.env.task.get_reward(self.physics) or 0.0)

    def denormalise(self, action: np.ndarray) -> np.ndarray:
        """Map [..., A] actions in [-1, 1] to the actuators' physical range (clipped)."""
        a = np.clip(action, -1.0, 1.0)
        return self._act_low + (a + 1.0) * 0.5 * (self._act_high - self._act_low)

    def observe(self) -> dict[str, np.ndarray]:
        """{'state': [S] float32} and, with pixels, {'pixels': [H, W, 3] uint8}."""
        obs = {"state": self.state_observation()}
        if self.pixels:
            obs["pixels"] = self.render(show_goal=False)
        return obs

    def state_observation(self) -> np.ndarray:
        return np.asarray(self._state_observation(self.physics), dtype=np.float32)

    def physical(self) -> np.ndarray:
        """The current goal-relevant physical quantity [P] (task units)."""
        return self._physical(self.physics).astype(np.float64)

    def distance(self, goal: Goal | None = None) -> float:
        """Physical distance from the current configuration to ``goal`` (default: the episode's)."""
        goal = goal or self.goal
        if goal is None:
            raise TaskError(f"{self.name}: no goal yet; call reset() first")
        return self.distance_fn(self.physical(), goal.physical)

    def success(self, goal: Goal | None = None) -> bool:
        """Whether the physical distance to the goal is at most ``success_threshold``."""
        return self.distance(goal) <= self.success_threshold

    def get_state(self) -> np.ndarray:
        """Full physics state [nstate] (qpos, qvel, act, ...) as MuJoCo's FULLPHYSICS spec."""
        m, d = self.physics.model.ptr, self.physics.data.ptr
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        out = np.empty(mujoco.mj_stateSize(m, spec))
        mujoco.mj_getState(m, d, out, spec)
        return out

    def set_state(self, state: np.ndarray) -> None:
        """Restore a state from ``get_state`` and recompute derived quantities."""
        m, d = self.physics.model.ptr, self.physics.data.ptr
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        state = np.asarray(state, dtype=np.float64)
        if state.shape != (mujoco.mj_stateSize(m, spec),):
            raise TaskError(
                f"{self.name}: physics state must have shape ({mujoco.mj_stateSize(m, spec)},), "
                f"got {state.shape}"
            )
        mujoco.mj_setState(m, d, state, spec)
        mujoco.mj_forward(m, d)

    # ----- rendering ------------------------------------------------------------------
    def render(self, size: int | None = None, show_goal: bool = True) -> np.ndarray:
        """[H, W, 3] uint8 image from the fixed camera; shadows and reflections off (fast)."""
        size = self.image_size if size is None else size
        if self._renderer is None or self._renderer.width != size:
            self.close()
            self._renderer = new_renderer(self.physics.model.ptr, size)
        if not show_goal:
            self._show_goal(self.physics, None)
        self._renderer.update_scene(self.physics.data.ptr, camera=self.camera)
        image = self._renderer.render().copy()
        if not show_goal and self.goal is not None:
            self._show_goal(self.physics, self.goal.physical)
        return image

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - GL context may already be gone at interpreter exit
            pass

    def __repr__(self) -> str:
        dims = f"state_dim={self.state_dim}, action_dim={self.action_dim}, pixels={self.pixels}"
        return f"{type(self).__name__}(name={self.name!r}, {dims})"


def load_suite(domain: str, task: str, random: np.random.RandomState) -> control.Environment:
    """A dm-control suite environment without a time limit (our episodes count their own steps)."""
    from dm_control import suite

    return suite.load(domain, task, task_kwargs={"random": random, "time_limit": float("inf")})

"""Making and seeding OGBench's environments: names, the package's Gymnasium registry, and the
two places where it draws randomness our seeds must reach (see ``tasks.ogbench``)."""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np

from tasks.base import TaskError

DATASET_TYPES = ("navigate", "stitch", "explore", "play", "noisy")
MANIP_PREFIXES = ("cube-", "scene-")
UNSUPPORTED = ("puzzle-", "powderworld-", "visual-")  # no cubes to measure / pixel-only variants


def parse_name(dataset: str) -> tuple[str, str]:
    """OGBench dataset name -> (environment id, dataset type): 'pointmaze-large-navigate-v0' ->
    ('pointmaze-large-v0', 'navigate'); an environment id gets its family's usual type."""
    m = re.fullmatch(r"([a-z0-9-]+?)(?:-(" + "|".join(DATASET_TYPES) + r"))?-(v\d+)", dataset)
    if not m:
        raise TaskError(
            f"OGBench names look like 'pointmaze-medium-navigate-v0' or 'cube-single-play-v0', "
            f"got {dataset!r}"
        )
    env, kind, version = m.groups()
    default = "play" if env.startswith(MANIP_PREFIXES) else "navigate"
    return f"{env}-{version}", kind or default


@contextlib.contextmanager
def numpy_global_seed(seed: int):
    """Seed numpy's global generator (the package draws maze noise from it), then restore it."""
    saved = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(saved)


def seeded_reset(env, seed: int, options: dict | None = None):
    """``env.reset`` with every generator it draws from seeded by ``seed``: its own, the action
    space's (settling steps) and numpy's global one (restored after). Returns (ob, info)."""
    seed = int(seed)
    env._space_rng = np.random.default_rng(seed)  # for a rebuilt space (manipulation)
    env.action_space.seed(seed)
    with numpy_global_seed(seed):
        return env.reset(seed=seed, options=options)


def seedable_action_space(env) -> None:
    """The manipulation environments build a fresh, unseeded action space on every access, and
    their reset settles the goal scene with two random actions from it: give those spaces the
    task's generator (``env._space_rng``, set per episode), so the goal observation is seeded."""
    base = type(env)

    class Seeded(base):
        @property
        def action_space(self):
            with warnings.catch_warnings():  # its float64 bounds warn on every build
                warnings.simplefilter("ignore", UserWarning)
                space = base.action_space.fget(self)
            space._np_random = self._space_rng
            return space

    env.__class__ = Seeded
    env._space_rng = np.random.default_rng(0)


def make_env(dataset: str):
    """(unwrapped environment, its id, dataset type, episode length) for an OGBench dataset name;
    the episode does not end at the goal inside the environment (our episode loop decides)."""
    import gymnasium  # optional: installed with the ogbench extra

    try:
        import ogbench  # noqa: F401 - registers the environments
    except ImportError as e:
        raise TaskError("ogbench tasks need the ogbench package: pip install ogbench") from e
    env_id, kind = parse_name(dataset)
    if env_id.startswith(UNSUPPORTED):
        raise TaskError(
            f"{dataset!r}: not supported (mazes, cube and scene are; for pixels pass "
            "pixels=True to the state environment)"
        )
    if env_id not in gymnasium.registry:
        raise TaskError(f"OGBench has no environment {env_id!r} (from {dataset!r})")
    with warnings.catch_warnings():  # the package's float64 Box bounds warn on every make
        warnings.simplefilter("ignore", UserWarning)
        env = gymnasium.make(env_id, terminate_at_goal=False).unwrapped
    # some OGBench envs define action_space as a property (unseedable), others as an attribute
    if isinstance(getattr(type(env), "action_space", None), property):
        seedable_action_space(env)
    return env, env_id, kind, int(gymnasium.registry[env_id].max_episode_steps)

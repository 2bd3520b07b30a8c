"""Headless rendering for tasks: fast renderers, closed before the interpreter's GL teardown."""

from __future__ import annotations

import atexit
import weakref

import mujoco

_LIVE_TASKS: weakref.WeakSet = weakref.WeakSet()
_ATEXIT_REGISTERED = False


def _close_renderers() -> None:
    # free GL contexts while EGL is still alive; at interpreter teardown freeing them errors
    for task in list(_LIVE_TASKS):
        task.close()


def track_renderer(task) -> None:
    """Close ``task``'s renderer before interpreter exit (EGL must still be alive then)."""
    _LIVE_TASKS.add(task)


def new_renderer(model, size: int) -> mujoco.Renderer:
    """A ``size`` x ``size`` renderer of ``model``; shadows, reflections and skybox off (fast)."""
    global _ATEXIT_REGISTERED
    model.light_castshadow[:] = 0
    model.mat_reflectance[:] = 0
    renderer = mujoco.Renderer(model, size, size)
    # registered after mujoco's GL module registered its own exit hook: ours runs first
    if not _ATEXIT_REGISTERED:
        atexit.register(_close_renderers)
        _ATEXIT_REGISTERED = True
    for flag in (
        mujoco.mjtRndFlag.mjRND_SHADOW,
        mujoco.mjtRndFlag.mjRND_REFLECTION,
        mujoco.mjtRndFlag.mjRND_SKYBOX,
    ):
        renderer.scene.flags[flag] = 0
    return renderer

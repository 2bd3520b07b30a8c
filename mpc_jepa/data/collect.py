"""Dataset collection: roll out an exploration policy in a task and write a dataset atomically.

The dataset is streamed into a temporary sibling directory and renamed into place only when
complete, so a crash or Ctrl-C never leaves a half-written dataset under the final name. A state
dataset's sibling is ``.<name>.partial`` with a checkpoint (episodes done, the generator's state)
written every ``CHECKPOINT_SECONDS``: collecting again with the same settings resumes there, so a
killed hour-long collection loses at most that interval (pixel datasets start over).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mpc_jepa.data.arrays import array_shapes, dataset_bytes, open_arrays
from mpc_jepa.data.dataset import FORMAT_VERSION, Dataset, DatasetError
from mpc_jepa.data.exploration import ExplorationConfig, ExplorationPolicy
from mpc_jepa.data.pixel_store import PixelWriter
from mpc_jepa.files import dumps_json, write_json
from mpc_jepa.outputs import check_replaceable, output_lock
from mpc_jepa.resources import check_disk

CHECKPOINT_SECONDS = 30.0


def coverage(physical: np.ndarray, bounds, bins: int = 10) -> float:
    """Fraction of a ``bins`` x ``bins`` grid over ``bounds`` visited by [N, 2] positions."""
    physical = np.asarray(physical)[:, :2]
    lo = np.array([b[0] for b in bounds[:2]])
    hi = np.array([b[1] for b in bounds[:2]])
    idx = np.floor((physical - lo) / (hi - lo) * bins).astype(int)
    idx = idx[np.all((idx >= 0) & (idx < bins), axis=1)]
    return len({(int(i), int(j)) for i, j in idx}) / bins**2


def collect(
    task,
    out: str | os.PathLike,
    *,
    episodes: int,
    episode_length: int | None = None,
    seed: int = 0,
    exploration: ExplorationConfig = ExplorationConfig(),
    policy=None,
    overwrite: bool = False,
    progress: bool = True,
) -> Dataset:
    """Roll out a collection policy in ``task`` and write a dataset to ``out`` atomically.

    Args:
        task: a ``tasks.Task`` (pixels are stored when it was built with ``pixels=True``).
        out: dataset directory to create; episodes: number of episodes E.
        episode_length: agent steps T per episode (default: the task's); each episode has T+1 rows.
        seed: seeds starts and actions, so collection is reproducible.
        exploration, policy: the exploration policy's settings, or another collection policy
            (see ``ExplorationPolicy``; ``task.collection_policy()`` gives a task's own).
        overwrite: replace an existing dataset at ``out`` (only a dataset: anything else there
            is refused, named).
    Returns:
        The written dataset, opened lazily.
    Raises:
        DatasetError: bad sizes, an existing dataset without ``overwrite``, a damaged partial
            collection; OutputError / OutputLockedError: ``out`` holds something else, or another
            process writes it; ResourceError: the arrays would not fit on the disk.
    """
    out = Path(out)
    if episodes < 1:
        raise DatasetError(f"episodes must be >= 1, got {episodes}")
    T = int(episode_length or task.episode_length)
    if T < 1:
        raise DatasetError(f"episode_length must be >= 1, got {T}")
    if out.exists() and not overwrite:
        raise DatasetError(
            f"dataset {str(out)!r} exists; pass overwrite=True (--overwrite) to replace it"
        )
    check_replaceable(out, "dataset")
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        return _collect_locked(task, out, episodes, T, seed, exploration, policy, progress)


def _collect_locked(task, out: Path, episodes, T, seed, exploration, policy, progress) -> Dataset:
    """``collect`` with the output's lock held."""
    rng = np.random.default_rng(seed)
    policy = policy or ExplorationPolicy(T, exploration)
    settings = _meta(task, episodes, T, seed, exploration, policy)  # a checkpoint must match
    task.reset(seed=int(rng.integers(2**31)))
    check_disk(dataset_bytes(task, episodes * (T + 1)), out, f"{episodes} episodes of {T} steps")
    tmp, done = _staging(task, out, settings)
    try:
        arrays = open_arrays(task, tmp, episodes * (T + 1), mode="r+" if done else "w+")
        if done:
            rng.bit_generator.state = json.loads((tmp / "checkpoint.json").read_text())["rng"]
            print(f"resuming {out} after {done} of {episodes} episodes")
        start_time = time.perf_counter()
        checkpoint = None if task.pixels else partial(_checkpoint, tmp, arrays, settings, rng)
        _record_all(task, tmp, arrays, rng, (done, episodes), T, policy, progress, checkpoint)
        fps = (episodes - done) * (T + 1) / (time.perf_counter() - start_time)  # this run's
        _write_index(task, tmp, arrays, episodes, T, {**settings, "frames_per_second": fps})
        del arrays
        replace_dir(tmp, out)
    except BaseException:
        if not (tmp / "checkpoint.json").exists():  # nothing to resume from
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset(out)


def _staging(task, out: Path, settings: dict) -> tuple[Path, int]:
    """(the directory the dataset is written into, episodes it already holds): a state dataset's
    resumable ``.<name>.partial``, or a fresh temporary directory for pixels."""
    if task.pixels:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent)), 0
    tmp = out.parent / f".{out.name}.partial"
    return tmp, _resume_point(tmp, settings, array_shapes(task, settings["episodes"] * (
        settings["episode_length"] + 1)))  # fmt: skip


def _write_index(task, tmp: Path, arrays: dict, episodes: int, T: int, meta: dict) -> None:
    """Flush the rows; write episode starts and meta.json (with coverage); drop the checkpoint."""
    for a in arrays.values():
        a.flush()
    np.save(tmp / "episode_starts.npy", np.arange(0, episodes * (T + 1) + 1, T + 1, dtype=np.int64))
    bounds = task.coverage_bounds
    meta["coverage_10x10"] = coverage(arrays["physical"], bounds) if bounds else None
    (tmp / "meta.json").write_text(dumps_json(meta))
    (tmp / "checkpoint.json").unlink(missing_ok=True)


def _checkpoint(tmp: Path, arrays: dict, settings: dict, rng, episodes_done: int) -> None:
    """Make the rows of ``episodes_done`` episodes durable and record where to resume."""
    for a in arrays.values():
        a.flush()
    state = {"settings": settings, "done": episodes_done, "rng": rng.bit_generator.state}
    write_json(tmp / "checkpoint.json", state)


def _resume_point(tmp: Path, settings: dict, shapes: dict) -> int:
    """Episodes a checkpoint in ``tmp`` holds for these ``settings`` (0: none; a stale or foreign
    partial directory is removed). A partial collection of these settings whose arrays do not
    have the ``shapes`` it was created with (cut short, replaced) is refused, named."""
    try:
        state = json.loads((tmp / "checkpoint.json").read_text())
        same = state["settings"] == json.loads(dumps_json(settings))
    except (OSError, ValueError, KeyError):
        same = False
    if not same:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return 0
    done = state.get("done")
    if not isinstance(done, int) or not 0 < done < settings["episodes"]:
        raise DatasetError(f"{str(tmp)!r}: checkpoint.json says done={done!r} of "
                           f"{settings['episodes']} episodes; {_START_AFRESH}")  # fmt: skip
    for name, (shape, dtype) in shapes.items():
        try:
            a = np.load(tmp / f"{name}.npy", mmap_mode="r")
        except (OSError, ValueError) as e:
            raise DatasetError(
                f"{str(tmp / f'{name}.npy')!r} is damaged ({e}); {_START_AFRESH}"
            ) from None
        if a.shape != shape or a.dtype != dtype:
            raise DatasetError(
                f"{str(tmp / f'{name}.npy')!r} holds {a.dtype} {a.shape}, the collection "
                f"writes {np.dtype(dtype)} {shape}; {_START_AFRESH}"
            )
    return done


_START_AFRESH = "delete that partial directory to collect afresh"


def _record_all(
    task, tmp: Path, arrays: dict, rng, span: tuple[int, int], T: int, policy, progress, checkpoint
):
    """Episodes ``span`` = (first, end) into ``arrays`` (and, with pixels, ``tmp/pixels.npz``);
    ``checkpoint(episodes_done)`` (if any) every CHECKPOINT_SECONDS."""
    pixel_writer = PixelWriter(tmp / "pixels.npz") if task.pixels else None
    first, episodes = span
    last_save = time.monotonic()
    bar = tqdm(
        range(first, episodes),
        desc=f"collect {task.name}",
        disable=not progress,
        unit="ep",
        initial=first,
        total=episodes,
    )
    for e in bar:
        accepted = False
        while not accepted:  # a policy may refuse an episode (OGBench's scene health check)
            task.reset(seed=int(rng.integers(2**31)), exploration=True)
            policy.begin(task, rng)
            # a collection policy reads the task itself, not the observation
            act = lambda obs: policy.act(task, rng)  # noqa: E731
            frames = record_episode(task, act, T, arrays, e * (T + 1))
            accepted = policy.accept(task)
        if pixel_writer is not None:
            pixel_writer.append(frames)
        due = time.monotonic() - last_save > CHECKPOINT_SECONDS
        if checkpoint is not None and due and e + 1 < episodes:
            checkpoint(e + 1)
            last_save = time.monotonic()
    if pixel_writer is not None:
        pixel_writer.close()


def _meta(task, episodes: int, T: int, seed: int, exploration, policy) -> dict:
    """meta.json's description of a dataset collected from ``task`` by ``policy``."""
    own = not isinstance(policy, ExplorationPolicy)  # a task's recipe, not our exploration
    return {
        "format_version": FORMAT_VERSION,
        "task": task.name,
        "state_dim": task.state_dim,
        "action_dim": task.action_dim,
        "pixels": task.pixels,
        "image_size": task.image_size if task.pixels else None,
        "episodes": episodes,
        "episode_length": T,
        "action_repeat": task.action_repeat,
        "seed": seed,
        "exploration": None if own else asdict(exploration),
        "policy": type(policy).__name__,
    }


def record_episode(task, act, T: int, arrays: dict, row: int = 0) -> np.ndarray | None:
    """Step ``task`` T times from its current state, ``act(obs) -> action [A]`` choosing, writing
    T+1 rows of ``arrays`` (``array_shapes``) from ``row``; the last row has no action (0) and no
    reward. Returns the frames [T+1, H, W, 3] (pixels) or None."""
    obs = task.observe()
    frames = (
        np.empty((T + 1, task.image_size, task.image_size, 3), np.uint8) if task.pixels else None
    )
    for t in range(T + 1):
        arrays["states"][row + t] = obs["state"]
        arrays["physics"][row + t] = task.get_state()
        arrays["physical"][row + t] = task.physical()
        if frames is not None:
            frames[t] = obs["pixels"]
        if t < T:
            action = np.asarray(act(obs), dtype=np.float64)
            arrays["actions"][row + t] = action
            obs = task.step(action)
            arrays["rewards"][row + t] = task.reward()
        else:
            arrays["actions"][row + t] = 0.0
            arrays["rewards"][row + t] = 0.0
    return frames


def replace_dir(tmp: Path, out: Path) -> None:
    """Move a finished ``tmp`` to ``out``; an old ``out`` is moved aside first and then deleted."""
    if out.exists():
        trash = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, trash)
        os.replace(tmp, out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out)

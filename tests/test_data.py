import os
import sys

import numpy as np
import pytest

import tasks
from mpc_jepa import data
from mpc_jepa.data import (
    Dataset,
    DatasetError,
    ExplorationConfig,
    WindowSampler,
    episode_ends,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "pm"
    return data.collect(
        tasks.load("point_mass", seed=0),
        path,
        episodes=6,
        episode_length=20,
        seed=1,
        progress=False,
    )


def test_round_trip_and_format(small):
    ds = Dataset(small.path)
    assert ds.num_episodes == 6 and len(ds) == 6 * 21
    assert ds["states"].shape == (126, 4) and ds["actions"].shape == (126, 2)
    assert isinstance(ds["states"], np.memmap)  # lazily loaded
    ep = ds.episode(2)
    assert ep["states"].shape == (21, 4)
    assert np.all(ep["actions"][-1] == 0) and np.all(np.abs(ds["actions"]) <= 1)
    # the stored physics state reproduces the stored observation
    t = tasks.load("point_mass", seed=0)
    t.set_state(ep["physics"][5])
    np.testing.assert_allclose(t.state_observation(), ep["states"][5], atol=1e-6)


def test_collection_is_reproducible(small, tmp_path):
    again = data.collect(
        tasks.load("point_mass", seed=0),
        tmp_path / "again",
        episodes=6,
        episode_length=20,
        seed=1,
        progress=False,
    )
    np.testing.assert_array_equal(np.asarray(again["states"]), np.asarray(small["states"]))


def test_windows_never_cross_episodes(small):
    sampler = WindowSampler(small, length=5)
    assert len(sampler) == 6 * (21 - 5)
    rng = np.random.default_rng(0)
    batch = sampler.sample(256, rng)
    assert batch["states"].shape == (256, 6, 4) and batch["actions"].shape == (256, 5, 2)
    starts = small.episode_starts
    t0 = sampler.starts
    ep_first = np.searchsorted(starts, t0, side="right")
    ep_last = np.searchsorted(starts, t0 + 5, side="right")
    assert np.all(ep_first == ep_last)
    # windows are contiguous rows: the first and last observation are where they should be
    w = sampler.windows(t0[:3])
    np.testing.assert_array_equal(w["states"][:, -1], np.asarray(small["states"])[t0[:3] + 5])
    ends = episode_ends(small.episode_starts)  # each row's episode's last row
    next_start = starts[np.searchsorted(starts, np.arange(len(small)), side="right")]
    assert ends.shape == (len(small),) and np.all(ends == next_start - 1)


def test_exploration_moves_the_point_mass():
    rng = np.random.default_rng(0)
    acts = data.exploration_actions(rng, 200, 2, ExplorationConfig())
    assert acts.shape == (200, 2) and np.all(np.abs(acts) <= 1)
    # temporally correlated: consecutive actions are close far more often than for i.i.d. uniform
    assert np.mean(np.abs(np.diff(acts, axis=0))) < 0.3


def test_coverage_of_point_mass_dataset(small):
    assert 0 < small.meta["coverage_10x10"] <= 1
    assert data.coverage(np.array([[0.0, 0.0]]), ((-1, 1), (-1, 1))) == 0.01


def test_existing_dataset_is_not_overwritten_silently(small):
    with pytest.raises(DatasetError, match="exists"):
        data.collect(tasks.load("point_mass"), small.path, episodes=1, progress=False)


def test_bad_paths_name_the_value(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        Dataset("")
    with pytest.raises(DatasetError, match="nowhere"):
        Dataset(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="episodes must be >= 1, got 0"):
        data.collect(tasks.load("point_mass"), tmp_path / "x", episodes=0, progress=False)
    with pytest.raises(DatasetError, match="hold_min"):
        ExplorationConfig(hold_min=0)


def test_interrupted_collection_leaves_nothing(tmp_path, monkeypatch):
    task = tasks.load("point_mass", seed=0)
    calls = {"n": 0}
    real_step = task.step

    def step(a):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return real_step(a)

    monkeypatch.setattr(task, "step", step)
    with pytest.raises(KeyboardInterrupt):
        data.collect(task, tmp_path / "ds", episodes=4, episode_length=20, progress=False)
    assert os.listdir(tmp_path) == []


def test_killed_collection_resumes_where_it_stopped(tmp_path, monkeypatch):
    collect_module = sys.modules["mpc_jepa.data.collect"]  # the package exports the function
    monkeypatch.setattr(collect_module, "CHECKPOINT_SECONDS", 0.0)  # after every episode
    task = tasks.load("point_mass", seed=0)
    kw = dict(episodes=5, episode_length=20, seed=4, progress=False)
    whole = data.collect(task, tmp_path / "whole", **kw)
    calls, real_step = {"n": 0}, task.step

    def step(a):
        calls["n"] += 1
        if calls["n"] == 65:  # in the fourth episode
            raise KeyboardInterrupt
        return real_step(a)

    monkeypatch.setattr(task, "step", step)
    with pytest.raises(KeyboardInterrupt):
        data.collect(task, tmp_path / "ds", **kw)
    assert sorted(os.listdir(tmp_path)) == [".ds.partial", "whole"]  # no dataset, a checkpoint
    monkeypatch.setattr(task, "step", real_step)
    calls["n"] = 0
    with pytest.raises(DatasetError, match="exists"):  # the checkpoint's settings: not resumed
        data.collect(task, tmp_path / "whole", **{**kw, "episodes": 6})
    resumed = data.collect(task, tmp_path / "ds", **kw)
    for k in ("states", "actions", "physics"):
        assert np.array_equal(np.asarray(resumed[k]), np.asarray(whole[k])), k
    assert sorted(os.listdir(tmp_path)) == ["ds", "whole"]
    other = data.collect(task, tmp_path / "other", **{**kw, "seed": 5})  # fresh, not the partial
    assert not np.array_equal(np.asarray(other["states"]), np.asarray(whole["states"]))


def test_overwrite_replaces_atomically(small, tmp_path):
    path = tmp_path / "ds"
    data.collect(tasks.load("point_mass"), path, episodes=2, episode_length=5, progress=False)
    ds = data.collect(
        tasks.load("point_mass"), path, episodes=3, episode_length=5, overwrite=True, progress=False
    )
    assert ds.num_episodes == 3 and sorted(os.listdir(tmp_path)) == ["ds"]


@pytest.fixture(scope="module")
def pixels(tmp_path_factory):
    path = tmp_path_factory.mktemp("px") / "pm"
    task = tasks.load("point_mass", seed=0, pixels=True, image_size=32)
    return data.collect(task, path, episodes=5, episode_length=12, seed=2, progress=False)


def test_pixels_are_compressed_and_read_lazily(pixels):
    from mpc_jepa.data.pixel_store import PixelStore

    ds = Dataset(pixels.path)
    store = ds["pixels"]
    assert (
        isinstance(store, PixelStore)
        and store.shape == (5 * 13, 32, 32, 3)
        and store.dtype == np.uint8
    )
    raw_bytes = 5 * 13 * 32 * 32 * 3
    # flat backgrounds deflate well
    assert os.path.getsize(pixels.path / "pixels.npz") < raw_bytes / 5
    rows = np.array([0, 14, 13, 64, 27])  # across episodes, out of order
    lazy = store[rows]
    assert store._all is None  # nothing decompressed beyond the touched episodes
    everything = store.load()
    np.testing.assert_array_equal(lazy, everything[rows])
    np.testing.assert_array_equal(ds.episode(1)["pixels"], everything[13:26])
    # the stored frame is what the camera sees in the stored physics state
    t = tasks.load("point_mass", seed=0, pixels=True, image_size=32)
    t.reset(0)
    t.set_state(ds.episode(3)["physics"][4])
    np.testing.assert_array_equal(t.observe()["pixels"], everything[3 * 13 + 4])
    with pytest.raises(IndexError, match="out of range"):
        Dataset(pixels.path)["pixels"][np.array([65])]


def test_pixel_store_refuses_an_archive_of_another_dataset(pixels, tmp_path):
    import shutil

    from mpc_jepa.data.pixel_store import PixelStore

    with pytest.raises(ValueError, match="holds 5 episodes, the dataset has 4"):
        PixelStore(pixels.path / "pixels.npz", np.arange(0, 53, 13))
    with pytest.raises(ValueError, match="episode 0 has 13 frames, the dataset 12"):
        PixelStore(pixels.path / "pixels.npz", np.array([0, 12, 25, 38, 51, 64]))
    cut = tmp_path / "cut.npz"
    cut.write_bytes((pixels.path / "pixels.npz").read_bytes()[:1000])
    with pytest.raises(ValueError, match="cut.npz.*not a readable image archive"):
        PixelStore(cut, np.arange(0, 66, 13))
    old = tmp_path / "old"  # datasets written before compression stored pixels.npy: still readable
    shutil.copytree(pixels.path, old)
    np.save(old / "pixels.npy", Dataset(pixels.path)["pixels"].load())
    (old / "pixels.npz").unlink()
    np.testing.assert_array_equal(
        np.asarray(Dataset(old)["pixels"]), Dataset(pixels.path)["pixels"].load()
    )


def test_a_refused_episode_is_recorded_again(tmp_path):
    """A collection policy's ``accept`` (OGBench's scene health check) re-records an episode."""
    from mpc_jepa.data.exploration import ExplorationPolicy
    from tasks.ogbench_recipes import _cube_healthy

    class EveryOther(ExplorationPolicy):
        tries = 0

        def accept(self, task):
            self.tries += 1
            return self.tries % 2 == 0  # the first try of every episode is refused

    task = tasks.load("point_mass", seed=0)
    policy = EveryOther(10)
    ds = data.collect(task, tmp_path / "d", episodes=3, episode_length=10, policy=policy,
                      progress=False)  # fmt: skip
    assert policy.tries == 6 and ds.num_episodes == 3
    again = data.collect(task, tmp_path / "e", episodes=3, episode_length=10,
                         policy=EveryOther(10), progress=False)  # fmt: skip
    assert np.array_equal(np.asarray(ds["states"]), np.asarray(again["states"]))
    plain = data.collect(task, tmp_path / "f", episodes=3, episode_length=10, progress=False)
    assert not np.array_equal(np.asarray(plain["states"]), np.asarray(ds["states"]))
    assert _cube_healthy([0.4, 0.0, 0.02]) and _cube_healthy([0.4, -0.35, 0.07])  # table, drawer
    assert not _cube_healthy([0.4, 0.3, 0.02]) and not _cube_healthy([0.4, -0.35, 0.02])

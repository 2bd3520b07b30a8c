"""OGBench tasks: the adapter's contract, the navigate recipe, .npz import, the protocol."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa.control import run_episode, run_episodes
from mpc_jepa.data import Dataset, DatasetError, collect, import_npz
from mpc_jepa.evaluation.closed_loop import summarize
from mpc_jepa.models.oracle import OracleModel
from tasks.ogbench_env import parse_name
from tasks.ogbench_recipes import bfs_steps, next_cell, vertex_cells

MEDIUM = "ogbench:pointmaze-medium-navigate-v0"
NAMES = [
    MEDIUM,
    "ogbench:pointmaze-large-navigate-v0",
    "ogbench:pointmaze-giant-navigate-v0",
    "ogbench:antmaze-medium-navigate-v0",
    "ogbench:cube-single-play-v0",
    "ogbench:cube-double-play-v0",
    "ogbench:scene-play-v0",
]


@pytest.fixture(scope="module")
def medium():
    return tasks.load(MEDIUM, seed=0)


def test_names_parse_and_bad_names_are_named():
    assert parse_name("pointmaze-giant-navigate-v0") == ("pointmaze-giant-v0", "navigate")
    assert parse_name("cube-single-play-v0") == ("cube-single-v0", "play")
    assert parse_name("pointmaze-medium-v0") == ("pointmaze-medium-v0", "navigate")
    with pytest.raises(tasks.TaskError, match="nomaze-medium-v0"):
        tasks.load("ogbench:nomaze-medium-navigate-v0")
    with pytest.raises(tasks.TaskError, match="Pointmaze"):
        tasks.load("ogbench:Pointmaze")
    with pytest.raises(tasks.TaskError, match="not supported"):
        tasks.load("ogbench:puzzle-3x3-play-v0")


@pytest.mark.parametrize("name", NAMES)
def test_task_contract(name):
    task = tasks.load(name, seed=0)
    assert task.episode_length == {"cube-single": 200, "cube-double": 500, "scene": 750}.get(
        name.split(":")[1].rsplit("-", 2)[0], 1000
    )
    state = np.random.get_state()[1].copy()
    obs = task.reset(seed=7)
    assert np.array_equal(np.random.get_state()[1], state)  # numpy's global generator untouched
    assert task.task_id == 1 + 7 % 5
    assert obs["state"].shape == (task.state_dim,) and obs["state"].dtype == np.float32
    assert task.goal.state.shape == (task.state_dim,)
    again = task.reset(seed=7)  # reproducible from the seed: start and goal
    assert np.array_equal(obs["state"], again["state"])
    goal = task.goal
    task.reset(seed=7)
    assert np.array_equal(goal.state, task.goal.state)
    assert np.array_equal(goal.physical, task.goal.physical)
    if task.success_dims:  # what the success test reads: the goal's target, as observed
        seen = goal.state[list(task.success_dims)]
        if "cube" in name:  # the package observes cube positions as (xyz - (0.425, 0, 0)) * 10
            seen = (seen.reshape(-1, 3) / 10 + [0.425, 0, 0]).ravel()
        np.testing.assert_allclose(seen, goal.physical, atol=1e-3)
    saved = task.get_state()
    after = task.step(np.full(task.action_dim, 0.5))["state"]
    task.set_state(saved)
    assert np.array_equal(task.step(np.full(task.action_dim, 0.5))["state"], after)
    with pytest.raises(tasks.TaskError, match="shape"):
        task.step(np.zeros(task.action_dim + 1))
    with pytest.raises(tasks.TaskError, match="finite"):
        task.step(np.full(task.action_dim, np.nan))
    assert task.render(size=32).shape == (32, 32, 3)
    assert task.distance() >= 0 and isinstance(task.success(), bool)


def test_goal_physics_state_succeeds_and_start_does_not(medium):
    medium.reset(seed=0)  # task 1: corner to corner
    assert not medium.success() and medium.distance() > 10
    medium.set_state(medium.goal.physics_state)
    assert medium.success() and medium.distance() < 1e-9
    np.testing.assert_allclose(medium.goal.state, medium.goal.physical, atol=1e-6)


def test_maze_search_helpers(medium):
    maze = medium.env.maze_map
    goal = (6, 6)
    dist = bfs_steps(maze, goal)
    assert dist[goal] == 0 and dist[1, 1] > 0 and (dist[maze == 1] == -1).all()
    cell = (1, 1)  # following next_cell walks the BFS distance down to the goal
    for _ in range(int(dist[1, 1])):
        nxt = next_cell(dist, cell)
        assert dist[nxt] == dist[cell] - 1 and abs(nxt[0] - cell[0]) + abs(nxt[1] - cell[1]) == 1
        cell = nxt
    assert cell == goal
    corridor = [(i, j) for i, j in zip(*np.nonzero(maze == 0)) if (i, j) not in vertex_cells(maze)]
    for i, j in corridor:  # every non-vertex cell is a straight corridor
        assert (maze[i - 1, j] == maze[i + 1, j] == 0) != (maze[i, j - 1] == maze[i, j + 1] == 0)


def test_navigate_recipe_structure_noise_and_arrivals(tmp_path, medium):
    policy = medium.collection_policy()
    ds = collect(medium, tmp_path / "d", episodes=4, episode_length=300, seed=3, policy=policy,
                 progress=False)  # fmt: skip
    assert ds.num_episodes == 4 and len(ds) == 4 * 301 and ds.meta["policy"] == "NavigatePolicy"
    a = np.asarray(ds["actions"])
    last = ds.episode_starts[1:] - 1
    assert (a[last] == 0).all() and np.abs(a).max() <= 1.0
    inner = np.delete(a, last, axis=0)
    # unit direction + N(0, 0.5^2), clipped: per-axis std ~0.70 (OGBench's file: 0.70)
    assert 0.6 < inner.std() < 0.8
    assert ds["rewards"][:].sum() >= 4  # the expert arrives at its goals (then draws new ones)
    steps = np.linalg.norm(np.diff(np.asarray(ds["states"]), axis=0), axis=1)
    steps = np.delete(steps, last[:-1])  # 0.2 per unit action, plus contacts pushing off walls
    assert np.quantile(steps, 0.95) <= 0.2 * np.sqrt(2) + 1e-5 and steps.max() < 0.5
    again = collect(medium, tmp_path / "e", episodes=4, episode_length=300, seed=3,
                    policy=medium.collection_policy(), progress=False)  # fmt: skip
    assert np.array_equal(np.asarray(again["states"]), np.asarray(ds["states"]))


def test_cube_play_recipe_picks_and_places_reproducibly(tmp_path):
    cube = tasks.load("ogbench:cube-single-play-v0", seed=0)
    assert (cube.recipe.collect_episodes, cube.recipe.collect_length) == (1000, 1000)  # OGBench's
    ds = collect(cube, tmp_path / "c", episodes=2, episode_length=120, seed=3,
                 policy=cube.collection_policy(), progress=False)  # fmt: skip
    assert ds.meta["policy"] == "CubePlayPolicy" and ds.num_episodes == 2
    a = np.asarray(ds["actions"])
    assert np.abs(a).max() <= 1.0
    cube_z = np.asarray(ds["physical"])[:, 2]  # the cube's height: on the table at 0.02 m
    assert cube_z.max() > 0.06  # picked up and carried
    starts = np.asarray(ds["physical"])[ds.episode_starts[:2]]
    assert np.linalg.norm(starts[0] - starts[1]) > 0.01  # each episode its own random cube pose
    again = collect(cube, tmp_path / "d", episodes=2, episode_length=120, seed=3,
                    policy=cube.collection_policy(), progress=False)  # fmt: skip
    assert np.array_equal(np.asarray(again["states"]), np.asarray(ds["states"]))
    cube.reset(seed=5)  # evaluation again: OGBench's task 1 + 5 % 5, its goal
    assert cube.env._mode == "task" and cube.task_id == 1 and not cube.success()
    double = tasks.load("ogbench:cube-double-play-v0", seed=0)  # OGBench's recipe, two cubes
    dd = collect(double, tmp_path / "dd", episodes=2, episode_length=150, seed=0,
                 policy=double.collection_policy(), progress=False)  # fmt: skip
    assert np.asarray(dd["physical"])[:, [2, 5]].max(0).min() > 0.06  # each cube lifted
    scene = tasks.load("ogbench:scene-play-v0", seed=0)  # four oracles, the health check
    sc = collect(scene, tmp_path / "sc", episodes=1, episode_length=200, seed=0,
                 policy=scene.collection_policy(), progress=False)  # fmt: skip
    assert np.ptp(np.asarray(sc["states"]), axis=0).max() > 0.05  # something moved
    with pytest.raises(tasks.TaskError, match="only pointmaze navigate and cube and scene play"):
        tasks.load("ogbench:cube-single-noisy-v0", seed=0).collection_policy()


def test_npz_import(tmp_path, medium):
    ds = collect(medium, tmp_path / "d", episodes=3, episode_length=50, seed=0,
                 policy=medium.collection_policy(), progress=False)  # fmt: skip
    phys = np.asarray(ds["physics"])
    nq = medium.model.nq
    terminals = np.zeros(len(ds), np.float32)
    terminals[ds.episode_starts[1:] - 1] = 1
    actions = np.asarray(ds["actions"]).copy()
    actions[ds.episode_starts[1:] - 1] = 0.3  # OGBench stores an action on every row
    np.savez_compressed(
        tmp_path / "og.npz",
        observations=np.asarray(ds["states"]),
        actions=actions,
        terminals=terminals,
        qpos=phys[:, 1 : 1 + nq].astype(np.float32),
        qvel=phys[:, 1 + nq : 1 + 2 * nq].astype(np.float32),
    )
    out = import_npz(medium, tmp_path / "og.npz", tmp_path / "imported", progress=False)
    assert isinstance(out, Dataset) and out.num_episodes == 3
    assert np.array_equal(out.episode_starts, ds.episode_starts)
    assert np.array_equal(np.asarray(out["states"]), np.asarray(ds["states"]))
    assert np.array_equal(np.asarray(out["actions"]), np.asarray(ds["actions"]))
    np.testing.assert_allclose(out["physical"], ds["physical"], atol=1e-5)
    np.savez(tmp_path / "bad.npz", observations=np.zeros((3, 2)), actions=np.zeros((3, 2)))
    with pytest.raises(DatasetError, match="terminals"):
        import_npz(medium, tmp_path / "bad.npz", tmp_path / "x", progress=False)


def test_oracle_rollout_equals_the_environment(medium):
    medium.reset(seed=2)
    oracle = OracleModel(medium)
    z0 = medium.get_state()
    actions = np.random.default_rng(0).uniform(-1, 1, (1, 30, 2))
    predicted = oracle.rollout(torch.tensor(z0)[None], torch.tensor(actions))[0, 1:].numpy()
    stepped = []
    for a in actions[0]:
        medium.step(a)
        stepped.append(medium.get_state())
    np.testing.assert_array_equal(predicted, np.array(stepped))
    cube = tasks.load("ogbench:cube-single-play-v0")
    with pytest.raises(tasks.TaskError, match="no oracle"):
        OracleModel(cube).rollout(torch.tensor(cube.get_state())[None], torch.zeros(1, 2, 5))


class _WaypointController:
    """Noise-free BFS waypoint expert towards the episode's goal (the protocol's stand-in planner:
    the test is about episode ends, task ids and summaries, not planning)."""

    model = None

    def __init__(self, task):
        self.task = task

    def reset(self, goal):
        self.goal_cell = self.task.env.xy_to_ij(self.task.goal.physical)
        self.dist = bfs_steps(self.task.env.maze_map, self.goal_cell)

    def reset_batch(self, goals):  # the episode loop runs a batch of one
        self.reset(goals[0])

    def act_batch(self, obs, active=None):
        return np.stack([self.act(o) for o in obs])

    def act(self, obs):
        env, xy = self.task.env, np.asarray(obs)[:2]
        cell = env.xy_to_ij(xy)
        target = self.task.goal.physical if cell == self.goal_cell else None
        if target is None:
            target = np.asarray(env.ij_to_xy(next_cell(self.dist, cell)))
        return np.clip((target - xy) / (np.linalg.norm(target - xy) + 1e-6), -1, 1)


def test_protocol_episode_ends_at_success_and_names_its_task(medium):
    result = run_episode(medium, _WaypointController(medium), 2, max_steps=1000)
    assert result.success and result.task_id == 3 and 10 < result.steps < 1000
    assert medium.success() and result.final_distance <= 1.0
    short = run_episode(medium, _WaypointController(medium), 0, max_steps=30)
    assert not short.success and short.steps == 30 and short.task_id == 1  # runs its length
    summary = summarize([result.as_dict(), short.as_dict()])
    assert summary["success_rate_per_task"] == {"task1": 0.0, "task3": 1.0}
    assert summary["mean_steps"] == (result.steps + 30) / 2


class _WaypointBatch:
    model = None

    def __init__(self, tasks_):
        self.experts = [_WaypointController(t) for t in tasks_]

    def reset_batch(self, goals):
        for e in self.experts:
            e.reset(None)

    def act_batch(self, obs, active=None):
        return np.stack([e.act(o) for e, o in zip(self.experts, obs)])


def test_batched_protocol_finishes_each_episode_at_its_success(medium):
    alone = run_episode(medium, _WaypointController(medium), 2, max_steps=1000)
    pair = [medium, medium.spawn()]
    results = run_episodes(pair, _WaypointBatch(pair), [2, 0], max_steps=[1000, 60])
    assert results[0].success and results[0].steps == alone.steps  # ended at its own success
    assert not results[1].success and results[1].steps == 60
    assert [r.task_id for r in results] == [3, 1]

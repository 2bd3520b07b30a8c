"""The maze task: walls where the layout says, geodesics around the wall tips, starts and goals in
opposite outer corridors. (The task contract tests in test_tasks.py cover it as every task.)"""

import numpy as np
import pytest

import tasks
from tasks.maze import _TIPS, HALF, WALL_X, corridor_of, geodesic_distance


def test_geodesic_bends_around_the_wall_tips():
    a, b = np.array([-0.2, -0.2]), np.array([0.2, 0.2])
    expected = (
        np.linalg.norm(_TIPS[0] - a)
        + np.linalg.norm(_TIPS[1] - _TIPS[0])
        + np.linalg.norm(b - _TIPS[1])
    )
    assert geodesic_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert geodesic_distance(b, a) == pytest.approx(expected, rel=1e-9)
    # one corridor: straight
    assert geodesic_distance([-0.2, -0.2], [-0.2, 0.1]) == pytest.approx(0.3)
    # left to middle: round the top of the left wall, straight when the line passes through the gap
    assert geodesic_distance([-0.2, 0.0], [0.0, 0.0]) == pytest.approx(
        np.linalg.norm(_TIPS[0] - [-0.2, 0.0]) + np.linalg.norm(_TIPS[0])
    )
    assert geodesic_distance([-0.2, 0.27], [0.0, 0.27]) == pytest.approx(0.2)
    batch = geodesic_distance(np.stack([a, a]), np.stack([b, [-0.2, 0.1]]))
    assert (
        batch.shape == (2,)
        and batch[0] == pytest.approx(expected)
        and batch[1] == pytest.approx(0.3)
    )
    # the detour is long: what makes greedy planning fail
    assert expected > 3 * np.linalg.norm(b - a) / 2


def test_walls_block_the_mass_and_the_gaps_let_it_through():
    task = tasks.load("maze", seed=0)
    task.set_position(np.array([-0.2, 0.0]))
    for _ in range(60):
        task.step(np.array([1.0, 0.0]))
    assert task.physical()[0] < -WALL_X  # pushed into the left wall: stays in the left corridor
    task.set_position(np.array([-0.2, 0.27]))
    for _ in range(60):
        task.step(np.array([1.0, 0.0]))
    assert corridor_of(task.physical()) == 1  # through the top gap, stopped by the right wall
    with pytest.raises(ValueError, match=r"clear of the walls, got \[-0.1, 0.0\]"):
        task.set_position(np.array([-WALL_X, 0.0]))


def test_episodes_cross_the_maze_and_exploration_covers_it():
    task = tasks.load("maze", seed=0)
    for seed in range(20):
        obs = task.reset(seed=seed)
        start, goal = corridor_of(obs["state"][:2]), corridor_of(task.goal.physical)
        assert {int(start), int(goal)} == {0, 2}
        assert geodesic_distance(obs["state"][:2], task.goal.physical) > 0.6
    starts = np.array([task.reset(seed=s, exploration=True)["state"][:2] for s in range(200)])
    assert set(np.unique(corridor_of(starts))) == {0, 1, 2}
    assert (
        np.all(np.abs(starts) <= HALF)
        and np.isfinite(geodesic_distance(starts, starts[::-1])).all()
    )


def test_geometry_diagnostics_read_the_maze(tmp_path):
    import torch

    from mpc_jepa import data
    from mpc_jepa.diagnostics.task_geometry import geodesic_rank_correlation
    from mpc_jepa.models import JEPAWorldModel, WorldModelConfig

    ds = data.collect(
        tasks.load("maze", seed=0),
        tmp_path / "mz",
        episodes=10,
        episode_length=30,
        seed=0,
        progress=False,
    )
    model = JEPAWorldModel.build(WorldModelConfig(latent_dim=8, hidden=32), 4, 2).eval()
    maze = tasks.load("maze", seed=0)
    rho = geodesic_rank_correlation(model, ds, maze, num_rows=300, num_pairs=3000)
    assert rho["long_pairs"] > 0 and all(
        -1 <= rho[k] <= 1 for k in rho if k.endswith("geodesic") or k.endswith("euclidean")
    )

    # a "model" whose latent is the position: its straight-line distance ignores the walls
    class Oracle:
        def encode(self, states):
            return torch.as_tensor(states)[:, :2]

    exact = geodesic_rank_correlation(Oracle(), ds, maze, num_rows=300, num_pairs=3000)
    assert (
        exact["spearman_euclidean"] > 0.99
        and exact["long_spearman_geodesic"] < exact["spearman_euclidean"]
    )

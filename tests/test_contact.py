"""The contact benchmark's parts (diagnostics.contact) on cube-single play data, and the
controller's moving goal."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa.control import MPCController
from mpc_jepa.costs import GoalDistance, ReturnCost
from mpc_jepa.data import collect
from mpc_jepa.diagnostics.contact import (
    fit_position_probe,
    follow_segment,
    pick_and_places,
    probe_errors,
    select_segments,
)
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.planners import CEMConfig, CEMPlanner

CUBE = "ogbench:cube-single-play-v0"


def test_pick_and_places_finds_the_lift_and_the_rest_of_a_move():
    table, still = np.array([0.3, 0.0, 0.02]), 15
    up = np.linspace(0, 1, 20)[:, None]
    carry = table + up * np.array([0.2, 0.1, 0.0]) + np.sin(np.pi * up) * np.array([0, 0, 0.1])
    # a real move, then a lift that puts the cube back where it was (skipped)
    back = carry[-1] + np.sin(np.pi * up) * np.array([0, 0, 0.1])
    pos = np.concatenate([np.repeat(table[None], still, 0), carry,
                          np.repeat(carry[-1:], still, 0), back,
                          np.repeat(back[-1:], still, 0)])  # fmt: skip
    events = pick_and_places(pos)
    assert len(events) == 1
    lift, rest = events[0]
    assert pos[lift, 2] > 0.04 >= pos[lift - 1, 2]  # first step above the table + 2 cm
    assert rest == still + len(carry) - 1  # the carry's last step: still from there on
    with pytest.raises(ValueError, match=r"\[T, 3\]"):
        pick_and_places(pos[:, :2])


class _Replay:
    """Plays the dataset's own actions from a row on (a perfect follower)."""

    def __init__(self, actions, start):
        self.actions, self.row = actions, start

    def reset(self, goal):
        """A replay has no use for the goal."""

    def act(self, obs):
        self.row += 1
        return np.asarray(self.actions[self.row - 1], dtype=np.float64)


class _Still:
    """Never moves; counts the goals it is given."""

    goals = 0

    def reset(self, goal):
        self.goals = 1

    def retarget(self, goal):
        self.goals += 1

    def act(self, obs):
        return np.zeros(5)


@pytest.fixture(scope="module")
def cube_data(tmp_path_factory):
    task = tasks.load(CUBE, seed=0)
    ds = collect(task, tmp_path_factory.mktemp("cube") / "ds", episodes=4, episode_length=300,
                 seed=0, policy=task.collection_policy(), progress=False)  # fmt: skip
    return task, ds


def test_a_segment_followed_with_its_own_actions_ends_where_the_data_did(cube_data):
    task, ds = cube_data
    segments = select_segments(ds, np.arange(ds.num_episodes), count=2, seed=0)
    assert segments == select_segments(ds, np.arange(ds.num_episodes), count=2, seed=0)
    for g in segments:
        cube = np.asarray(ds["physical"][g.start : g.end + 1])
        assert np.linalg.norm(cube[-1] - cube[0]) >= 0.05  # the cube moved
        replay = follow_segment(task, _Replay(ds["actions"], g.start), ds, g, None, 0)
        assert replay["final_error"] < 1e-3
        # the measurement can fail: an arm that stays still leaves the cube where it was
        still = _Still()
        assert follow_segment(task, still, ds, g, 5, 0)["final_error"] >= 0.05
        assert still.goals == g.length  # a new subgoal every step
    with pytest.raises(ValueError, match="hold a pick-and-place; 100 wanted"):
        select_segments(ds, np.arange(ds.num_episodes), count=100)


def test_probe_errors_beside_the_copy_baseline(cube_data):
    _, ds = cube_data
    segments = select_segments(ds, np.arange(ds.num_episodes), count=2, seed=0)
    model = JEPAWorldModel.build(WorldModelConfig(latent_dim=8, hidden=32), 28, 5).eval()
    probe = fit_position_probe(model, ds, np.arange(0, len(ds), 3))
    out = probe_errors(model, ds, segments, probe, horizons=(5,))
    starts = np.concatenate([np.arange(g.start, g.end) for g in segments])
    cube = np.asarray(ds["physical"])
    moved = np.linalg.norm(cube[starts + 5] - cube[starts], axis=1).mean()
    assert out["copy_h5"] == pytest.approx(moved)
    assert np.isfinite(out["model_h5"]) and out["probe_floor_h5"] >= 0


def test_retarget_keeps_the_warm_start_and_aims_at_the_new_goal():
    model = JEPAWorldModel.build(WorldModelConfig(latent_dim=4, hidden=16), 4, 2).eval()
    planner = CEMPlanner(model, CEMConfig(horizon=4, num_samples=16, num_elites=4, num_iters=1))
    ctl = MPCController(model, planner, GoalDistance())
    ctl.reset(np.zeros(4, np.float32))
    ctl.act(np.ones(4, np.float32))
    plan, goal = ctl.plan_, np.full(4, 2.0, np.float32)
    ctl.retarget(goal)
    assert ctl.plan_ is plan and ctl.t == 1  # the warm start and the clock are kept
    with torch.no_grad():
        assert torch.equal(ctl.cost.goal, model.encode(torch.as_tensor(goal)[None]))
    with pytest.raises(ValueError, match="ReturnCost takes no goal"):
        MPCController(model, planner, ReturnCost(heads=None)).retarget(goal)

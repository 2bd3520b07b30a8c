"""Contract tests parameterised over every registered task (and one dm-control suite task)."""

import numpy as np
import pytest

import tasks
from tasks import TaskError

ALL = tasks.names() + ["dmc:cheetah-run"]


@pytest.fixture(params=ALL)
def task(request):
    return tasks.load(request.param, seed=3)


def test_reset_is_deterministic_under_a_seed(task):
    a = task.reset(seed=7)["state"]
    ga = task.goal.physical
    b = task.reset(seed=7)["state"]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ga, task.goal.physical)
    c = task.reset(seed=8)["state"]
    assert not np.array_equal(a, c) or not np.array_equal(ga, task.goal.physical)


def test_shapes_bounds_and_finite(task):
    obs = task.reset(seed=0)
    assert obs["state"].shape == (task.state_dim,) and obs["state"].dtype == np.float32
    rng = np.random.default_rng(0)
    for _ in range(20):
        obs = task.step(rng.uniform(-1, 1, task.action_dim))
        assert np.all(np.isfinite(obs["state"]))
    np.testing.assert_array_equal(
        task.denormalise(np.full(task.action_dim, 5.0)), task.denormalise(np.ones(task.action_dim))
    )


def test_goal_reachable_and_success_test(task):
    task.reset(seed=1)
    goal = task.goal
    assert goal.state.shape == (task.state_dim,)
    start = task.get_state()
    task.set_state(goal.physics_state)  # the goal configuration is a valid physics state
    assert task.success()
    np.testing.assert_allclose(task.state_observation(), goal.state, atol=1e-5)
    task.set_state(start)
    # a configuration far from the goal fails the test
    far = [task.reset(seed=s) and task.distance() for s in range(20)]
    assert max(far) > task.success_threshold


def test_state_round_trip(task):
    task.reset(seed=2)
    for _ in range(5):
        task.step(np.ones(task.action_dim) * 0.5)
    s = task.get_state()
    obs = task.state_observation()
    task.step(-np.ones(task.action_dim))
    task.set_state(s)
    np.testing.assert_allclose(task.state_observation(), obs, atol=1e-6)


@pytest.mark.parametrize("name", ["point_mass", "two_room"])
def test_pixels_shape_and_dtype(name):
    t = tasks.load(name, seed=0, pixels=True, image_size=32)
    obs = t.reset(seed=0)
    assert obs["pixels"].shape == (32, 32, 3) and obs["pixels"].dtype == np.uint8
    assert t.goal.pixels.shape == (32, 32, 3)
    assert obs["pixels"].std() > 0  # not a blank frame


def test_two_room_start_and_goal_in_different_rooms():
    from tasks.two_room import room_of

    t = tasks.load("two_room", seed=0)
    for s in range(20):
        t.reset(seed=s)
        assert room_of(t.physical()) != room_of(t.goal.physical)


def test_pendulum_goal_is_upright_and_start_hangs():
    t = tasks.load("pendulum", seed=0)
    t.reset(seed=0)
    assert abs(t.goal.physical[0]) < 1e-9
    assert t.distance() > 2.5


def test_bad_input_names_the_value():
    with pytest.raises(TaskError, match="no_such_task"):
        tasks.load("no_such_task")
    with pytest.raises(TaskError, match="nope-run"):
        tasks.load("dmc:nope-run")
    with pytest.raises(TaskError, match="image_size.*7"):
        tasks.load("point_mass", image_size=7)
    t = tasks.load("point_mass")
    with pytest.raises(TaskError, match=r"\(3,\)"):
        t.step(np.zeros(3))
    with pytest.raises(TaskError, match="nan"):
        t.step(np.array([np.nan, 0.0]))


def test_dmc_goal_is_k_steps_away():
    t = tasks.load("dmc:cartpole-swingup", seed=0, goal_steps=10)
    t.reset(seed=0)
    assert t.goal.state.shape == (t.state_dim,)
    assert t.distance() > 0

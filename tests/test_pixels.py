"""Planning from pixels: frame stacks, a tiny pixel JEPA that learns, goal images checked."""

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data
from mpc_jepa.control import FrameStack, MPCController, run_episode
from mpc_jepa.costs import GoalDistance
from mpc_jepa.models import JEPAWorldModel, WorldModelConfig
from mpc_jepa.planners import CEMConfig, CEMPlanner
from mpc_jepa.training import TrainConfig, train


def test_frame_stack_orders_frames_and_repeats_the_goal():
    fs = FrameStack(3)
    img = lambda v: np.full((8, 8, 3), v, np.uint8)  # noqa: E731
    first = fs(None, {"pixels": img(1)})
    assert first.shape == (9, 8, 8) and np.all(first == 1)  # the first frame fills the history
    fs(None, {"pixels": img(2)})
    third = fs(None, {"pixels": img(3)})
    assert [int(third[3 * i, 0, 0]) for i in range(3)] == [1, 2, 3]  # oldest first
    assert np.all(fs.goal(None, {"pixels": img(7)}) == 7)
    fs.reset()
    assert np.all(fs(None, {"pixels": img(5)}) == 5)
    with pytest.raises(ValueError, match=r"\[H, W, 3\] uint8, got float32 \(8, 8, 3\)"):
        fs.goal(None, {"pixels": img(1).astype(np.float32) / 255})


def test_obs_tensor_stacks_windows_like_frame_stack():
    model = JEPAWorldModel.build(
        WorldModelConfig(obs_type="pixels", latent_dim=8, history=2, cnn_width=4), 16, 2
    )
    # [B, L, H, W, 3]
    frames = np.random.default_rng(0).integers(0, 255, (2, 5, 16, 16, 3), dtype=np.uint8)
    obs = data.obs_tensor(model, frames)
    assert obs.shape == (2, 4, 6, 16, 16)  # L - h + 1 observations of 3h channels
    fs = FrameStack(2)
    for t in range(3):
        stacked = fs(None, {"pixels": frames[0, t]})
    # observation t=1 stacks frames 1 and 2
    np.testing.assert_array_equal(obs[0, 1].numpy(), stacked)


def test_goal_image_of_wrong_size_or_dtype_is_named():
    model = JEPAWorldModel.build(
        WorldModelConfig(obs_type="pixels", latent_dim=8, cnn_width=4), 64, 2
    )
    ctrl = MPCController(
        model, CEMPlanner(model, CEMConfig(horizon=3, num_samples=8, num_elites=2)), GoalDistance()
    )
    with pytest.raises(ValueError, match=r"uint8 of shape \(3, 64, 64\).*float32 \(3, 64, 64\)"):
        ctrl.reset(np.zeros((3, 64, 64), np.float32))
    with pytest.raises(ValueError, match=r"uint8 of shape \(3, 64, 64\).*uint8 \(3, 32, 32\)"):
        ctrl.reset(np.zeros((3, 32, 32), np.uint8))
    ctrl.reset(np.zeros((3, 64, 64), np.uint8))


@pytest.fixture(scope="module")
def pixel_data(tmp_path_factory):
    task = tasks.load("point_mass", seed=0, pixels=True)
    return data.collect(
        task,
        tmp_path_factory.mktemp("px") / "pm",
        episodes=24,
        episode_length=40,
        seed=0,
        progress=False,
    )


def test_tiny_pixel_model_learns_positions_and_plans_from_images(pixel_data, tmp_path):
    cfg = TrainConfig(
        steps=300,
        batch_size=32,
        rollout_steps=3,
        eval_every=300,
        checkpoint_every=300,
        log_csv=False,
    )
    # the keypoint encoder
    mcfg = WorldModelConfig(obs_type="pixels", latent_dim=16, hidden=64, history=2)
    res = train(pixel_data, tmp_path / "px.pt", cfg, mcfg, progress=False)
    m = res.metrics
    # the predictor starts as the copy model (ratio 1.0); measured h10 0.84, probe R^2 0.975,
    # Spearman 0.99
    assert m["pred_ratio_h10"] < 0.92 and not m["collapsed"], m
    assert m["probe_r2"] > 0.9 and m["distance_spearman"] > 0.9, m
    task = tasks.load("point_mass", seed=1, pixels=True)
    ctrl = MPCController(
        res.model,
        CEMPlanner(res.model, CEMConfig(horizon=10, num_samples=64, num_elites=8, num_iters=2)),
        GoalDistance(),
    )
    # the closed loop runs from images
    ep = run_episode(task, ctrl, seed=3, observe=FrameStack(2), max_steps=40)
    assert ep.final_distance < 0.5 * ep.start_distance, (ep.start_distance, ep.final_distance)
    with torch.no_grad():
        assert res.model.encode(torch.zeros(1, 6, 64, 64, dtype=torch.uint8)).shape == (1, 16)


def test_slow_levels_train_over_a_pixel_model_and_plan_from_images(pixel_data, tmp_path):
    from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner
    from mpc_jepa.models.checkpoints import load_slow
    from mpc_jepa.models.slow import SlowModelConfig
    from mpc_jepa.training import DistanceTrainConfig, train_distance
    from mpc_jepa.training.slow import SlowTrainConfig, _slow_obs, train_slow

    fast = JEPAWorldModel.build(
        WorldModelConfig(obs_type="pixels", latent_dim=8, hidden=32, history=2), 64, 2
    ).eval()
    window = np.asarray(pixel_data["pixels"][:10])[None]  # [1, 10, 64, 64, 3]: k=4, S=2, h=2
    obs = _slow_obs(fast, window, 4, "cpu")
    assert obs.shape == (1, 3, 6, 64, 64)
    # frames 4, 5
    np.testing.assert_array_equal(
        obs[0, 1].numpy(), data.obs_tensor(fast, window[:, 4:6])[0, 0].numpy()
    )
    cfg = SlowTrainConfig(steps=5, batch_size=16, slow_steps=2)
    slow, metrics = train_slow(
        pixel_data, fast, tmp_path / "slow.pt", cfg, SlowModelConfig(k=4), progress=False
    )
    dcfg = DistanceTrainConfig(steps=20)
    distance = train_distance(pixel_data, fast, tmp_path / "distance.pt", dcfg, progress=False)
    assert {"slow_pred_ratio_s1", "slow_pred_ratio_s2", "macro_std_min"} <= set(metrics)
    slow = load_slow(tmp_path / "slow.pt", fast, task="point_mass")
    model_level = PlanSettings.from_flags(
        planner="hierarchical",
        num_samples=32,
        num_elites=4,
        slow_level="model",
        slow_horizon=3,
        slow_samples=32,
        slow_iters=1,
        slow_replan_every=4,
    )
    # both slow levels: the landmark graph over the pixel embeddings (default) and the slow model
    for s in (
        PlanSettings.from_flags(planner="hierarchical", num_samples=32, num_elites=4),
        model_level,
    ):
        planner = make_planner("hierarchical", fast, s, slow_model=slow, distance=distance)
        ctrl = MPCController(fast, planner, make_cost(fast, s))
        ep = run_episode(
            tasks.load("point_mass", seed=1, pixels=True),
            ctrl,
            seed=3,
            observe=FrameStack(2),
            max_steps=5,
        )
        assert ep.steps == 5 and np.isfinite(ep.final_distance)

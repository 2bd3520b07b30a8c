import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data, diagnostics
from mpc_jepa.models import (
    CNNEncoder,
    JEPAWorldModel,
    KeypointEncoder,
    MLPEncoder,
    Predictor,
    WorldModelConfig,
)
from mpc_jepa.models.checkpoints import CheckpointError, load_world_model, read_checkpoint
from mpc_jepa.models.encoders import SpatialSoftmax
from mpc_jepa.training import TrainConfig, train


@pytest.mark.parametrize("conditioning", ["film", "concat"])
def test_state_model_shapes(conditioning):
    m = JEPAWorldModel.build(
        WorldModelConfig(latent_dim=8, hidden=32, conditioning=conditioning), 4, 2
    )
    z = m.encode(torch.randn(5, 4))
    assert z.shape == (5, 8)
    assert m.predict(z, torch.randn(5, 2)).shape == (5, 8)
    assert m.rollout(z, torch.randn(5, 7, 2)).shape == (5, 8, 8)
    assert m.encoder(torch.randn(3, 6, 4)).shape == (3, 6, 8)  # extra leading dims kept
    with pytest.raises(ValueError, match=r"\[B, 4\].*\[5, 3\]"):
        m.encode(torch.randn(5, 3))
    with pytest.raises(ValueError, match="actions must have shape"):
        m.rollout(z, torch.randn(5, 7, 3))


@pytest.mark.parametrize("history", [1, 3])
@pytest.mark.parametrize("kind", ["cnn", "keypoints"])
def test_pixel_encoder_shapes(history, kind):
    enc = (
        CNNEncoder(64, 12, history=history, width=8)
        if kind == "cnn"
        else KeypointEncoder(64, 12, history=history, width=8)
    )
    x = torch.randint(0, 255, (2, 3 * history, 64, 64), dtype=torch.uint8)
    assert enc(x).shape == (2, 12)
    assert enc(x.unsqueeze(0).expand(3, -1, -1, -1, -1)).shape == (3, 2, 12)
    with pytest.raises(ValueError, match="divisible by 16"):
        CNNEncoder(40, 8)
    with pytest.raises(ValueError, match="divisible by 4, got 42"):
        KeypointEncoder(42, 8)


def test_spatial_softmax_finds_a_peak_and_is_smooth():
    ss = SpatialSoftmax(2, 16, 16)
    maps = torch.zeros(1, 2, 16, 16)
    maps[0, 0, 3, 12] = 1.0  # one hot cell: row 3, column 12
    maps[0, 1, 8, 0] = 1.0
    xy = ss(maps).reshape(2, 2)
    grid = torch.linspace(-1, 1, 16)
    torch.testing.assert_close(xy[0], torch.stack([grid[12], grid[3]]), atol=0.02, rtol=0)
    torch.testing.assert_close(xy[1], torch.stack([grid[0], grid[8]]), atol=0.02, rtol=0)
    # a blob moved by half a cell moves the keypoint by a fraction of a cell, not 0 or 1 (the
    # gain cap)
    ys, xs = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    # noqa: E731
    blob = lambda cx: torch.exp(-((xs - cx) ** 2 + (ys - 8) ** 2) / 2.0)[None, None].expand(
        1, 2, -1, -1
    )
    step = (ss(blob(7.5)) - ss(blob(7.0)))[0, 0] / (grid[1] - grid[0])
    assert 0.2 < float(step.detach()) < 0.8, float(step.detach())


def test_predictor_starts_as_copy_model():
    p = Predictor(6, 2, hidden=16)
    z = torch.randn(4, 6)
    torch.testing.assert_close(p(z, torch.randn(4, 2)), z)


@pytest.fixture(scope="module")
def pm_dataset(tmp_path_factory):
    return data.collect(
        tasks.load("point_mass", seed=0),
        tmp_path_factory.mktemp("wm") / "pm",
        episodes=40,
        episode_length=50,
        seed=0,
        progress=False,
    )


SMALL = WorldModelConfig(latent_dim=8, hidden=64)


def test_tiny_model_learns_to_beat_copy_baseline(pm_dataset, tmp_path):
    cfg = TrainConfig(
        steps=400,
        batch_size=128,
        lr=3e-3,
        warmup_steps=30,
        eval_every=400,
        checkpoint_every=400,
        log_csv=False,
    )
    res = train(pm_dataset, tmp_path / "m.pt", cfg, SMALL, progress=False)
    m = res.metrics
    # the predictor starts as the copy model (ratio 1): learning must take it well below
    # (measured 0.63 / 0.42 / 0.18 at h1 / h5 / h20)
    assert m["pred_ratio_h1"] < 0.85 and m["pred_ratio_h5"] < 0.6 and m["pred_ratio_h20"] < 0.35, m
    assert not m["collapsed"] and m["probe_r2"] > 0.9, m
    assert (tmp_path / "m.pt").exists()
    assert (
        read_checkpoint(tmp_path / "m.pt")["meta"]["diagnostics"]["pred_ratio_h5"]
        == m["pred_ratio_h5"]
    )


def test_collapse_is_detected(pm_dataset):
    m = JEPAWorldModel.build(SMALL, 4, 2)
    with torch.no_grad():  # a constant encoder: every embedding the same
        for p in m.encoder.parameters():
            p.zero_()
    train_eps, val_eps = pm_dataset.split(0.2)
    report = diagnostics.geometry_report(m, pm_dataset, train_eps, val_eps, num_rows=500)
    assert diagnostics.collapsed(report)


def test_dimensional_collapse_shows_in_effective_rank(pm_dataset):
    m = JEPAWorldModel.build(SMALL, 4, 2)
    with torch.no_grad():  # every output dimension is the same feature: rank 1
        last = m.encoder.net[-1]
        last.weight.copy_(last.weight[:1].expand_as(last.weight))
        last.bias.zero_()
    train_eps, val_eps = pm_dataset.split(0.2)
    report = diagnostics.geometry_report(m, pm_dataset, train_eps, val_eps, num_rows=500)
    assert report["effective_rank"] < 1.5 and report["latent_dim"] == 8


def test_checkpoint_round_trip_and_errors(pm_dataset, tmp_path):
    cfg = TrainConfig(steps=20, batch_size=32, eval_every=20, checkpoint_every=20, log_csv=False)
    res = train(pm_dataset, tmp_path / "m.pt", cfg, SMALL, progress=False)
    loaded = load_world_model(tmp_path / "m.pt", task="point_mass", obs_type="state")
    x = torch.randn(7, 4)
    torch.testing.assert_close(loaded.encode(x), res.model.encode(x))
    torch.testing.assert_close(
        loaded.rollout(loaded.encode(x), torch.ones(7, 3, 2)),
        res.model.rollout(res.model.encode(x), torch.ones(7, 3, 2)),
    )
    with pytest.raises(CheckpointError, match="reacher"):
        load_world_model(tmp_path / "m.pt", task="reacher")
    with pytest.raises(CheckpointError, match="pixels"):
        load_world_model(tmp_path / "m.pt", obs_type="pixels")
    raw = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_world_model(tmp_path / "trunc.pt")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_world_model(tmp_path / "missing.pt")


def test_resume_reproduces_uninterrupted_run(pm_dataset, tmp_path):
    cfg = TrainConfig(steps=40, batch_size=32, eval_every=1000, checkpoint_every=10, log_csv=False)
    full = train(pm_dataset, tmp_path / "full.pt", cfg, SMALL, progress=False)
    # "killed" at step 20
    train(pm_dataset, tmp_path / "cut.pt", cfg, SMALL, progress=False, stop_after=20)
    resumed = train(pm_dataset, tmp_path / "cut.pt", cfg, SMALL, progress=False, resume=True)
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    assert [h["total"] for h in full.history] == pytest.approx(
        [h["total"] for h in resumed.history]
    )


def test_training_is_deterministic_on_cpu(pm_dataset, tmp_path):
    cfg = TrainConfig(
        steps=15, batch_size=32, eval_every=1000, checkpoint_every=1000, log_csv=False
    )
    a = train(pm_dataset, tmp_path / "a.pt", cfg, SMALL, progress=False).model
    b = train(pm_dataset, tmp_path / "b.pt", cfg, SMALL, progress=False).model
    x = torch.randn(3, 4)
    torch.testing.assert_close(a.encode(x), b.encode(x), rtol=0, atol=0)


def test_training_options_run(pm_dataset, tmp_path):
    cfg = TrainConfig(
        steps=10,
        batch_size=32,
        cov_weight=1.0,
        smooth_weight=0.1,
        inverse_weight=1.0,
        eval_every=10,
        checkpoint_every=10,
        log_csv=True,
    )
    res = train(
        pm_dataset,
        tmp_path / "new_dir" / "o.pt",
        cfg,
        WorldModelConfig(latent_dim=8, hidden=32, conditioning="concat", ema_target=False),
        progress=False,
    )
    assert np.isfinite(res.metrics["pred_ratio_h1"])
    assert (tmp_path / "new_dir" / "o.csv").read_text().startswith("step,")


def test_mlp_encoder_normalises_with_dataset_statistics():
    enc = MLPEncoder(
        2, 3, mean=torch.tensor([10.0, -5.0]), std=torch.tensor([2.0, 0.5]), hidden=8, depth=1
    )
    torch.testing.assert_close(enc.norm(torch.tensor([[10.0, -5.0]])), torch.zeros(1, 2))


def test_a_trained_model_carries_what_a_loaded_one_does(pm_dataset, tmp_path):
    """task and meta (diagnostics, step) on the returned model equal the checkpoint's."""
    cfg = TrainConfig(steps=20, batch_size=32, log_csv=False, eval_every=20, checkpoint_every=20)
    model = train(pm_dataset, tmp_path / "m.pt", cfg, SMALL, progress=False).model
    loaded = load_world_model(tmp_path / "m.pt")
    assert model.task == loaded.task == "point_mass"
    assert model.meta["step"] == loaded.meta["step"] == 20
    assert model.meta["diagnostics"]["probe_r2"] == loaded.meta["diagnostics"]["probe_r2"]


def test_renewed_input_statistics_keep_the_function_and_the_adam_step(pm_dataset, tmp_path):
    """A learning run's grown data: the encoder and its EMA copy standardise with the new
    statistics, encode as before, and the first layer's Adam moments follow its weights."""
    from mpc_jepa.training.run import TrainingRun, dataset_stats

    cfg = TrainConfig(steps=5, batch_size=32, log_csv=False, eval_every=10**9)
    run = TrainingRun(pm_dataset, tmp_path / "m.pt", cfg, SMALL)
    for _ in range(3):
        run.update()
    model, first = run.model, run.model.encoder.net[0]
    # pretend the statistics were those of an exploration dataset far narrower than the data
    model.renormalize_inputs(torch.zeros(4), torch.full((4,), 0.05))
    x = torch.tensor(np.asarray(pm_dataset["states"])[:50])
    before, target_before = model.encode(x), model.encode_target(x)
    old_std = model.encoder.norm.std.clone()
    sq_before = run.opt.state[first.weight]["exp_avg_sq"].clone()
    run.renew_input_stats()
    mean, std = dataset_stats(pm_dataset, run.train_eps)
    torch.testing.assert_close(model.encoder.norm.std, std.float())
    torch.testing.assert_close(model.target_encoder.norm.mean, mean.float())
    torch.testing.assert_close(model.encode(x), before, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(model.encode_target(x), target_before, atol=1e-5, rtol=1e-4)
    ratio = (old_std / std.float())[None, :] ** 2
    torch.testing.assert_close(run.opt.state[first.weight]["exp_avg_sq"], sq_before * ratio)
    run.update()  # and training goes on, the EMA copy outside autograd
    assert all(p.is_leaf and not p.requires_grad for p in model.target_encoder.parameters())
    pixels = JEPAWorldModel.build(WorldModelConfig(obs_type="pixels", latent_dim=8), 16, 2)
    with pytest.raises(ValueError, match="(CNN|Keypoint)Encoder has no input statistics"):
        pixels.renormalize_inputs(torch.zeros(4), torch.ones(4))

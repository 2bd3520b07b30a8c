"""The world model's own reward and value heads (``TrainConfig.reward_weight``, ``value_weight``):
read from the predicted latents, they learn the reward and the discounted return, and resuming
with other heads is refused by name."""

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data
from mpc_jepa.data.append import append_episodes
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import CheckpointError
from mpc_jepa.training import TrainConfig, train
from mpc_jepa.training.run import TrainingRun

SMALL = WorldModelConfig(latent_dim=8, hidden=64)


@pytest.fixture(scope="module")
def shaped_dataset(tmp_path_factory):
    """Point-mass episodes whose reward is a known function of the state: r_t = x_{t+1}."""
    root = tmp_path_factory.mktemp("shaping")
    ds = data.collect(
        tasks.load("point_mass", seed=0),
        root / "pm",
        episodes=40,
        episode_length=50,
        seed=0,
        progress=False,
    )
    episodes = []
    for e in range(ds.num_episodes):
        ep = {k: np.array(v) for k, v in ds.episode(e).items()}
        ep["rewards"] = np.append(ep["states"][1:, 0], 0.0).astype(np.float32)
        episodes.append(ep)
    return append_episodes(root / "shaped", episodes, dict(ds.meta))


def quiet_run(dataset, tmp_path, **settings) -> TrainingRun:
    """A small model's training run with ``settings`` of ``TrainConfig``, no evals or files."""
    cfg = TrainConfig(
        batch_size=64, eval_every=10**6, checkpoint_every=10**6, log_csv=False, **settings
    )
    return TrainingRun(dataset, tmp_path / "m.pt", cfg, SMALL)


def held_out_reward_errors(run: TrainingRun) -> tuple[float, float]:
    """(MSE of the reward head over 5-step predicted latents, variance of the rewards) on windows
    of the held-out episodes."""
    sampler = data.WindowSampler(
        run.dataset, run.config.rollout_steps, run.val_eps, keys=("states", "rewards")
    )
    batch = sampler.sample(256, np.random.default_rng(1))
    with torch.no_grad():
        obs = torch.as_tensor(batch["states"]).float()
        actions = torch.as_tensor(batch["actions"]).float()
        rewards = torch.as_tensor(batch["rewards"][:, :-1]).float()  # [B, T]
        pred = run.model.rollout(run.model.encode(obs[:, 0]), actions)  # [B, T+1, D]
        r_hat = run.aux["reward"](torch.cat([pred[:, :-1], actions], -1)).squeeze(-1)
    return float((r_hat - rewards).pow(2).mean()), float(rewards.var())


def test_reward_head_learns_from_the_predicted_latents(shaped_dataset, tmp_path):
    run = quiet_run(shaped_dataset, tmp_path, steps=400, reward_weight=1.0)
    before, variance = held_out_reward_errors(run)
    rows = [run.update() for _ in range(run.config.steps)]
    after, _ = held_out_reward_errors(run)
    assert all("reward" in r for r in rows)
    assert after < 0.2 * variance < before, (after, variance, before)


def held_out_value_errors(run: TrainingRun, horizon: int = 12) -> tuple[float, float]:
    """(MSE of the value head's (1 - gamma) V against the Monte-Carlo (1 - gamma) sum_k gamma^k
    r_{t+k}, variance of those returns) over the held-out states with ``horizon`` rewards ahead
    (gamma^horizon small enough to cut the sum there)."""
    gamma, xs, ys = run.config.shaping_gamma, [], []
    for e in run.val_eps:
        ep = run.dataset.episode(int(e))
        r = np.asarray(ep["rewards"])
        for t in range(len(r) - horizon):
            xs.append(np.asarray(ep["states"][t]))
            ys.append((1 - gamma) * np.sum(gamma ** np.arange(horizon) * r[t : t + horizon]))
    with torch.no_grad():
        z = run.model.encode(torch.as_tensor(np.stack(xs)).float())
        c = run.aux["value"](z).squeeze(-1).numpy()
    y = np.asarray(ys)
    return float(np.mean((c - y) ** 2)), float(y.var())


def test_value_head_learns_the_discounted_return_by_td(shaped_dataset, tmp_path):
    run = quiet_run(shaped_dataset, tmp_path, steps=600, value_weight=1.0, shaping_gamma=0.6)
    before, variance = held_out_value_errors(run)
    target_before = [p.clone() for p in run.aux["value_target"].parameters()]
    rows = [run.update() for _ in range(run.config.steps)]
    after, _ = held_out_value_errors(run)
    assert all("value" in r and "reward" not in r for r in rows)
    assert after < 0.2 * variance < before, (after, variance, before)
    moved = [
        not torch.equal(a, b) for a, b in zip(target_before, run.aux["value_target"].parameters())
    ]
    assert all(moved)  # the target copy follows by EMA, not by the optimiser
    assert not any(p.requires_grad for p in run.aux["value_target"].parameters())


def test_reward_free_by_default_and_resume_needs_the_same_heads(shaped_dataset, tmp_path):
    cfg = TrainConfig(steps=4, batch_size=16, eval_every=10**6, checkpoint_every=2, log_csv=False)
    train(shaped_dataset, tmp_path / "m.pt", cfg, SMALL, progress=False, stop_after=2)
    assert "reward" not in TrainingRun(shaped_dataset, tmp_path / "x.pt", cfg, SMALL).update()
    shaped = TrainConfig(**{**cfg.__dict__, "reward_weight": 1.0})
    with pytest.raises(CheckpointError, match=r"heads \[\], these settings make \['reward'\]"):
        train(shaped_dataset, tmp_path / "m.pt", shaped, SMALL, progress=False, resume=True)
    valued = TrainConfig(**{**cfg.__dict__, "value_weight": 1.0})
    with pytest.raises(CheckpointError, match=r"make \['value', 'value_target'\].*value_weight"):
        train(shaped_dataset, tmp_path / "m.pt", valued, SMALL, progress=False, resume=True)
    with pytest.raises(ValueError, match="reward_weight"):
        TrainConfig(reward_weight=-1.0)
    with pytest.raises(ValueError, match="value_weight"):
        TrainConfig(value_weight=-0.5)
    with pytest.raises(ValueError, match="shaping_gamma"):
        TrainConfig(shaping_gamma=1.0)

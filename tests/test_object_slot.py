"""The fast JEPA's object slot: the object dimensions the data shows, kept in the embedding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mpc_jepa.models.checkpoints import load_world_model, read_checkpoint, save_checkpoint
from mpc_jepa.models.goal_actor import object_dims, slot_dims, two_state_dims
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.training import TrainConfig, train
from tests.test_goal_actor import _toy_episodes, _write_dataset


def test_the_slot_is_the_standardised_object_dims_times_the_gain(tmp_path):
    cfg = WorldModelConfig(latent_dim=8, hidden=32, object_gain=2.0, object_dims=(1, 3))
    mean, std = torch.tensor([0.0, 1.0, 0.0, -2.0, 0.0]), torch.tensor([1.0, 4.0, 1.0, 0.5, 1.0])
    model = JEPAWorldModel.build(cfg, 5, 2, mean, std)
    assert (model.latent_dim, model.learned_dim) == (10, 8)
    obs = torch.randn(6, 5)
    z = model.encode(obs)
    assert torch.allclose(z[:, 8:], 2.0 * (obs[:, [1, 3]] - mean[[1, 3]]) / std[[1, 3]])
    assert model.rollout(z, torch.zeros(6, 3, 2)).shape == (6, 4, 10)  # the predictor's too
    save_checkpoint(tmp_path / "m.pt", model, cfg, task="toy")
    assert read_checkpoint(tmp_path / "m.pt")["config"]["object_dims"] == (1, 3)
    assert torch.equal(load_world_model(tmp_path / "m.pt").encode(obs), z)
    plain = JEPAWorldModel.build(WorldModelConfig(latent_dim=8, hidden=32), 5, 2)
    assert (plain.latent_dim, plain.learned_dim) == (8, 8)  # no slot, no buffer: old files load
    assert "encoder.object_index" not in plain.state_dict()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(object_gain=-1.0), "object_gain must be >= 0"),
        (dict(object_gain=1.0, obs_type="pixels"), "needs state observations"),
    ],
)
def test_a_bad_slot_setting_is_refused_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WorldModelConfig(**kwargs)


def test_a_slot_needs_indices_inside_the_observation():
    with pytest.raises(ValueError, match="needs object_dims"):
        JEPAWorldModel.build(WorldModelConfig(object_gain=1.0), 3, 2)
    with pytest.raises(ValueError, match=r"distinct indices in \[0, 3\), got \(1, 5\)"):
        JEPAWorldModel.build(WorldModelConfig(object_gain=1.0, object_dims=(1, 5)), 3, 2)


def test_a_switch_at_rest_is_an_object_dim_but_not_the_slots():
    """A contact reading (0 or 1, flipping now and then) is at rest in most steps, like the
    object; the slot leaves it to the learned part. The object, resting on a floor most of the
    time (its minimum) but carried anywhere above it, stays in the slot."""
    states, _, starts, carried = _toy_episodes(episodes=30)
    contact = carried.astype(np.float32)[:, None]  # 1 while carried
    floor = np.where(carried[:, None], np.abs(states[:, 2:3]) + 0.1, 0.0).astype(np.float32)
    x = torch.as_tensor(np.concatenate([states, contact, floor], 1))  # [N, 5]
    s = torch.as_tensor(starts)
    assert object_dims(x, s).tolist() == [False, False, True, True, True]
    assert two_state_dims(x).tolist() == [False, False, False, True, False]
    assert slot_dims(x, s).tolist() == [False, False, True, False, True]
    with pytest.raises(ValueError, match="need states"):
        two_state_dims(torch.zeros(0, 3))


def test_training_finds_the_object_and_learns_to_carry_it(tmp_path):
    """The toy's agent carries its object (dim 2) through contact: training finds the dim, and
    the predictor learns where a carried object goes (far better than the copy baseline)."""
    states, actions, starts, carried = _toy_episodes(episodes=60)
    ds = _write_dataset(tmp_path / "toy", states, actions, starts)
    cfg = TrainConfig(steps=600, batch_size=128, rollout_steps=5, eval_every=600, log_csv=False)
    mcfg = WorldModelConfig(latent_dim=8, hidden=64, object_gain=1.0)
    model = train(ds, tmp_path / "m.pt", cfg, mcfg, progress=False).model
    assert read_checkpoint(tmp_path / "m.pt")["config"]["object_dims"] == (2,)
    # windows of 5 steps that carry the object the whole way
    starts_ok = [t for t in range(len(states) - 5) if carried[t : t + 5].all()
                 and not np.isin(np.arange(t + 1, t + 6), starts).any()]  # fmt: skip
    t = np.asarray(starts_ok[:300])
    assert len(t) >= 100
    with torch.no_grad():
        z0 = model.encode(torch.as_tensor(states[t]))
        a = torch.as_tensor(actions[t[:, None] + np.arange(5)])
        end = model.rollout(z0, a)[:, -1, -1]  # the predicted slot after 5 steps
    scale = model.encoder.norm.std[2].item()
    predicted = end.numpy() * scale + model.encoder.norm.mean[2].item()
    moved = states[t + 5, 2]
    model_error = np.abs(predicted - moved).mean()
    copy_error = np.abs(states[t, 2] - moved).mean()
    assert model_error < 0.3 * copy_error, (model_error, copy_error)


def test_data_without_objects_has_no_slot(tmp_path):
    """A slot asked of data where every dimension moves at almost every step: refused by name."""
    from mpc_jepa.training.run import with_object_dims

    states, actions, starts, _ = _toy_episodes(episodes=10)
    states[:, 2] = states[:, 0] + 0.01 * np.arange(len(states))  # the "object" moves every step
    ds = _write_dataset(tmp_path / "toy", states, actions, starts)
    with pytest.raises(ValueError, match="shows no object dimension"):
        with_object_dims(WorldModelConfig(object_gain=0.3), ds)
    kept = WorldModelConfig(object_gain=0.3, object_dims=(2,))  # named: kept as given
    assert with_object_dims(kept, ds) is kept

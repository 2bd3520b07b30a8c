"""Learning by acting (`mpc-jepa learn`): the loop, its resumption after a kill, its dataset."""

import csv

import numpy as np
import pytest

from mpc_jepa.cli import main
from mpc_jepa.data import Dataset, DatasetError
from mpc_jepa.data.append import append_episodes
from mpc_jepa.evaluation import PlanSettings
from mpc_jepa.models.checkpoints import VALUE_FORMAT, CheckpointError
from mpc_jepa.pipeline import learn
from mpc_jepa.pipeline.learn import LearningRun, LearnSettings, run_learn

FAST = PlanSettings.from_flags(horizon=4, num_samples=16, num_elites=4, num_iters=1)
# cartpole: 125 agent steps (1000 environment steps) per episode
SMALL = dict(
    task="dmc:cartpole-swingup",
    env_steps=4000,
    seed_episodes=2,
    utd=0.1,
    eval_every=2000,
    eval_episodes=1,
)


def episode(rows, value=0.0):
    return {
        "states": np.full((rows, 2), value),
        "actions": np.zeros((rows, 1)),
        "rewards": np.ones(rows),
        "physics": np.zeros((rows, 3)),
        "physical": np.zeros((rows, 1)),
    }


def test_append_episodes_grows_a_dataset_and_refuses_bad_episodes(tmp_path):
    meta = {"task": "toy", "state_dim": 2, "action_dim": 1, "pixels": False}
    append_episodes(tmp_path / "d", [episode(3)], meta)
    ds = append_episodes(tmp_path / "d", [episode(4, 1.0), episode(2, 2.0)], meta)
    assert ds.num_episodes == 3 and len(ds) == 9 and list(ds.episode_starts) == [0, 3, 7, 9]
    assert ds.episode(1)["states"][0, 0] == 1.0 and ds.meta["episodes"] == 3
    bad = episode(3)
    bad["rewards"] = np.ones(2)
    with pytest.raises(DatasetError, match="one length"):
        append_episodes(tmp_path / "d", [bad], meta)
    with pytest.raises(DatasetError, match="holds task 'toy'"):
        append_episodes(tmp_path / "d", [episode(2)], {**meta, "task": "other"})
    assert Dataset(tmp_path / "d").num_episodes == 3  # refused appends left it as it was
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # and no temporary directory behind


@pytest.mark.parametrize("policy_samples", [0, 4])
def test_learning_run_survives_a_kill_and_resumes(tmp_path, monkeypatch, policy_samples):
    out = tmp_path / "run"
    ps = FAST.with_flags(policy_samples=policy_samples)
    # either objective: reward-free with the reach geometry, or reward- and value-shaped without it
    small = {**SMALL, "reach_weight": 0.0 if policy_samples else 1.0}
    small["reward_weight"] = small["value_weight"] = 1.0 if policy_samples else 0.0
    small["renew_stats"] = bool(policy_samples)
    calls = {"n": 0}
    act = LearningRun.act

    def killed_on_second_episode(self):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return act(self)

    monkeypatch.setattr(LearningRun, "act", killed_on_second_episode)
    with pytest.raises(KeyboardInterrupt):
        run_learn(LearnSettings(**small, out=str(out)), ps, progress=False)
    assert Dataset(out / "data").num_episodes == 3  # 2 exploration + 1 planner episode
    with pytest.raises(ValueError, match="--resume"):
        run_learn(LearnSettings(**small, out=str(out)), ps, progress=False)
    monkeypatch.setattr(LearningRun, "act", act)
    curve = run_learn(LearnSettings(**small, out=str(out), resume=True), ps, progress=False)
    assert [r["env_steps"] for r in curve] == [2000, 4000]
    assert all(0 <= r["mean_return"] <= 1000 for r in curve)
    assert Dataset(out / "data").num_episodes == 4
    with open(out / "curve.csv") as f:
        assert [float(r["env_steps"]) for r in csv.DictReader(f)] == [2000, 4000]
    assert (out / "curve.png").stat().st_size > 1000
    # the world model took utd updates per agent step of the data (4 episodes x 125 steps)
    ckpt = learn.read_checkpoint(out / "world_model.pt")
    assert ckpt["train_state"]["step"] == 50
    assert ckpt["meta"]["train_config"]["reach_weight"] == (0.0 if policy_samples else 1.0)
    # renewed input statistics follow the data past the 2 exploration episodes
    # (without renewal they are those of the training one of the 2 exploration episodes)
    stds = ckpt["model"]["encoder.norm.std"].numpy()
    explored = [Dataset(out / "data").episode(e)["states"].std(0) for e in (0, 1)]
    assert any(np.allclose(stds, x, rtol=1e-3) for x in explored) != bool(policy_samples)
    aux = ckpt["train_state"]["aux_heads"]
    for head in ("reward.", "value.", "value_target."):
        assert any(k.startswith(head) for k in aux) == bool(policy_samples)
    heads = learn.read_checkpoint(out / "value_heads.pt", VALUE_FORMAT)
    assert heads["config"]["policy"] == bool(policy_samples)
    assert ("policy_optimizer" in heads["train_state"]) == bool(policy_samples)
    # resuming with another model size is refused by name, not met with a shape error
    with pytest.raises(CheckpointError, match="latent_dim=16.*not latent_dim=32"):
        run_learn(LearnSettings(**small, out=str(out), resume=True, latent_dim=32), ps)


def test_bad_learn_settings_are_named():
    for bad, name in (
        (dict(env_steps=0), "env_steps"),
        (dict(utd=-1), "utd"),
        (dict(noise=-1), "noise"),
        (dict(seed_episodes=1), "seed_episodes"),
        (dict(eval_every=0), "eval_every"),
        (dict(latent_dim=-1), "latent_dim"),
        (dict(hidden=-3), "hidden"),
        (dict(reach_weight=-0.5), "reach_weight"),
        (dict(reward_weight=-1), "reward_weight"),
        (dict(value_weight=-1), "value_weight"),
        (dict(value_expectile=1.0), "value_expectile"),
        (dict(value_expectile=0.3), "value_expectile"),
    ):
        with pytest.raises(ValueError, match=name):
            LearnSettings(**bad)
    with pytest.raises(ValueError, match="flat planner"):
        run_learn(LearnSettings(), PlanSettings(planner="hierarchical"), progress=False)
    assert main(["learn", "--task", "point_mass", "--out", "/tmp/nowhere"]) == 2


def test_published_figures_are_found_for_any_spelling_of_a_reward_task():
    from mpc_jepa.pipeline.learn_curve import PUBLISHED_100K, suite_name

    for name in ("dmc:cheetah-run", "dmc:cheetah-run@reward", "dmc:cheetah-run@reward,repeat=2"):
        assert suite_name(name) == "cheetah-run" and suite_name(name) in PUBLISHED_100K


def test_the_critics_expectile_reaches_its_trainer(tmp_path):
    run = LearningRun(LearnSettings(**SMALL, value_expectile=0.5, out=str(tmp_path / "r")), FAST)
    assert run.value.config.expectile == 0.5


def test_q_critics_train_their_policy_even_when_the_planner_samples_none(tmp_path):
    s = LearnSettings(**SMALL, q_critic=True, out=str(tmp_path / "r"))
    run = LearningRun(s, FAST.with_flags(policy_samples=0))
    assert run.heads.config.q_critic and run.heads.policy_net is not None
    assert run.value.policy_opt is not None

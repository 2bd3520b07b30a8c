"""Reward tasks (dmc:<domain>-<task>@reward): names, the suite's reward summed over action repeats,
episodes scored by return, and the command line's train --level value / eval on them."""

import json

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa.cli import main
from mpc_jepa.control import MPCController, run_episode, run_episodes
from mpc_jepa.costs import ReturnCost
from mpc_jepa.evaluation import summarize
from mpc_jepa.models.value import ValueConfig, ValueHeads
from mpc_jepa.planners import CEMConfig, CEMPlanner


class StateModel:
    """The state itself as the latent: enough to drive episodes without training anything."""

    action_dim = 1
    latent_dim = 5
    obs_shape = (5,)
    differentiable = True

    def encode(self, obs):
        return obs.float()

    def rollout(self, z0, actions):
        return torch.cat([z0[:, None], z0[:, None].expand(-1, actions.shape[1], -1)], 1)


def test_reward_task_names_and_options():
    a = tasks.load("dmc:cartpole-swingup@reward")
    b = tasks.load("dmc:cartpole-swingup", objective="reward")
    assert a.name == b.name == "dmc:cartpole-swingup@reward" and a.objective == "reward"
    assert a.action_repeat == 8 and a.episode_length == 125  # 1000 suite steps
    c = tasks.load("dmc:cheetah-run@reward", action_repeat=2)
    assert c.episode_length == 500 and c.name == "dmc:cheetah-run@reward,repeat=2"
    for spelling in (c.name, "dmc:cheetah-run,repeat=2"):  # the name carries the repeat back
        assert tasks.load(spelling, objective="reward").action_repeat == 2
    assert tasks.load("dmc:cheetah-run@reward,repeat=4").name == "dmc:cheetah-run@reward"
    for bad, match in (("@reward,rep=2", "rep=2"), (",repeat=2", "reward tasks")):
        with pytest.raises(tasks.TaskError, match=match):
            tasks.load("dmc:cheetah-run" + bad)
    with pytest.raises(tasks.TaskError, match="disagree"):
        tasks.load("dmc:cheetah-run@reward,repeat=2", action_repeat=4)
    assert tasks.load("dmc:cartpole-swingup").objective == "goal"
    with pytest.raises(tasks.TaskError, match="objective"):
        tasks.load("dmc:cartpole-swingup", objective="fun")
    with pytest.raises(tasks.TaskError, match="point_mass@reward"):
        tasks.load("point_mass@reward")
    with pytest.raises(tasks.TaskError, match="action_repeat"):
        tasks.load("dmc:cartpole-swingup@reward", action_repeat=0)
    a.reset(seed=1)
    assert a.goal is None
    with pytest.raises(tasks.TaskError, match="no goal"):
        a.success()
    with pytest.raises(tasks.TaskError, match="no goals"):
        a.sample_goal()


def test_reward_is_summed_over_the_action_repeat_and_seeds_reproduce_starts():
    held = tasks.load("dmc:cartpole-swingup@reward", action_repeat=4)
    single = tasks.load("dmc:cartpole-swingup@reward", action_repeat=1)
    s0, s1 = held.reset(seed=3)["state"], single.reset(seed=3)["state"]
    np.testing.assert_array_equal(s0, s1)
    action = np.array([0.7])
    held.step(action)
    total = 0.0
    for _ in range(4):
        single.step(action)
        total += single.reward()
    assert held.reward() == pytest.approx(total) and 0 < total <= 4
    np.testing.assert_allclose(held.observe()["state"], single.observe()["state"])


def test_episodes_on_a_reward_task_report_their_return():
    task = tasks.load("dmc:cartpole-swingup@reward")
    heads = ValueHeads(5, 1, ValueConfig(hidden=8))
    planner = CEMPlanner(
        StateModel(), CEMConfig(horizon=3, num_samples=8, num_elites=4, num_iters=1, seed=0)
    )
    controller = MPCController(StateModel(), planner, ReturnCost(heads))
    one = run_episode(task, controller, seed=5, max_steps=20)
    assert one.success is None and one.final_distance is None and one.steps == 20
    assert 0 < one.episode_return <= 20 * 8
    # per-problem noise seeds: problem 0 plans as the single run did
    cfg = CEMConfig(horizon=3, num_samples=8, num_elites=4, num_iters=1, seed=(0, 1))
    controller = MPCController(StateModel(), CEMPlanner(StateModel(), cfg), ReturnCost(heads))
    pair = run_episodes([task, task.spawn()], controller, [5, 6], max_steps=[20, 10])
    assert [r.steps for r in pair] == [20, 10]
    assert pair[0].episode_return == pytest.approx(one.episode_return, rel=1e-6)
    summary = summarize([r.as_dict() for r in pair])
    assert summary["success_rate"] is None and summary["mean_final_distance"] is None
    assert summary["mean_return"] == pytest.approx(np.mean([r.episode_return for r in pair]))


def test_value_level_and_return_eval_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    t = "dmc:cartpole-swingup@reward"
    assert main(["collect", "--task", t, "--episodes", "6"]) == 0
    assert main(["train", "--task", t, "--steps", "60", "--no-log-csv"]) == 0
    assert main(["eval", "--task", t, "--episodes", "1"]) == 2  # no heads yet: named
    assert "--level value`" in capsys.readouterr().err
    assert main(["train", "--task", t, "--level", "value", "--value-steps", "50"]) == 0
    assert "reward R^2" in capsys.readouterr().out
    args = ["--task", t, "--episodes", "2", "--batch", "2", "--horizon", "4", "--num-samples", "16"]
    assert main(["eval", *args, "--json", "e.json"]) == 0
    out = json.loads(open("e.json").read())
    assert out["summary"]["success_rate"] is None and out["summary"]["mean_return"] > 0
    assert all(e["success"] is None and e["episode_return"] > 0 for e in out["episodes"])
    assert main(["eval", *args, "--planner", "hierarchical"]) == 2
    assert main(["eval", *args, "--model", "oracle"]) == 2
    assert "oracle has none" in capsys.readouterr().err
    # heads trained over one world model are refused with another
    assert main(["train", "--task", t, "--steps", "20", "--no-log-csv", "--out", "other.pt"]) == 0
    assert main(["eval", *args, "--checkpoint", "other.pt"]) == 2
    assert "another world model" in capsys.readouterr().err

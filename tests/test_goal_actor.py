"""The goal-conditioned actor: object dims, goal relabelling, learning, checkpoints, closed loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa.cli import main
from mpc_jepa.control import ActorController
from mpc_jepa.data.dataset import Dataset
from mpc_jepa.evaluation import evaluate_actor
from mpc_jepa.models.checkpoints import CheckpointError, load_goal_actor, save_goal_actor
from mpc_jepa.models.goal_actor import ActorEnsemble, GoalActor, GoalActorConfig, object_dims
from mpc_jepa.training.goal_actor import GoalActorTrainConfig, rest_goal_rows, train_goal_actor

CUBE = "ogbench:cube-single-play-v0"


def _toy_episodes(episodes: int = 40, length: int = 80, seed: int = 0):
    """An agent x (dims 0-1) that wanders, walks to an object y (dim 2) and carries it to a random
    place (y follows x[0] while carried). Action 0 heads for the wander point, the object or the
    place; action 1 jitters x[1] toward points redrawn every 5 steps (unpredictable)."""
    rng = np.random.default_rng(seed)
    states, actions, headed = [], [], []
    for _ in range(episodes):
        x, y = rng.uniform(-1, 1, 2), rng.uniform(-1, 1)
        target, phase, wander, jitter = rng.uniform(-1, 1), "wander", rng.uniform(-1, 1), 0.0
        for t in range(length):
            jitter = rng.uniform(-1, 1) if t % 5 == 0 else jitter
            aim = {"wander": wander, "fetch": y, "carry": target}[phase]
            a = np.clip((np.array([aim, jitter]) - x) * 2.0, -1, 1) * 0.5
            states.append([*x, y])
            actions.append(a)
            headed.append(phase == "carry")  # toward the goal: predictable from it
            x = x + 0.2 * a
            if phase == "wander" and abs(x[0] - wander) < 0.05:
                phase = "fetch"
            elif phase == "fetch" and abs(x[0] - y) < 0.02:
                phase = "carry"
            if phase == "carry":
                y = x[0]
                if abs(y - target) < 0.02:  # put down; wander, then a new place
                    phase, target, wander = "wander", rng.uniform(-1, 1), rng.uniform(-1, 1)
    starts = np.arange(0, episodes * length + 1, length)
    return np.float32(states), np.float32(actions), starts, np.array(headed)


def _write_dataset(path, states, actions, starts) -> Dataset:
    path.mkdir()
    n = len(states)
    for name, arr in dict(states=states, actions=actions, rewards=np.zeros(n, np.float32),
                          physics=np.zeros((n, 1)), physical=states[:, 2:3].astype(np.float64),
                          episode_starts=starts).items():  # fmt: skip
        np.save(path / f"{name}.npy", arr)
    meta = dict(format_version=1, task="toy", state_dim=3, action_dim=2, pixels=False,
                episodes=len(starts) - 1, episode_length=int(starts[1]))  # fmt: skip
    (path / "meta.json").write_text(__import__("json").dumps(meta))
    return Dataset(path)


def test_object_dims_are_those_at_rest_most_steps():
    states, _, starts, _ = _toy_episodes()
    objects = object_dims(torch.as_tensor(states), torch.as_tensor(starts))
    assert objects.tolist() == [False, False, True]
    with pytest.raises(ValueError, match="episode starts"):
        object_dims(torch.zeros(5, 3), torch.tensor([0, 4]))


def test_goal_is_where_the_object_next_comes_to_rest():
    y = [0.0] * 5 + [0.1, 0.2, 0.3] + [0.3] * 12 + [0.5, 0.7] + [0.7] * 4  # moves, rests, moves
    states = torch.tensor([[float(t), v] for t, v in enumerate(y)])
    starts = torch.tensor([0, 20, len(y)])  # two episodes: rows 0-19 and 20-25
    goal = rest_goal_rows(states, starts, torch.tensor([False, True]), rest_steps=3)
    # the object moves 4->5 ... 6->7 and rests from row 7 on (10 still steps): rows 0-6 head there
    assert goal[:7].tolist() == [7] * 7
    assert goal[7:20].tolist() == [-1] * 13  # no later rest inside episode 0
    # episode 1 (0.5, 0.7, 0.7, ...): moves 20->21, still for 3 steps from row 21
    assert goal[20:].tolist() == [21] + [-1] * 5


def test_data_without_object_moves_is_refused(tmp_path):
    states, actions, starts, _ = _toy_episodes(episodes=4)
    walk = np.cumsum(np.random.default_rng(0).normal(size=states.shape), 0).astype(np.float32)
    ds = _write_dataset(tmp_path / "walk", walk, actions, starts)  # every dimension always moves
    with pytest.raises(ValueError, match="no row has an object move ending after it"):
        train_goal_actor(ds, GoalActorTrainConfig(steps=1))


def test_actor_reads_only_the_goal_dims_it_is_given(tmp_path):
    ds = _write_dataset(tmp_path / "toy", *_toy_episodes(episodes=4)[:3])
    actor, metrics = train_goal_actor(ds, GoalActorTrainConfig(steps=2, goal_dims=(0, 2)))
    assert metrics["goal_dims"] == [0, 2] and metrics["object_dims"] == [2]
    x, g = torch.randn(4, 3), torch.randn(4, 3)
    other = g.clone()
    other[:, 1] += 5.0  # a dimension the actor does not read
    assert torch.equal(actor.chunk(x, g), actor.chunk(x, other))
    other[:, 0] += 5.0
    assert not torch.allclose(actor.chunk(x, g), actor.chunk(x, other))
    with pytest.raises(ValueError, match=r"goal_dims \[3\] lie outside"):
        train_goal_actor(ds, GoalActorTrainConfig(steps=1, goal_dims=(2, 3)))


def test_actor_shapes_bounds_and_errors():
    actor = GoalActor(torch.zeros(3), torch.ones(3), torch.tensor([False, False, True]), 2)
    out = actor(torch.randn(7, 3) * 100, torch.randn(7, 3))
    assert out.shape == (7, 2) and out.abs().max() <= 1.0
    assert actor.chunk(torch.zeros(7, 3), torch.zeros(7, 3)).shape == (7, 5, 2)  # k = 5
    with pytest.raises(ValueError, match="chunk >= 1"):
        GoalActorConfig(chunk=0)
    other = GoalActor(torch.zeros(3), torch.ones(3), torch.tensor([False, True, True]), 2)
    both = ActorEnsemble([actor, other])
    x, g = torch.randn(4, 3), torch.randn(4, 3)
    mean = (actor.chunk(x, g) + other.chunk(x, g)) / 2
    assert torch.allclose(both.chunk(x, g), mean)
    assert torch.equal(both(x, g), mean[:, 0].clamp(-1, 1))
    with pytest.raises(ValueError, match="one observation, action and chunk size"):
        ActorEnsemble([actor, GoalActor(torch.zeros(3), torch.ones(3), actor.objects, 3)])
    with pytest.raises(ValueError, match=r"\[B, 3\]"):
        actor(torch.zeros(7, 3), torch.zeros(6, 3))
    with pytest.raises(ValueError, match="no object dimensions"):
        GoalActor(torch.zeros(3), torch.ones(3), torch.zeros(3, dtype=torch.bool), 2)


def test_actor_learns_the_toy_pick_and_place_and_round_trips(tmp_path):
    *arrays, headed = _toy_episodes()
    ds = _write_dataset(tmp_path / "toy", *arrays)
    actions = torch.as_tensor(np.array(ds["actions"]))
    actor, metrics = train_goal_actor(ds, GoalActorTrainConfig(steps=1200, batch_size=256))
    assert metrics["object_dims"] == [2] and metrics["relabelled_fraction"] > 0.5
    states = torch.as_tensor(np.array(ds["states"]))
    starts = torch.as_tensor(np.array(ds.episode_starts))
    goal = rest_goal_rows(states, starts, torch.tensor([False, False, True]))
    rows = torch.nonzero((goal >= 0) & torch.as_tensor(headed)).ravel()
    shuffled = goal[rows][torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))]
    with torch.no_grad():
        err = (actor(states[rows], states[goal[rows]]) - actions[rows])[:, 0].abs().median()
        blind = (actor(states[rows], states[shuffled]) - actions[rows])[:, 0].abs().median()
    assert err < 0.1 and blind > 3 * err  # carries toward the goal it is given (seen: 0.06, 0.25)
    save_goal_actor(tmp_path / "a.pt", actor, "toy", metrics)
    again = load_goal_actor(tmp_path / "a.pt", task="toy")
    x, g = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.equal(again(x, g), actor(x, g)) and again.meta["object_dims"] == [2]
    with pytest.raises(CheckpointError, match="trained on task 'toy'"):
        load_goal_actor(tmp_path / "a.pt", task="other")
    with pytest.raises(CheckpointError, match="no goal-actor checkpoint"):
        load_goal_actor(tmp_path / "missing.pt")


class _CountingChunks:
    """A stand-in actor whose c-th call predicts the chunk [c, c + 10, c + 20] / 100 (A = 1)."""

    def __init__(self):
        self.calls = 0

    def chunk(self, obs, goal):
        self.calls += 1
        return ((self.calls + torch.tensor([0.0, 10.0, 20.0])) / 100).expand(len(obs), 3)[..., None]


def test_controller_averages_the_chunks_predicted_for_each_step():
    controller = ActorController(_CountingChunks())
    controller.reset_batch(np.zeros((2, 4)))
    got = [float(controller.act_batch(np.zeros((2, 4)))[1, 0]) for _ in range(4)]
    # step t: the j-th action of the chunk made j calls ago, j < 3, averaged
    assert got == pytest.approx([0.01, (2 + 11) / 200, (3 + 12 + 21) / 300, (4 + 13 + 22) / 300])
    controller.reset_batch(np.zeros((2, 4)))  # a new episode forgets the old chunks
    assert controller.chunks == []


def test_controller_interface_and_cube_closed_loop():
    task = tasks.load(CUBE, seed=0)
    o = task.state_dim
    actor = GoalActor(torch.zeros(o), torch.ones(o), torch.arange(o) >= 19, task.action_dim)
    controller = ActorController(actor)
    with pytest.raises(RuntimeError, match="reset"):
        controller.act(np.zeros(o))
    controller.reset_batch(np.zeros((3, o)))
    assert controller.act_batch(np.zeros((3, o))).shape == (3, task.action_dim)
    out = evaluate_actor(task, actor, episodes=5, seed=100000, progress=False, indices=[0, 1],
                         batch=2)  # fmt: skip
    summary = out["summary"]
    assert summary["episodes"] == 2 and 0.0 <= summary["success_rate"] <= 1.0
    assert set(summary["success_rate_per_task"]) == {"task1", "task2"}
    assert [e["steps"] <= 200 for e in out["episodes"]] == [True, True]


def test_cli_trains_and_evaluates_the_actor(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--task", CUBE, "--level", "actor", "--collect-episodes", "2",
                 "--actor-steps", "30", "--actor-batch-size", "64", "--actor-goal",
                 "oraclerep"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "wrote runs/ogbench_cube-single-play-v0/goal_actor.pt" in out
    assert "goal dims read [19, 20, 21]" in out  # the task's success dims: the cube's position
    assert main(["train", "--task", CUBE, "--level", "actor", "--collect-episodes", "2",
                 "--actor-steps", "30", "--actor-batch-size", "64",
                 "--out", "full.pt"]) == 0  # fmt: skip
    assert "goal dims read [19, 20, 21]" not in capsys.readouterr().out  # full goal: learned dims
    path = "runs/ogbench_cube-single-play-v0/goal_actor.pt"
    assert main(["eval", "--task", CUBE, "--actor", path, "--episodes", "2", "--batch", "2"]) == 0
    assert "goal actor: success" in capsys.readouterr().out
    two = f"{path},{path}"  # two checkpoints act as one (their chunks averaged)
    assert main(["eval", "--task", CUBE, "--actor", two, "--episodes", "1"]) == 0
    assert "goal actor: success" in capsys.readouterr().out
    assert main(["eval", "--task", CUBE, "--actor", "missing.pt", "--episodes", "1"]) == 2
    assert main(["plan", "--task", CUBE, "--actor", path, "--video", "a.mp4"]) == 0  # filmed
    video = capsys.readouterr().out.split("wrote ")[-1].strip()  # a.mp4, or a.gif without ffmpeg
    assert video.startswith("a.") and (tmp_path / video).stat().st_size > 0

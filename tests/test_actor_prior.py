"""Mode 1 proposing, mode 2 choosing: the goal actor as CEM's prior (control.ActorPrior), and the
object readout as a goal cost (--goal-metric objects)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mpc_jepa.control import ActorPrior, MPCController
from mpc_jepa.costs import GoalDistance, ProposalDeviation, SumCost
from mpc_jepa.evaluation import PlanSettings, make_controller, make_cost, make_planner
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.models.object_readout import ObjectReadout
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig
from mpc_jepa.planners import CEMConfig, CEMPlanner
from mpc_jepa.training.object_readout import fit_object_readout
from tests.test_goal_actor import _toy_episodes, _write_dataset
from tests.test_landmark_graph import StraightLine
from tests.toy import LinearModel


class FixedActor:
    """chunk(obs, goal) -> k actions pointing from obs toward goal, then turning by ``turn``;
    records what it was shown."""

    def __init__(self, k: int = 3, turn: float = 0.0):
        self.k, self.turn, self.seen = k, turn, []

    def chunk(self, obs, goal):
        self.seen.append((obs.clone(), goal.clone()))
        d = (goal - obs) / (goal - obs).norm(dim=-1, keepdim=True).clamp_min(1e-6)
        steps = [d + self.turn * j * torch.stack([-d[:, 1], d[:, 0]], -1) for j in range(self.k)]
        return torch.stack(steps, 1)  # [B, k, 2]


def test_the_prior_is_the_actors_chunk_with_its_last_action_held():
    prior = ActorPrior(FixedActor(k=3, turn=0.5))
    with pytest.raises(RuntimeError, match="observe"):
        prior(torch.zeros(2, 2), 5)
    prior.observe(torch.zeros(2, 2), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    seq = prior(torch.zeros(2, 2), 5)
    assert seq.shape == (2, 5, 2) and seq.abs().max() <= 1.0  # clamped
    assert torch.equal(seq[:, 3], seq[:, 2]) and torch.equal(seq[:, 4], seq[:, 2])
    assert torch.equal(prior(torch.zeros(2, 2), 2), seq[:, :2])
    with pytest.raises(ValueError, match="observed 2 problems, asked to propose for 3"):
        prior(torch.zeros(3, 2), 5)
    with pytest.raises(ValueError, match=r"\[B, O\] alike"):
        prior.observe(torch.zeros(2, 2), torch.zeros(3, 2))


class WavyChunks:
    """A goal actor whose chunks change with the observation (some past the bounds)."""

    k = 3

    def chunk(self, obs, goal):
        j = torch.arange(1, self.k + 1, dtype=obs.dtype)[None, :, None]  # [1, k, 1]
        return 1.5 * torch.sin(obs[:, None, :] * j + j)  # [B, k, 2]


def test_a_plan_that_keeps_the_proposal_acts_as_the_actor_alone():
    """The proposal's first action is the actor controller's (temporal ensembling of the chunks
    made so far, clamped), also after a finished episode leaves the batch."""
    from mpc_jepa.control import ActorController

    alone, prior = ActorController(WavyChunks()), ActorPrior(WavyChunks())
    goals = np.zeros((3, 2), np.float32)
    alone.reset_batch(goals)
    prior.reset()
    for t in range(6):
        rows = [0, 1, 2] if t < 3 else [0, 2]  # episode 1 ends after 3 steps
        every = np.float32(t + np.arange(6).reshape(3, 2) / 7)  # [3, 2]: each episode its own
        obs = torch.as_tensor(every[rows])
        prior.observe(obs, torch.as_tensor(goals[rows]), rows, t)
        proposed = prior(obs, 5)
        acted = alone.act_batch(every)
        np.testing.assert_allclose(proposed[:, 0].numpy(), acted[rows], atol=1e-6)
        assert proposed.abs().max() <= 1.0 and torch.equal(proposed[:, 3], proposed[:, 2])


def test_cem_keeps_the_actors_proposal_when_it_is_best_and_improves_on_it_when_not():
    model, z0 = LinearModel(), torch.zeros(1, 2)
    goal = torch.tensor([[0.5, 0.0]])
    straight = ActorPrior(FixedActor(k=5))
    straight.observe(z0, goal)
    cfg = CEMConfig(horizon=5, num_samples=32, num_elites=4, num_iters=2, prior_samples=4)
    # the proposal lands exactly on the goal (5 steps of 0.1 x 1.0): CEM returns it, unchanged
    plan = CEMPlanner(model, cfg, prior=straight).plan(z0, GoalDistance(goal, weighting="terminal"))
    assert torch.equal(plan.actions, straight(z0, 5))
    # an actor that veers off: the plan ends nearer the goal than the proposal does
    veer = ActorPrior(FixedActor(k=5, turn=0.4))
    veer.observe(z0, goal)
    cost = GoalDistance(goal, weighting="terminal", terminal_weight=0.0)
    proposal_cost = cost(model.rollout(z0, veer(z0, 5)), veer(z0, 5))
    plan = CEMPlanner(model, cfg, prior=veer).plan(z0, cost)
    assert plan.cost.item() < 0.5 * proposal_cost.item()


def test_where_the_goal_cost_is_flat_the_deviation_keeps_the_plan_on_the_proposal():
    model, z0 = LinearModel(), torch.zeros(2, 2)
    prior = ActorPrior(FixedActor(k=5, turn=0.3))
    prior.observe(z0, torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    cfg = CEMConfig(horizon=5, num_samples=32, num_elites=4, num_iters=2, prior_samples=1)

    def flat(latents, actions):  # an arm far from the cube: no candidate moves it
        return torch.zeros(len(actions))

    drift = CEMPlanner(model, cfg, prior=prior).plan(z0, flat)
    assert not torch.equal(drift.actions, prior.proposal)  # the noise decides
    kept = CEMPlanner(model, cfg, prior=prior).plan(z0, SumCost((flat, ProposalDeviation(prior))))
    assert torch.equal(kept.actions, prior.proposal)
    with pytest.raises(ValueError, match="does not fit candidates"):
        ProposalDeviation(prior)(torch.zeros(3, 6, 2), torch.zeros(3, 5, 2))
    with pytest.raises(ValueError, match="has not proposed yet"):
        ProposalDeviation(ActorPrior(FixedActor()))(torch.zeros(2, 6, 2), torch.zeros(2, 5, 2))


def test_the_controller_shows_the_prior_the_running_problems_and_their_goals():
    model, actor = LinearModel(), FixedActor(k=5)
    prior = ActorPrior(actor)
    s = PlanSettings.from_flags(planner="cem", horizon=5, num_samples=16, num_elites=4,
                                policy_samples=3)  # fmt: skip
    with pytest.raises(ValueError, match="needs the cem planner .* and a prior"):
        make_planner("cem", model, s)
    with pytest.raises(ValueError, match="prior_weight needs a goal actor proposing"):
        make_controller(model, s.with_flags(policy_samples=0, prior_weight=1.0))
    planner = make_planner("cem", model, s, prior=prior)
    ctl = MPCController(model, planner, make_cost(model, s), prior=prior)
    goals = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], np.float32)
    ctl.reset_batch(goals)
    obs = np.zeros((3, 2), np.float32)
    ctl.act_batch(obs)
    ctl.act_batch(obs + 0.1, active=[0, 2])  # episode 1 finished
    seen_obs, seen_goal = actor.seen[-1]
    assert torch.equal(seen_goal, torch.as_tensor(goals[[0, 2]]))
    assert torch.allclose(seen_obs, torch.full((2, 2), 0.1))
    ctl.retarget(goals[1])  # a moving goal reaches the prior too
    ctl.reset_batch(goals[:1])
    ctl.retarget(goals[1])
    ctl.act_batch(obs[:1])
    assert torch.equal(actor.seen[-1][1], torch.as_tensor(goals[1:2]))


def test_object_readout_reads_the_objects_the_data_shows(tmp_path):
    ds = _write_dataset(tmp_path / "toy", *_toy_episodes(episodes=20)[:3])
    torch.manual_seed(0)
    model = JEPAWorldModel.build(WorldModelConfig(latent_dim=32, hidden=64), 3, 2).eval()
    rows = np.random.default_rng(0).permutation(len(ds))[:1000]
    readout, fit = fit_object_readout(model, ds, rows)
    assert readout.dims.tolist() == [False, False, True]  # the carried object, found in the data
    assert fit["object_dims"] == 1 and fit["object_r2_min"] > 0.95
    states = torch.as_tensor(np.array(ds["states"][:200]))
    with torch.no_grad():
        read = readout(model.encode(states))[:, 0] * readout.scale[0]
    assert (read - states[:, 2]).abs().mean() < 0.1 * states[:, 2].std()
    # the cost --goal-metric objects builds: the readouts' distance, the agent's dims ignored
    s = PlanSettings.from_flags(goal_metric="objects")
    distance = LearnedDistance(StraightLine(), objects=readout)
    with torch.no_grad():
        z = model.encode(states[:2])
        cost = make_cost(model, s, distance).with_goal(z[1])
        d = cost.per_step(z[:1, None])[0, 0]
    torch.testing.assert_close(d, (readout(z[0]) - readout(z[1])).norm(), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="'objects' needs a learned distance with an object"):
        make_cost(model, s, LearnedDistance(StraightLine()))
    with pytest.raises(ValueError, match=r"weight \[D \+ 1, 1\] and scale \[1\]"):
        ObjectReadout(torch.zeros(33, 2), readout.dims, readout.scale)


def test_planning_with_the_actors_proposals_from_the_command_line(tmp_path, monkeypatch, capsys):
    """cube-single, tiny models: train --level distance fits the object readout; eval and plan
    take --prior-actor with --policy-samples and --goal-metric objects."""
    from mpc_jepa.cli import main

    monkeypatch.chdir(tmp_path)
    cube = ["--task", "ogbench:cube-single-play-v0"]
    tiny = [*cube, "--collect-episodes", "2"]
    assert main(["train", *tiny, "--steps", "20", "--batch-size", "32"]) == 0
    assert main(["train", "--level", "distance", *tiny, "--distance-steps", "20",
                 "--distance-landmarks", "20"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    found = float(out.split("object_dims ")[1].split(",")[0])  # the cube's pose, found in data
    assert 7 <= found <= 10 and "object_r2_mean" in out
    assert main(["train", "--level", "actor", *tiny, "--actor-steps", "20",
                 "--actor-batch-size", "64"]) == 0  # fmt: skip
    actor = "runs/ogbench_cube-single-play-v0/goal_actor.pt"
    plan = ["--planner", "cem", "--goal-metric", "objects", "--horizon", "5", "--num-samples",
            "16", "--num-iters", "1", "--prior-actor", actor]  # fmt: skip
    assert main(["eval", *cube, *plan, "--episodes", "1"]) == 2  # no --policy-samples
    assert "--prior-actor proposes --policy-samples candidates" in capsys.readouterr().err
    assert main(["eval", *cube, *plan, "--policy-samples", "4", "--prior-weight", "1",
                 "--episodes", "2", "--batch", "2", "--json", "e.json"]) == 0  # fmt: skip
    assert "success" in capsys.readouterr().out
    assert main(["plan", *cube, *plan, "--policy-samples", "4", "--video", "p.mp4"]) == 0
    video = capsys.readouterr().out.split("wrote ")[-1].strip()
    assert (tmp_path / video).stat().st_size > 0

"""The cost module's trainable half: reward head, critic, return cost (models.value, costs)."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from mpc_jepa.costs import ReturnCost
from mpc_jepa.evaluation import PlanSettings, make_planner
from mpc_jepa.models.value import ValueConfig, ValueHeads
from mpc_jepa.planners import CEMConfig, CEMPlanner
from mpc_jepa.training.value import (
    Transitions,
    ValueTrainConfig,
    ValueTrainer,
    evaluate_heads,
)
from tests.toy import LinearModel

GAMMA = 0.9
OMEGA = 0.3  # the toy system's rotation per step


def rotation_data(episodes=200, length=40, seed=0, split=0.2, action_weight=0.5):
    """z rotates by OMEGA per step on the unit circle whatever the action; reward = cos(angle) +
    action_weight * a. True V(angle) = Re(e^{i angle} / (1 - gamma e^{i OMEGA})) (actions drawn
    at random add 0 on average to the value, which sums rewards of the data's own actions)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, (episodes, 1)) + OMEGA * np.arange(length + 1)[None]
    z = np.stack([np.cos(angle), np.sin(angle)], -1).reshape(-1, 2)  # [E*(L+1), 2]
    actions = rng.uniform(-1, 1, (episodes, length + 1, 1))
    rewards = np.cos(angle) + action_weight * actions[..., 0]
    actions[:, -1], rewards[:, -1] = 0, 0
    rows = np.arange(episodes * (length + 1)).reshape(episodes, length + 1)[:, :-1]
    held = np.arange(episodes) < split * episodes
    as_t = lambda a: torch.tensor(a, dtype=torch.float32).reshape(len(z), -1).squeeze(-1)  # noqa: E731
    data = Transitions(
        z=as_t(z),
        actions=as_t(actions).reshape(-1, 1),
        rewards=as_t(rewards),
        train=rows[~held].ravel(),
        val=rows[held].ravel(),
    )
    return data, np.mod(angle.ravel(), 2 * np.pi)


def true_value(angle):
    return (np.exp(1j * angle) / (1 - GAMMA * np.exp(1j * OMEGA))).real


def test_heads_shapes_and_errors():
    heads = ValueHeads(8, 3, ValueConfig(hidden=16, critics=3))
    z, a = torch.randn(4, 5, 8), torch.randn(4, 5, 3)
    assert heads.reward(z, a).shape == (4, 5)
    assert heads.critics(z).shape == (3, 4, 5)
    assert heads.value(z).shape == (4, 5)
    with pytest.raises(ValueError, match="D=8"):
        heads.value(torch.randn(4, 7))
    with pytest.raises(ValueError, match="actions must have shape"):
        heads.reward(z, torch.randn(4, 5, 2))
    for bad in (dict(gamma=1.0), dict(critics=0), dict(hidden=0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ValueConfig(**bad)
    for bad in (dict(expectile=0.4), dict(target_tau=0.0), dict(steps=-1), dict(val_fraction=1)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ValueTrainConfig(**bad)


def test_reward_head_and_critic_learn_beyond_a_constant():
    """Held-out errors clearly below a constant predictor's, for the reward and the value."""
    torch.manual_seed(0)
    data, angle = rotation_data()
    heads = ValueHeads(2, 1, ValueConfig(hidden=64, gamma=GAMMA))
    cfg = ValueTrainConfig(steps=1500, batch_size=256, expectile=0.5, target_tau=0.05)
    ValueTrainer(heads, cfg).fit(data, cfg.steps)
    m = evaluate_heads(heads, data)
    assert m["reward_r2"] > 0.95, m  # the action's share of the reward is learned too
    with torch.no_grad():
        v = heads.value(data.z[data.val]).numpy()
    truth = true_value(angle[data.val])
    err, const = np.mean((v - truth) ** 2), np.var(truth)
    assert err < 0.1 * const, (err, const)


class ExactHeads:
    """r(z, a) = -|z + a|^2 summed, V(z) = -|z|^2 / (1 - gamma): exact for the linear toy."""

    gamma = 0.8

    def reward(self, z, a):
        return -(z + 0.1 * a).pow(2).sum(-1)

    def value(self, z):
        return -z.pow(2).sum(-1) / (1 - self.gamma)


def test_return_cost_is_the_negated_discounted_return_and_ranks_as_it():
    model, heads = LinearModel(dt=0.1), ExactHeads()
    z0 = torch.tensor([[1.0, -0.5]])
    actions = torch.rand(64, 6, 2) * 2 - 1
    latents = model.rollout(z0.expand(64, 2), actions)  # [64, 7, 2]
    cost = ReturnCost(heads)(latents, actions)
    # the true return of the toy, step by step
    ret = torch.zeros(64)
    for t in range(6):
        ret += heads.gamma**t * -(latents[:, t + 1]).pow(2).sum(-1)
    ret += heads.gamma**6 * heads.value(latents[:, -1])
    assert torch.allclose(cost, -ret, atol=1e-5)
    assert torch.equal(cost.argsort(), (-ret).argsort())
    horizon_only = ReturnCost(heads, critic_weight=0.0)(latents, actions)
    assert torch.allclose(horizon_only, -(ret - heads.gamma**6 * heads.value(latents[:, -1])))
    with pytest.raises(ValueError, match="critic_weight"):
        ReturnCost(heads, critic_weight=-1)


def test_return_cost_is_differentiable_and_a_planner_maximises_it():
    heads = ValueHeads(2, 2, ValueConfig(hidden=8))
    actions = torch.zeros(3, 4, 2, requires_grad=True)
    latents = LinearModel().rollout(torch.randn(3, 2), actions)
    ReturnCost(heads)(latents, actions).sum().backward()
    assert actions.grad is not None and actions.grad.abs().sum() > 0
    # CEM on the exact toy drives z toward 0 (the return's maximum)
    cfg = CEMConfig(horizon=8, num_samples=256, num_elites=16, num_iters=4, seed=0)
    planner = CEMPlanner(LinearModel(), cfg)
    plan = planner.plan(torch.tensor([[0.3, -0.2]]), ReturnCost(ExactHeads()))
    assert plan.latents[0, -1].norm() < 0.1 * math.hypot(0.3, 0.2)


class TurnModel:
    """The rotation toy's predictor, with a steering action: z turns by OMEGA + 0.3 a."""

    action_dim = 1

    def predict(self, z, a):
        turn = OMEGA + 0.3 * a[..., 0]
        c, s = torch.cos(turn), torch.sin(turn)
        return torch.stack([c * z[..., 0] - s * z[..., 1], s * z[..., 0] + c * z[..., 1]], -1)


def test_policy_prior_climbs_the_critic_through_the_model():
    """Rewards ignore the action, so only V(f(z, a)) can teach the policy: it must steer toward
    where the value rises (the sign of dV/dangle after the step)."""
    torch.manual_seed(0)
    data, angle = rotation_data(action_weight=0.0)
    heads = ValueHeads(2, 1, ValueConfig(hidden=64, gamma=GAMMA, policy=True))
    cfg = ValueTrainConfig(steps=1500, batch_size=256, expectile=0.5, target_tau=0.05)
    trainer = ValueTrainer(heads, cfg)
    with pytest.raises(ValueError, match="model="):
        trainer.fit(data, 1)
    trainer.fit(data, cfg.steps, model=TurnModel())
    with torch.no_grad():
        a = heads.policy(data.z[data.val])[:, 0].numpy()
    after = angle[data.val] + OMEGA
    slope = (1j * np.exp(1j * after) / (1 - GAMMA * np.exp(1j * OMEGA))).real  # dV/dangle
    steep = np.abs(slope) > 0.5 * np.abs(slope).max()
    assert np.mean(np.sign(a[steep]) == np.sign(slope[steep])) > 0.9
    assert np.abs(a[steep]).mean() > 0.5  # it commits, not a hesitant push
    rollout = heads.policy_rollout(TurnModel(), data.z[:5], 7)
    assert rollout.shape == (5, 7, 1) and rollout.abs().max() <= 1


def test_q_critic_learns_the_value_of_the_policy_not_of_the_data():
    """Reward cos(angle) + 0.5 a, actions drawn at random in the data: the data's value is
    true_value, the best policy (a = 1 always) earns 0.5 / (1 - gamma) = 5 more. Q-learning
    against the policy prior finds that policy and its value; no model is needed."""
    torch.manual_seed(0)
    data, angle = rotation_data(action_weight=0.5)
    heads = ValueHeads(2, 1, ValueConfig(hidden=64, gamma=GAMMA, policy=True, q_critic=True))
    cfg = ValueTrainConfig(steps=2000, batch_size=256, expectile=0.5, target_tau=0.05)
    ValueTrainer(heads, cfg).fit(data, cfg.steps, model=object())
    with torch.no_grad():
        z = data.z[data.val]
        a = heads.policy(z)[:, 0].numpy()
        v = heads.value(z).numpy()
        q_low = heads.critics(z, a=-torch.ones(len(z), 1)).mean(0).numpy() / (1 - GAMMA)
    best = true_value(angle[data.val]) + 0.5 / (1 - GAMMA)
    assert a.mean() > 0.9
    assert np.abs(v - best).mean() < 0.1 * np.abs(best).mean()
    assert np.mean(q_low < v) > 0.95  # Q reads the action: -1 costs 1 now
    metrics = evaluate_heads(heads, data)
    assert metrics["critic_td_rmse"] < 0.1 and np.isfinite(metrics["value_mean"])
    with pytest.raises(ValueError, match="policy=True"):
        ValueConfig(q_critic=True)
    with pytest.raises(ValueError, match="read no action"):
        ValueHeads(2, 1, ValueConfig(hidden=8)).critics(z, a=torch.ones(len(z), 1))


def test_cem_candidates_include_the_prior():
    """A prior proposing the optimum is found by CEM with too few samples to find it alone."""
    target = torch.linspace(-0.9, 0.9, 6)[:, None].expand(6, 2)  # [T, A]

    def cost(latents, actions):
        return (actions - target).pow(2).sum((1, 2))

    cfg = CEMConfig(horizon=6, num_samples=4, num_elites=2, num_iters=1, seed=0)
    alone = CEMPlanner(LinearModel(), cfg).plan(torch.zeros(1, 2), cost)
    guided = CEMPlanner(LinearModel(), replace(cfg, prior_samples=3))
    guided.prior = lambda z0, horizon: target.expand(len(z0), horizon, 2)
    plan = guided.plan(torch.zeros(1, 2), cost)
    assert plan.cost[0] < 1e-6 < alone.cost[0]
    with pytest.raises(ValueError, match="prior_samples"):
        CEMConfig(prior_samples=-1)


def test_policy_samples_need_cem_and_a_policy():
    heads = ValueHeads(2, 2, ValueConfig(hidden=8))
    for planner, h in (("cem", heads), ("mppi", ValueHeads(2, 2, ValueConfig(policy=True)))):
        with pytest.raises(ValueError, match="policy_samples=4"):
            make_planner(
                planner,
                LinearModel(),
                PlanSettings.from_flags(planner=planner, policy_samples=4),
                heads=h,
            )
    with pytest.raises(ValueError, match="no policy"):
        heads.policy(torch.zeros(1, 2))

import numpy as np
import pytest
import torch

import tasks
from mpc_jepa import data
from mpc_jepa.costs import GoalDistance, StepReachability
from mpc_jepa.evaluation import PlanSettings, make_cost, make_planner
from mpc_jepa.models import JEPAWorldModel, WorldModelConfig
from mpc_jepa.models.checkpoints import CheckpointError, load_distance, load_slow
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.models.slow import ActionChunkEncoder, SlowModelConfig, SlowWorldModel
from mpc_jepa.planners import CEMConfig, CEMPlanner
from mpc_jepa.planners.hierarchical import HierarchicalPlanner, HierarchyConfig
from mpc_jepa.training import DistanceTrainConfig, TrainConfig, train, train_distance
from mpc_jepa.training.slow import SlowTrainConfig, train_slow
from tests.toy import LinearModel

K = 4
# the hierarchy over the learned slow model (the default slow level is the landmark graph's)
MODEL_LEVEL = PlanSettings.from_flags(planner="hierarchical", slow_level="model")


class ToySlow(LinearModel):
    """Slow toy: one slow step = K fast steps of the held macro-action."""

    k = K

    def __init__(self):
        super().__init__(dt=0.1 * K)


def l1_metric(z, g):
    return (z - g).abs().sum(-1)


def make_hier(seed=0, metric=None, max_step=None, model=None):
    """A hierarchy over the toy linear system; ``metric``: the slow level's learned distance
    stand-in, ``max_step``: its reachability penalty."""
    slow = CEMPlanner(
        ToySlow(), CEMConfig(horizon=4, num_samples=64, num_elites=8, num_iters=3, seed=seed)
    )
    fast = CEMPlanner(
        model or LinearModel(),
        CEMConfig(horizon=6, num_samples=64, num_elites=8, num_iters=3, seed=seed + 1),
    )
    distance = GoalDistance(weighting="uniform", terminal_weight=1.0, metric=metric)
    penalty = None
    if max_step is not None:
        penalty = StepReachability(lambda z: metric(z[:, :-1], z[:, 1:]), max_step)
    return HierarchicalPlanner(
        slow, fast, distance, HierarchyConfig(k=K, replan_every=1, handover_margin=0.0), penalty
    )


def test_slow_model_shapes_and_chunk_encoder():
    fast = JEPAWorldModel.build(WorldModelConfig(latent_dim=8, hidden=16), 4, 2)
    slow = SlowWorldModel(fast, SlowModelConfig(k=K, macro_dim=3, hidden=16), search="code")
    z = slow.encode(torch.randn(5, 4))
    m = slow.encode_actions(torch.rand(5, 3 * K, 2) * 2 - 1)
    assert m.shape == (5, 3, 3) and torch.all(m.abs() <= 1)
    assert slow.predict(z, m[:, 0]).shape == (5, 8)
    assert slow.rollout(z, m).shape == (5, 4, 8)
    assert slow.action_dim == 3 and not any(p.requires_grad for p in slow.fast.parameters())
    # "held" and "ramp" searches: slow actions are primitive actions, encoded as chunks
    held = SlowWorldModel(fast, SlowModelConfig(k=K, macro_dim=3, hidden=16), search="held")
    held.load_state_dict(slow.state_dict())
    a = torch.rand(5, 3, 2) * 2 - 1
    assert held.action_dim == 2 and held.rollout(z, a).shape == (5, 4, 8)
    torch.testing.assert_close(held.macro(a), slow.encode_actions(a.repeat_interleave(K, dim=1)))
    ramp = SlowWorldModel(fast, SlowModelConfig(k=K, macro_dim=3, hidden=16), search="ramp")
    chunk = ramp.chunks(torch.tensor([[-1.0, 0.0, 1.0, 0.5]]))  # [1, K, 2] from (-1, 0) to (1, 0.5)
    torch.testing.assert_close(chunk[0, [0, -1]], torch.tensor([[-1.0, 0.0], [1.0, 0.5]]))
    assert ramp.action_dim == 4
    with pytest.raises(ValueError, match=r"shape \[B, T, 2\], got \[5, 3, 3\]"):
        held.rollout(z, torch.zeros(5, 3, 3))
    with pytest.raises(ValueError, match="search must be"):
        SlowWorldModel(fast, SlowModelConfig(k=K), search="free")
    with pytest.raises(ValueError, match="chunks of k=4"):
        slow.encode_actions(torch.zeros(5, 7, 2))
    with pytest.raises(ValueError, match=r"\[\.\.\., 4, 2\]"):
        ActionChunkEncoder(K, 2, 3)(torch.zeros(5, 3, 2))


@pytest.mark.parametrize(
    "kw", [{}, {"metric": l1_metric, "max_step": 0.3}], ids=["latent", "metric"]
)
def test_hierarchical_planner_contract(kw):
    z0 = torch.tensor([[0.0, 0.0], [0.3, -0.2]])
    goal = torch.tensor([[0.8, -0.6], [-0.5, 0.4]])
    cost = GoalDistance(goal)
    a = make_hier(3, **kw).plan(z0, cost)
    b = make_hier(3, **kw).plan(z0, cost)
    assert a.actions.shape == (2, 6, 2) and torch.all(a.actions.abs() <= 1)
    torch.testing.assert_close(a.actions, b.actions)  # same seed, same plan
    single = make_hier(3, **kw).plan(z0[1:], GoalDistance(goal[1:]))
    # batch = single calls
    torch.testing.assert_close(a.actions[1:], single.actions, atol=1e-5, rtol=1e-5)
    # the subgoal lies between start and goal, one slow step (K fast steps) ahead
    sub = a.info["subgoal"]
    assert torch.all((sub - z0).norm(dim=-1) < (goal - z0).norm(dim=-1))
    assert torch.all((sub - goal).norm(dim=-1) < (z0 - goal).norm(dim=-1))
    # warm start carries the slow plan; shifting counts fast steps
    shifted = a.shifted(1)
    assert shifted.info["hierarchy"].steps == 1
    c = make_hier(3, **kw).plan(z0, cost, shifted)
    assert torch.all(torch.isfinite(c.actions))
    with pytest.raises(ValueError, match="goal-bound"):
        make_hier().plan(z0, lambda lat, act: lat.sum((1, 2)))
    with pytest.raises(ValueError, match="slow_distance must be a GoalDistance"):
        HierarchicalPlanner(None, None, lambda lat, act: lat.sum((1, 2)))
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        HierarchyConfig(k=0)


@pytest.fixture(scope="module")
def two_room_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("hier")
    ds = data.collect(
        tasks.load("two_room", seed=0),
        d / "tr",
        episodes=40,
        episode_length=100,
        seed=0,
        progress=False,
    )
    fast = train(
        ds,
        d / "fast.pt",
        TrainConfig(steps=500, batch_size=128, log_csv=False),
        WorldModelConfig(latent_dim=16, hidden=64),
        progress=False,
    ).model
    slow, metrics = train_slow(
        ds,
        fast,
        d / "slow.pt",
        SlowTrainConfig(steps=300, batch_size=128),
        SlowModelConfig(k=K, macro_dim=4, hidden=64),
        progress=False,
    )
    distance = train_distance(
        ds, fast, d / "distance.pt", DistanceTrainConfig(steps=200), progress=False
    )
    return ds, fast, slow, metrics, d, distance


def test_slow_level_learns_and_round_trips(two_room_models):
    ds, fast, slow, metrics, d, _ = two_room_models
    # starts as the copy model (1.0): it learned
    assert metrics["slow_pred_ratio_s1"] < 0.8, metrics
    assert metrics["macro_std_min"] > 0.1, metrics  # macro-actions did not collapse
    # round trip: the slow step with the chunk's macro-action lands near the fast model's
    # k-step rollout
    batch = data.WindowSampler(ds, K).sample(64, np.random.default_rng(1))
    with torch.no_grad():
        z0 = fast.encode(torch.as_tensor(batch["states"][:, 0]))
        acts = torch.as_tensor(batch["actions"])
        fast_end = fast.rollout(z0, acts)[:, -1]
        slow_end = slow.rollout_macros(z0, slow.encode_actions(acts))[:, -1]
        moved = (fast_end - z0).norm(dim=-1).mean()
        assert (slow_end - fast_end).norm(
            dim=-1
        ).mean() < 0.8 * moved  # copying z0 would give 1.0 * moved (measured 0.61)
    loaded = load_slow(d / "slow.pt", fast, task="two_room")
    torch.testing.assert_close(loaded.encode_actions(acts), slow.encode_actions(acts))
    with pytest.raises(CheckpointError, match="point_mass"):
        load_slow(d / "slow.pt", fast, task="point_mass")
    other = JEPAWorldModel.build(WorldModelConfig(latent_dim=16, hidden=64), 4, 2)
    with pytest.raises(CheckpointError, match="another fast model"):
        load_slow(d / "slow.pt", other)


def test_learned_distance_has_its_own_file(two_room_models):
    """The metric and its landmark graph are trained and stored apart from the slow level
    (`train --level distance`): they round-trip through their own file over the fast model."""
    ds, fast, _, _, d, distance = two_room_models
    loaded = load_distance(d / "distance.pt", fast, task="two_room")
    z = fast.encode(torch.as_tensor(np.array(ds["states"][:64])))
    assert distance.meta["steps_per_second"] > 0 and distance.meta["landmarks"] == 500
    torch.testing.assert_close(loaded.metric.distance(z[:32], z[32:]),
                               distance.metric.distance(z[:32], z[32:]))  # fmt: skip
    torch.testing.assert_close(loaded.graph.landmarks, distance.graph.landmarks)
    torch.testing.assert_close(loaded.graph.distance(z[:32], z[32:]),
                               distance.graph.distance(z[:32], z[32:]))  # fmt: skip
    assert loaded.train_config["steps"] == 200
    with pytest.raises(CheckpointError, match="point_mass"):
        load_distance(d / "distance.pt", fast, task="point_mass")
    other = JEPAWorldModel.build(WorldModelConfig(latent_dim=16, hidden=64), 4, 2)
    with pytest.raises(CheckpointError, match="another fast model"):
        load_distance(d / "distance.pt", other)
    with pytest.raises(CheckpointError, match="not a mpc_jepa learned-distance checkpoint"):
        load_distance(d / "slow.pt", fast)


def test_learned_costs_need_the_learned_distance_not_the_slow_level(two_room_models):
    ds, fast, slow, metrics, d, distance = two_room_models
    landmarks = PlanSettings(planner="hierarchical")
    with pytest.raises(ValueError, match="slow_level='landmarks' .the default. needs a learned"):
        make_planner("hierarchical", fast, landmarks, slow_model=slow)
    make_planner("hierarchical", fast, landmarks, distance=distance)  # no slow level needed
    with pytest.raises(ValueError, match="slow_cost='graph' needs a learned distance"):
        make_planner("hierarchical", fast, MODEL_LEVEL, slow_model=slow)
    no_graph = LearnedDistance(distance.metric)  # trained with --distance-landmarks 0
    with pytest.raises(
        ValueError, match="slow_cost='graph' needs a learned distance with landmarks"
    ):
        make_planner("hierarchical", fast, MODEL_LEVEL, slow_model=slow, distance=no_graph)
    graph_cost = PlanSettings.from_flags(goal_metric="graph")
    with pytest.raises(ValueError, match="goal_metric='graph' needs a learned distance"):
        make_cost(fast, graph_cost)
    with pytest.raises(ValueError, match="goal_metric='graph' needs a learned distance with"):
        make_cost(fast, graph_cost, no_graph)
    assert make_cost(fast, graph_cost, distance).metric == distance.graph.distance
    planner = make_planner("hierarchical", fast, MODEL_LEVEL, slow_model=slow, distance=distance)
    assert (
        planner.slow_distance.metric == distance.graph.distance
        and planner.slow_distance.weighting == "uniform"
    )
    latent = MODEL_LEVEL.with_flags(slow_cost="latent")
    planner = make_planner("hierarchical", fast, latent, slow_model=slow)
    assert planner.slow_distance.metric is None and planner.slow_penalty is None
    ps = MODEL_LEVEL.with_flags(slow_cost="temporal", slow_max_step=1.5, slow_weighting="linear")
    planner = make_planner("hierarchical", fast, ps, slow_model=slow, distance=distance)
    assert (
        planner.slow_distance.metric == distance.metric.distance
        and planner.slow_distance.weighting == "linear"
    )
    assert planner.slow_penalty.max_step == pytest.approx(1.5 * K * distance.metric.step_scale)
    assert planner.config.k == K
    assert planner.config.replan_every == ps.hierarchy.model.slow_replan_every
    with pytest.raises(ValueError, match="slow_level='model' needs a slow model"):
        make_planner("hierarchical", fast, ps, distance=distance)


def test_verification_picks_the_candidate_the_fast_model_confirms():
    """A slow plan that only the slow model likes loses to an elite the fast model confirms."""
    from mpc_jepa.planners import VerifiedPlanner
    from mpc_jepa.types import Plan

    class Line:  # fast model: z moves by the action, 1-D
        action_dim = 1

        def rollout(self, z0, actions):
            return torch.cat([z0[:, None], z0[:, None] + actions.cumsum(1)], 1)

    k, H = 2, 3

    class Fixed:  # the slow planner: returns the slow model's (wrong) pick and an elite
        def plan(self, z0, cost, init=None):
            return slow_plan

    planner = VerifiedPlanner(
        Fixed(), Line(), lambda a: a.unsqueeze(-2).expand(*a.shape[:-1], k, a.shape[-1]), k
    )
    z0 = torch.zeros(1, 1)
    cost = GoalDistance(torch.full((1, 1), 6.0), weighting="terminal", terminal_weight=0.0)
    wrong = torch.full((1, H, 1), -1.0)  # the slow model's pick: moves away from the goal
    right = torch.full((1, 1, H, 1), 1.0)  # an elite: reaches z = 6 after H*k = 6 fast steps
    slow_plan = Plan(wrong, torch.zeros(1), torch.zeros(1, H + 1, 1), {"last_elites": right})
    out = planner.plan(z0, cost)
    torch.testing.assert_close(out.actions, right[:, 0])
    # every k fast steps
    torch.testing.assert_close(out.latents[0, :, 0], torch.tensor([0.0, 2.0, 4.0, 6.0]))
    assert float(out.cost) < 1e-5 and int(out.info["verified_choice"]) == 1
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        VerifiedPlanner(Fixed(), Line(), None, 0)


def test_two_room_geodesic_goes_through_the_door():
    from tasks.two_room import DOOR_HIGH, DOOR_LOW, RADIUS

    geodesic_distance = tasks.load("two_room").geodesic_distance  # the task owns its geometry

    a, b = np.array([-0.1, -0.2]), np.array([0.1, -0.2])
    y = DOOR_LOW + RADIUS  # the lowest point of the opening the centre passes
    expected = 2 * np.hypot(0.1, y + 0.2)
    assert geodesic_distance(a, b) == pytest.approx(expected, rel=1e-9)
    # straight through the door
    assert geodesic_distance([-0.1, 0.15], [0.1, 0.15]) == pytest.approx(0.2)
    # same room
    assert geodesic_distance([-0.1, 0.0], [-0.2, 0.1]) == pytest.approx(np.hypot(0.1, 0.1))
    batch = geodesic_distance(np.zeros((2, 2)) + a, np.stack([b, [-0.2, 0.1]]))
    assert batch.shape == (2,) and batch[0] == pytest.approx(expected)
    assert DOOR_HIGH > y


def test_wall_diagnostics_report_rates_and_correlations(tmp_path):
    from mpc_jepa.diagnostics.task_geometry import geodesic_rank_correlation, wall_leak

    ds = data.collect(
        tasks.load("two_room", seed=0),
        tmp_path / "tr",
        episodes=8,
        episode_length=30,
        seed=0,
        progress=False,
    )
    model = JEPAWorldModel.build(WorldModelConfig(latent_dim=8, hidden=32), 4, 2).eval()
    task = tasks.load("two_room", seed=0)
    rho = geodesic_rank_correlation(model, ds, task, num_rows=200, num_pairs=2000)
    keys = {
        "spearman_geodesic",
        "spearman_euclidean",
        "cross_room_spearman_geodesic",
        "cross_room_spearman_euclidean",
        "long_spearman_geodesic",
    }
    assert set(rho) == keys | {"long_pairs"} and all(
        -1 <= rho[k] <= 1 for k in keys - {"long_spearman_geodesic"}
    )
    with pytest.raises(ValueError, match="needs a task with a path geometry, got 'point_mass'"):
        geodesic_rank_correlation(model, ds, tasks.load("point_mass"))
    leak = wall_leak(model, ds, task, steps=(2, 4), per_band=4)
    assert set(leak) == {"bottom", "middle", "top"} and all(
        set(v) == {2, 4} and all(0 <= r <= 1 for r in v.values()) for v in leak.values()
    )
    with pytest.raises(ValueError, match=r"inside a room or the door, got \[0.0, -0.2\]"):
        tasks.load("two_room").set_position(np.array([0.0, -0.2]))


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_two_room_subgoal_moves_toward_the_door(tmp_path):
    """The bench's two_room recipe (over 10 minutes on 2 cores; 14 with one thread): fast model
    on 16-step rollouts, slow level, temporal-distance metric. From beside the wall, below the
    door, with the goal straight across, the slow plan's first subgoals climb toward the door;
    measuring progress in the fast
    latent instead, they do not (the failure the metric fixes)."""
    from mpc_jepa.diagnostics import physical_probe
    from tasks.two_room import DOOR_LOW

    ds = data.collect(
        tasks.load("two_room", seed=0), tmp_path / "tr", episodes=800, seed=0, progress=False
    )
    fast = train(
        ds,
        tmp_path / "fast.pt",
        TrainConfig(steps=3000, rollout_steps=16, log_csv=False),
        WorldModelConfig(),
        progress=False,
    ).model
    slow, _ = train_slow(
        ds,
        fast,
        tmp_path / "slow.pt",
        SlowTrainConfig(steps=3000),
        SlowModelConfig(),
        progress=False,
    )
    distance = train_distance(ds, fast, tmp_path / "distance.pt", progress=False)
    probe = physical_probe(fast, ds)
    y0 = 0.0
    start, goal = np.array([[0.06, y0, 0.0, 0.0]]), np.array([[-0.06, y0, 0.0, 0.0]])
    z0, zg = fast.encode(torch.as_tensor(start).float()), fast.encode(torch.as_tensor(goal).float())
    climbs = {}
    for slow_cost in ("temporal", "latent"):
        ps = MODEL_LEVEL.with_flags(slow_cost=slow_cost, slow_handover=0.0)
        with torch.no_grad():
            planner = make_planner("hierarchical", fast, ps, slow_model=slow, distance=distance)
            plan = planner.plan(z0, make_cost(fast, ps).with_goal(zg))
        # [H+1, 2] predicted positions
        path = probe(plan.info["hierarchy"].slow_plan.latents[0].numpy())
        # highest point of the first three slow steps (24 fast steps)
        climbs[slow_cost] = float(path[1:4, 1].max())
    # bench models (runs/bench/hier_two_room*.pt): temporal 0.124, latent -0.035
    # at least halfway up to the door
    assert climbs["temporal"] > y0 + 0.5 * (DOOR_LOW - y0), climbs
    assert climbs["temporal"] > climbs["latent"], climbs

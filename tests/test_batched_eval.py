"""Batched evaluation: N episodes in lockstep, one planner call per control step, each episode
with its own goal, warm start and seeds, equals the sequential run (up to float rounding)."""

import numpy as np
import pytest

import tasks
from mpc_jepa import data
from mpc_jepa.control import MPCController, run_episode, run_episodes
from mpc_jepa.evaluation import PlanSettings, evaluate, make_cost, make_planner
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.slow import SlowModelConfig
from mpc_jepa.planners import PLANNERS
from mpc_jepa.training import (
    DistanceTrainConfig,
    SlowTrainConfig,
    TrainConfig,
    train,
    train_distance,
    train_slow,
)

SMALL = dict(num_samples=32, num_elites=6, num_iters=2, grad_steps=3, grad_restarts=3)
SLOW = dict(slow_level="model", slow_horizon=4, slow_samples=64, slow_iters=2, slow_replan_every=4)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny two_room fast model, slow level and learned distance (metric and landmarks)."""
    d = tmp_path_factory.mktemp("batched")
    ds = data.collect(
        tasks.load("two_room", seed=0),
        d / "tr",
        episodes=20,
        episode_length=60,
        seed=0,
        progress=False,
    )
    cfg = TrainConfig(steps=60, batch_size=64, log_csv=False)
    fast = train(
        ds, d / "fast.pt", cfg, WorldModelConfig(latent_dim=8, hidden=32), progress=False
    ).model
    scfg = SlowTrainConfig(steps=20, batch_size=32)
    slow, _ = train_slow(
        ds, fast, d / "slow.pt", scfg, SlowModelConfig(k=4, hidden=32), progress=False
    )
    dcfg = DistanceTrainConfig(steps=30)
    return fast, slow, train_distance(ds, fast, d / "distance.pt", dcfg, progress=False)


TOLERANCE = {"mppi": 0.05, "grad": 0.05, "gradcem": 0.05}
"""Final-distance tolerance (m) of batched vs sequential episodes. Batched model calls round
differently in the last bits. Planners that return one of their sampled candidates (CEM, the
hierarchy's CEMs) stay equal on these tiny models (3.1e-4 m on point_mass over 64 episodes with
the bench model, `make bench` section throughput); MPPI's soft-weighted mean and Adam's
continuous steps through the model carry the rounding on, and an episode pushing against a wall
amplifies it (measured here: up to 0.012 m (MPPI) and 0.002 m (gradient) on failed episodes;
1.4e-3 m for MPPI on point_mass; successes equal throughout)."""


def _same(a: dict, b: dict, tolerance: float = 1e-4) -> None:
    """Same seeds, step counts, evaluations and successes; distances within ``tolerance``."""
    keys = ("success", "steps", "seed", "model_evals_per_step", "start_distance")
    for x, y in zip(a["episodes"], b["episodes"], strict=True):
        assert {k: x[k] for k in keys} == {k: y[k] for k in keys}
        assert x["final_distance"] == pytest.approx(y["final_distance"], abs=tolerance), (x, y)


# the gradient planners' cases take over a minute each here: slow (make test-slow)
SLOW_CASES = ("grad", "gradcem")


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CASES else n
     for n in [*PLANNERS, "hierarchical/landmarks"]],
)  # fmt: skip
def test_batched_evaluation_equals_sequential(name, models):
    fast, slow, distance = models
    planner = name.split("/")[0]
    slow_settings = SLOW if name == "hierarchical" else {}  # the model slow level's, or none
    s = PlanSettings.from_flags(planner=planner, **SMALL, **slow_settings)
    task = tasks.load("two_room", seed=100000)
    kw = dict(seed=100000, progress=False, slow_model=slow, distance=distance)
    sequential = evaluate(task, fast, s, 3, **kw)
    batched = evaluate(task, fast, s, 3, batch=3, **kw)
    _same(sequential, batched, TOLERANCE.get(planner, 1e-4))
    partial = evaluate(task, fast, s, 3, batch=2, **kw)  # a full batch, then a batch of one
    _same(sequential, partial, TOLERANCE.get(planner, 1e-4))


@pytest.mark.parametrize("planner_name", ["cem", "hierarchical/landmarks"])
def test_finished_episodes_leave_the_planners_batch(models, planner_name):
    """An episode that ends stops being planned: the planner's batch shrinks to the running
    episodes, and each still plans as its single run (its noise stream continues)."""
    fast, _, distance = models
    name = planner_name.split("/")[0]
    s = PlanSettings.from_flags(planner=name, **SMALL)
    seeds, lengths = [7, 8, 9], [3, 6, 4]
    planner = make_planner(name, fast, s, seeds=tuple(seeds), distance=distance)
    sizes, plan = [], planner.plan
    planner.plan = lambda z0, cost, init=None: sizes.append(len(z0)) or plan(z0, cost, init)
    pool = [tasks.load("two_room") for _ in seeds]
    ctrl = MPCController(fast, planner, make_cost(fast, s, distance))
    batched = run_episodes(pool, ctrl, seeds, max_steps=lengths)
    assert sizes == [3, 3, 3, 2, 1, 1]  # steps 0-2 all, 3 two, 4-5 one
    for seed, length, r in zip(seeds, lengths, batched):
        one_s = s.with_flags(planner_seed=seed)
        single = make_planner(name, fast, one_s, distance=distance)
        one = run_episode(tasks.load("two_room"), MPCController(fast, single,
                          make_cost(fast, s, distance)), seed, max_steps=length)  # fmt: skip
        assert one.final_distance == pytest.approx(r.final_distance, abs=1e-4), seed


def test_episodes_of_different_lengths_end_at_their_own_end(models):
    fast, _, _ = models
    s = PlanSettings.from_flags(planner="cem", **SMALL)
    seeds, lengths = [7, 8, 9], [5, 11, 8]
    pool = [tasks.load("two_room") for _ in seeds]
    planner = make_planner("cem", fast, s, seeds=tuple(seeds))
    batched = run_episodes(
        pool, MPCController(fast, planner, make_cost(fast, s)), seeds, max_steps=lengths
    )
    assert [r.steps for r in batched] == lengths and [r.seed for r in batched] == seeds
    for seed, length, r in zip(seeds, lengths, batched):
        single = make_planner(
            "cem", fast, PlanSettings.from_flags(planner="cem", planner_seed=seed, **SMALL)
        )
        ctrl = MPCController(fast, single, make_cost(fast, s))
        one = run_episode(tasks.load("two_room"), ctrl, seed, max_steps=length)
        assert one.final_distance == pytest.approx(r.final_distance, abs=1e-4)
        assert np.isfinite(r.ms_per_step) and r.ms_per_step > 0
    with pytest.raises(
        ValueError, match="max_steps must be >= 1, one per task \\(3\\), got \\[5, 0\\]"
    ):
        run_episodes(
            pool, MPCController(fast, planner, make_cost(fast, s)), seeds, max_steps=[5, 0]
        )
    with pytest.raises(ValueError, match="episodes and batch must be >= 1, got 2, 0"):
        evaluate(tasks.load("two_room"), fast, s, 2, batch=0)

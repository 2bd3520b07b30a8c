"""`mpc-jepa learn`: learning by acting on a reward task, as PlaNet, Dreamer and TD-MPC2 do.

A run (directory ``runs/learn/<task>/seed<k>/``):

1. ``seed_episodes`` exploration episodes (``ExplorationPolicy``) start the dataset ``data/``;
2. then, repeatedly: the world model and the reward head and critic take ``utd`` gradient steps
   per agent step in the data (update-to-data ratio; the heads on the freshly re-embedded data);
   both are checkpointed; every ``eval_every`` environment steps, ``eval_episodes`` episodes
   (batched, noise-free, held-out seeds) put a point on the learning curve (``curve.csv``,
   ``curve.png``); one episode of the planner, with N(0, noise^2) added to its actions, is
   appended to the dataset (atomically).

Environment steps count physics steps (agent steps x action repeat), as published curves do. The
run is resumable by construction: the dataset is the record of what was done (env steps = its
transitions x repeat), the checkpoints hold the optimisers, and the updates owed are recomputed
from both, so a kill loses at most the episode and updates in flight.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace

import numpy as np
from tqdm import tqdm

import tasks
from mpc_jepa.control import MPCController
from mpc_jepa.data import Dataset
from mpc_jepa.data.append import append_episodes
from mpc_jepa.data.arrays import array_shapes
from mpc_jepa.data.collect import record_episode
from mpc_jepa.data.exploration import ExplorationPolicy
from mpc_jepa.evaluation import PlanSettings, evaluate, make_cost, make_planner
from mpc_jepa.files import write_json
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.checkpoints import VALUE_FORMAT, read_checkpoint, save_value_heads
from mpc_jepa.models.value import ValueConfig, ValueHeads
from mpc_jepa.outputs import output_lock
from mpc_jepa.pipeline.learn_curve import plot_curve, read_curve, write_curve
from mpc_jepa.pipeline.learn_settings import LearnSettings
from mpc_jepa.planners.registry import planner_spec
from mpc_jepa.training.config import TrainConfig
from mpc_jepa.training.run import TrainingRun
from mpc_jepa.training.value import Transitions, ValueTrainConfig, ValueTrainer

EVAL_SEED = 900000
"""First evaluation episode seed (far from the collection seeds)."""


class LearningRun:
    """One run's task, dataset, world-model trainer, heads and curve (see the module docstring)."""

    def __init__(self, s: LearnSettings, ps: PlanSettings, progress: bool = True):
        self.task = tasks.load(s.task, objective="reward", seed=s.seed)
        self.s = s = s.with_recipe(self.task.recipe)
        self.ps, self.progress = ps, progress
        self.dir = s.directory()
        self.data_path, self.curve_path = self.dir / "data", self.dir / "curve.csv"
        fresh = not self.data_path.exists()
        if not fresh and not s.resume:
            raise ValueError(f"{str(self.dir)!r} holds a run; pass --resume or another --out")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.meta = self._meta()
        if fresh or Dataset(self.data_path).num_episodes < s.seed_episodes:
            self._explore()
        ds = Dataset(self.data_path)
        repeat = self.task.action_repeat
        total_updates = int(s.utd * s.env_steps / repeat) + 1
        tcfg = TrainConfig(
            steps=total_updates,
            rollout_steps=s.rollout_steps,
            reach_weight=s.reach_weight,
            reward_weight=s.reward_weight,
            value_weight=s.value_weight,
            eval_every=10**9,
            checkpoint_every=10**9,
            seed=s.seed,
            device=s.device,
            log_csv=False,
        )
        wcfg = WorldModelConfig(latent_dim=s.latent_dim, hidden=s.hidden)
        self.wm = TrainingRun(ds, self.dir / "world_model.pt", tcfg, wcfg)
        # Q critics bootstrap from the policy prior, so it is trained even when not sampled
        vcfg = ValueConfig(policy=ps.sampling.policy_samples > 0 or s.q_critic, q_critic=s.q_critic)
        self.heads = ValueHeads(self.wm.model.latent_dim, self.task.action_dim, vcfg)
        self.heads.to(self.wm.device)
        vtcfg = ValueTrainConfig(expectile=s.value_expectile, seed=s.seed, device=s.device)
        self.value = ValueTrainer(self.heads, vtcfg)
        if s.resume and self.wm.out.exists():
            self._restore()
        self.curve = read_curve(self.curve_path)
        self.clock = self.curve[-1]["wall_seconds"] if self.curve else 0.0

    def _meta(self) -> dict:
        t = self.task
        return {
            "task": t.name,
            "state_dim": t.state_dim,
            "action_dim": t.action_dim,
            "pixels": False,
            "image_size": None,
            "episode_length": t.episode_length,
            "action_repeat": t.action_repeat,
            "seed": self.s.seed,
            "exploration": None,
            "policy": "learn: exploration, then the planner with noise",
            "coverage_10x10": None,
            "frames_per_second": None,
        }

    def _explore(self) -> None:
        rng = np.random.default_rng(self.s.seed)
        have = Dataset(self.data_path).num_episodes if self.data_path.exists() else 0
        policy = ExplorationPolicy(self.task.episode_length)
        for e in range(have, self.s.seed_episodes):
            self.task.reset(seed=self.s.seed * 10**6 + e)
            policy.begin(self.task, rng)
            episode = _play(self.task, lambda obs: policy.act(self.task, rng))
            append_episodes(self.data_path, [episode], self.meta)

    def _restore(self) -> None:
        self.wm.restore()
        ckpt = read_checkpoint(self.dir / "value_heads.pt", VALUE_FORMAT, self.task.name)
        self.heads.load_state_dict(ckpt["heads"])
        self.value.load_state(ckpt["train_state"])

    @property
    def env_steps(self) -> int:
        ds = self.wm.dataset
        return int((len(ds) - ds.num_episodes) * self.task.action_repeat)

    def train(self) -> None:
        """The updates owed to the data (``utd`` per agent step), then checkpoints."""
        ds = self.wm.dataset
        owed = int(self.s.utd * (len(ds) - ds.num_episodes)) - self.wm.step
        if owed <= 0:
            return
        if self.s.renew_stats:
            self.wm.renew_input_stats()
        self.wm.model.train()
        for _ in range(owed):
            self.wm.update()
        self.wm.model.eval()
        data = Transitions.of(ds, self.wm.model, self.value.config)
        self.value.fit(data, owed, model=self.wm.model)
        self.wm.checkpoint()
        save_value_heads(
            self.dir / "value_heads.pt",
            self.heads,
            self.wm.model,
            self.task.name,
            {},
            self.value.state(),
        )

    def evaluate(self) -> dict:
        """One point of the curve: ``eval_episodes`` noise-free episodes, batched."""
        out = evaluate(
            self.task,
            self.wm.model,
            self.ps,
            self.s.eval_episodes,
            seed=EVAL_SEED,
            progress=False,
            device=self.s.device,
            heads=self.heads,
            batch=self.s.eval_episodes,
        )["summary"]
        row = {
            "env_steps": self.env_steps,
            "episodes": self.wm.dataset.num_episodes,
            "mean_return": out["mean_return"],
            "std_return": out["std_return"],
            "wall_seconds": self.clock,
        }
        self.curve.append(row)
        write_curve(self.curve_path, self.curve)
        plot_curve(self.curve, self.task.name, self.dir / "curve.png", self.s.seed)
        return row

    def act(self) -> float:
        """One planner episode with exploration noise, appended to the dataset; its return."""
        e = self.wm.dataset.num_episodes
        ps = replace(self.ps, planner_seed=self.s.seed * 10**6 + e)
        planner = make_planner(ps.planner, self.wm.model, ps, heads=self.heads)
        cost = make_cost(self.wm.model, ps, heads=self.heads)
        controller = MPCController(self.wm.model, planner, cost, ps.replan_every, self.s.device)
        rng = np.random.default_rng([self.s.seed, e])
        self.task.reset(seed=self.s.seed * 10**6 + e)
        controller.reset()

        def policy(obs):
            action = controller.act(obs["state"])
            return np.clip(action + self.s.noise * rng.normal(size=action.shape), -1, 1)

        episode = _play(self.task, policy)
        self.wm.use_dataset(append_episodes(self.data_path, [episode], self.meta))
        return float(episode["rewards"].sum())

    def due_for_eval(self) -> bool:
        last = self.curve[-1]["env_steps"] if self.curve else -self.s.eval_every
        return self.env_steps - last >= self.s.eval_every or (
            self.env_steps >= self.s.env_steps and last < self.env_steps
        )


def run_learn(s: LearnSettings, ps: PlanSettings = PlanSettings(), progress: bool = True) -> list:
    """Run (or resume) a learning run; returns its curve (rows of ``learn_curve.FIELDS``)."""
    if planner_spec(ps.planner).composite:
        raise ValueError("learning by acting plans with a flat planner (cem, mppi, grad, gradcem)")
    with output_lock(s.directory()):  # one writer per run directory
        return _learn_locked(s, ps, progress)


def _learn_locked(s: LearnSettings, ps: PlanSettings, progress: bool) -> list:
    """``run_learn`` with the run directory's lock held."""
    run = LearningRun(s, ps, progress)
    s = run.s  # the recipe's sizes filled in
    write_json(run.dir / "settings.json", {"learn": asdict(s), "plan": asdict(ps)})
    bar = tqdm(
        total=s.env_steps,
        initial=min(run.env_steps, s.env_steps),
        disable=not progress,
        desc=f"learn {run.task.name}",
        unit="env step",
    )
    last_return = None
    while True:
        start = time.perf_counter()
        run.train()
        if run.due_for_eval():
            row = run.evaluate()
            bar.set_postfix(eval_return=f"{row['mean_return']:.0f}", train_return=last_return)
        if run.env_steps >= s.env_steps:
            break
        before = run.env_steps
        last_return = f"{run.act():.0f}"
        run.clock += time.perf_counter() - start
        bar.update(min(run.env_steps, s.env_steps) - min(before, s.env_steps))
        bar.set_postfix(eval_return=f"{run.curve[-1]['mean_return']:.0f}", train_return=last_return)
    bar.close()
    return run.curve


def _play(task, act) -> dict:
    """One episode from the task's current state, ``act(obs) -> action`` choosing: T+1 rows of the
    dataset's arrays (the last action and reward 0)."""
    T = task.episode_length
    arrays = {k: np.empty(shape, dt) for k, (shape, dt) in array_shapes(task, T + 1).items()}
    record_episode(task, act, T, arrays)
    return arrays

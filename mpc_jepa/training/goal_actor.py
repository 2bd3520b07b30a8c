"""Training of the goal-conditioned actor (``models.goal_actor.GoalActor``) on reward-free data.

Goal relabelling. A play dataset (OGBench's cube-single: a scripted arm picks the cube up and puts
it down somewhere, again and again) is a sequence of object moves; each move was made toward the
place where the object next comes to rest. So the goal of row t is the observation at the first
*rest start* after t: a step where the object dimensions stop changing and then stay still for
``rest_steps`` steps. The actor regresses the action taken at t from (s_t, goal): behaviour cloning
conditioned on the goal the data was actually heading for. (Uniformly drawn future goals, GCBC's
relabelling, mix several moves into one target and reach 6% on cube-single in OGBench's paper.)
Rows with no rest start after them in their episode are not used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from tqdm import tqdm

from mpc_jepa.data import Dataset, episode_ends
from mpc_jepa.models.goal_actor import GoalActor, GoalActorConfig, object_dims, step_changes


@dataclass(frozen=True)
class GoalActorTrainConfig:
    """Actor training settings."""

    steps: int = 24000
    """Optimiser steps."""
    batch_size: int = 512
    """Rows per batch."""
    lr: float = 3e-4
    """AdamW learning rate."""
    rest_steps: int = 10
    """Steps an object must stay still for its rest to count as a move's end."""
    move_tol: float = 1e-3
    """An object dimension moves in a step when it changes by more than this times its spread."""
    goal: Literal["full", "oraclerep"] = "full"
    """What the actor reads of the goal when ``goal_dims`` is empty. 'full': the goal observation
    as OGBench hands it out, of which the actor reads the object dimensions it finds in the data
    (learned, so fair beside full-goal baselines). 'oraclerep': the dimensions the task's success
    test checks (cube-single: the cube's position, not its orientation; filled in by
    ``pipeline.actor_config_for``): OGBench's oracle goal representation, a privileged input whose
    results belong in their own '-oraclerep' rows."""
    goal_dims: tuple[int, ...] = ()
    """Observation dimensions the actor reads of the goal, explicitly; empty: as ``goal`` says."""
    val_fraction: float = 0.1
    """Share of episodes held out for the reported error."""
    seed: int = 0
    """Seed of the batches and the initialisation."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        if self.goal not in ("full", "oraclerep"):
            raise ValueError(f"goal must be 'full' or 'oraclerep', got {self.goal!r}")
        if self.steps < 0 or self.batch_size < 1 or self.rest_steps < 1:
            raise ValueError(
                f"need steps >= 0, batch_size >= 1, rest_steps >= 1; got {self.steps}, "
                f"{self.batch_size}, {self.rest_steps}"
            )


def rest_goal_rows(
    states: torch.Tensor, episode_starts: torch.Tensor, objects: torch.Tensor,
    rest_steps: int = 10, move_tol: float = 1e-3,
) -> torch.Tensor:  # fmt: skip
    """The goal row of every row: the first rest start after it in its episode, else -1.

    states [N, O], episode_starts [E + 1], objects bool [O] -> int64 [N]. A rest start u has the
    object moving in step u-1 -> u and still in the ``rest_steps`` steps from u."""
    if not bool(objects.any()):  # no object: no move ever ends
        return torch.full((len(states),), -1, dtype=torch.long)
    step = step_changes(states, episode_starts)[:, objects]  # [N, K]
    moving = (step > move_tol * states[:, objects].std(0).clamp_min(1e-12)).any(1)  # t -> t+1
    n = len(states)
    end = torch.as_tensor(episode_ends(episode_starts.numpy()))  # last row of each row's episode
    # still[u]: no move in steps u..u+rest_steps-1, all inside u's episode
    window = torch.nn.functional.pad(moving.float(), (0, rest_steps)).unfold(0, rest_steps, 1)
    still = (window[:n].sum(1) == 0) & (torch.arange(n) + rest_steps <= end)
    starts = torch.zeros(n, dtype=torch.bool)
    starts[1:] = moving[:-1] & still[1:] & (end[1:] == end[:-1])  # u - 1 in u's episode
    rows = torch.nonzero(starts).ravel()
    if len(rows) == 0:  # nothing ever comes to rest after moving
        return torch.full((n,), -1, dtype=torch.long)
    k = torch.searchsorted(rows, torch.arange(n), right=True)
    goal = torch.where(k < len(rows), rows[k.clamp_max(len(rows) - 1)], torch.full_like(k, -1))
    return torch.where((goal >= 0) & (goal <= end), goal, torch.full_like(goal, -1))


def _goal_mask(objects: torch.Tensor, goal_dims: tuple[int, ...]) -> torch.Tensor:
    """bool [O]: the goal dimensions the actor reads: ``goal_dims``, or the object dims."""
    if not goal_dims:
        return objects.clone()
    bad = [d for d in goal_dims if not 0 <= d < len(objects)]
    if bad:
        raise ValueError(f"goal_dims {bad} lie outside the observation's {len(objects)} dims")
    mask = torch.zeros_like(objects)
    mask[list(goal_dims)] = True
    return mask


def train_goal_actor(
    dataset: Dataset,
    config: GoalActorTrainConfig = GoalActorTrainConfig(),
    actor_config: GoalActorConfig = GoalActorConfig(),
    progress: bool = False,
) -> tuple[GoalActor, dict]:
    """Fit a ``GoalActor`` to ``dataset`` (state observations); returns it (eval mode) and metrics:
    the held-out action error, the relabelled share of rows, moves per episode, the object dims."""
    torch.manual_seed(config.seed)
    dev = torch.device(config.device)
    states = torch.as_tensor(np.array(dataset["states"], dtype=np.float32))
    actions = torch.as_tensor(np.array(dataset["actions"], dtype=np.float32))
    starts = torch.as_tensor(np.array(dataset.episode_starts, dtype=np.int64))
    objects = object_dims(states, starts, config.move_tol)
    goals = rest_goal_rows(states, starts, objects, config.rest_steps, config.move_tol)
    _, val_eps = dataset.split(config.val_fraction, config.seed)
    held = torch.as_tensor(np.repeat(np.isin(np.arange(len(starts) - 1), val_eps), starts.diff()))
    k = actor_config.chunk  # a row's chunk a_t..a_{t+k-1} must lie in its episode (last: no action)
    has_chunk = torch.arange(len(states)) + k <= torch.as_tensor(episode_ends(starts.numpy())) - 1
    train_rows = torch.nonzero((goals >= 0) & has_chunk & ~held).ravel()
    val_rows = torch.nonzero((goals >= 0) & has_chunk & held).ravel()
    reads = _goal_mask(objects, config.goal_dims)
    if len(train_rows) == 0 or len(val_rows) == 0:
        raise ValueError(
            f"{dataset.path}: no row has an object move ending after it (object dims "
            f"{torch.nonzero(objects).ravel().tolist()}); the actor needs moved objects"
        )
    actor = GoalActor(states.mean(0), states.std(0), reads, actions.shape[1], actor_config)
    actor = actor.to(dev).train()
    opt = torch.optim.AdamW(actor.parameters(), lr=config.lr)
    g = torch.Generator().manual_seed(config.seed)
    batch = lambda rows: rows[torch.randint(len(rows), (config.batch_size,), generator=g)]  # noqa: E731
    t0 = time.perf_counter()
    for _ in tqdm(range(config.steps), desc="train goal actor", disable=not progress):
        i = batch(train_rows)
        pred = actor.chunk(states[i].to(dev), states[goals[i]].to(dev))  # [B, k, A]
        loss = (pred - actions[i[:, None] + torch.arange(k)].to(dev)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    actor.eval()
    with torch.no_grad():
        i = val_rows[:: max(1, len(val_rows) // 20000)]
        val = actor(states[i].to(dev), states[goals[i]].to(dev)) - actions[i].to(dev)
    metrics = {
        "val_action_mse": float(val.pow(2).mean()),
        "relabelled_fraction": float((goals >= 0).float().mean()),
        "moves_per_episode": float(goals[goals >= 0].unique().numel() / (len(starts) - 1)),
        "object_dims": torch.nonzero(objects).ravel().tolist(),
        "goal_dims": torch.nonzero(reads).ravel().tolist(),
        "seconds": time.perf_counter() - t0,
        "steps": config.steps,
    }
    return actor, metrics

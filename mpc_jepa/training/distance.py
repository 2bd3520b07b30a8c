"""Training of the learned distance (``TemporalDistance`` and its ``LandmarkGraph``) over a frozen
fast JEPA, stored on its own (``train_distance``: ``mpc-jepa train --level distance``).

Goal-conditioned value iteration on the dataset's transitions (z_t, z_{t+1}) with relabelled goals
g, V(z, g) = -||phi(z) - phi(g)||:

    target = -1 + discount * V_target(z_{t+1}, g),   loss = expectile_tau(target - V(z_t, g))

Goals are the same episode's future states at geometric offsets (p = 1 - discount) or random
dataset states. The expectile (tau > 0.5) leans toward the best transitions seen from z_t, so the
value approaches the shortest-path step count along the data's transitions rather than the random
policy's expected one. V_target is an EMA copy of phi. Embeddings are computed once with the frozen
fast encoder (every row of the dataset), so a step costs three small MLP passes.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from mpc_jepa.data import Dataset, embed_rows, episode_ends
from mpc_jepa.models.checkpoints import save_distance
from mpc_jepa.models.landmark_graph import LandmarkGraph, select_landmarks
from mpc_jepa.models.learned_distance import LearnedDistance
from mpc_jepa.models.temporal_distance import TemporalDistance
from mpc_jepa.training.object_readout import fit_object_readout
from mpc_jepa.training.schedules import cosine_schedule


@dataclass(frozen=True)
class DistanceTrainConfig:
    """Temporal-distance training settings."""

    steps: int = 20000
    """Optimiser steps (0: no metric)."""
    batch_size: int = 1024
    """Transitions per batch."""
    lr: float = 1e-3
    """Adam learning rate (cosine decay)."""
    discount: float = 0.99
    """Discount: distances up to ~1/(1-discount) steps stay well resolved."""
    expectile: float = 0.9
    """Expectile tau of the value loss (0.5: the data's average policy; -> 1: the best
    transitions)."""
    random_goal_fraction: float = 0.375
    """Share of goals drawn from the whole dataset (the rest: the same episode's future)."""
    target_tau: float = 0.02
    """EMA rate of the target network (values propagate one transition per target update: on
    two_room
    0.005 left cross-room rank correlation at 0.35 after 5000 steps, 0.02 reached 0.91 after
    20000)."""
    out_dim: int = 32
    """E: Hilbert coordinates."""
    hidden: int = 256
    """MLP width."""
    heads: int = 1
    """Independent metric MLPs; targets bootstrap from their largest distance (pessimism)."""
    landmarks: int = 500
    """Landmarks of the composed long-range distance (``LandmarkGraph``; 0: none)."""
    landmark_radius: float = 1.5
    """Longest hop of the landmark graph, in the metric's units (1.5: 15 steps of the default
    scale)."""
    seed: int = 0
    """Seed."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        if self.steps < 0 or self.batch_size < 1:
            raise ValueError(
                f"steps must be >= 0 and batch_size >= 1, got {self.steps}, {self.batch_size}"
            )
        if not 0 < self.discount < 1:
            raise ValueError(f"discount must be in (0, 1), got {self.discount}")
        if not 0.5 <= self.expectile < 1:
            raise ValueError(f"expectile must be in [0.5, 1), got {self.expectile}")
        if not 0 <= self.random_goal_fraction <= 1:
            raise ValueError(
                f"random_goal_fraction must be in [0, 1], got {self.random_goal_fraction}"
            )
        if self.landmarks < 0 or self.landmarks == 1 or not self.landmark_radius > 0:
            raise ValueError(
                f"landmarks must be 0 or >= 2 and landmark_radius > 0, got {self.landmarks}, "
                f"{self.landmark_radius}"
            )


def train_temporal_distance(
    dataset: Dataset,
    fast,
    config: DistanceTrainConfig = DistanceTrainConfig(),
    step_scale: float = 0.1,
    progress: bool = True,
    embedded=None,
):
    """Train a ``TemporalDistance`` over the frozen ``fast`` model. Returns (metric, metrics dict).

    ``embedded``: ``embed_rows(fast, dataset)`` ([N, D]) when the caller has it (the landmark
    graph reads it too)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = torch.device(config.device)
    t0 = time.perf_counter()
    z = embedded if embedded is not None else embed_rows(fast, dataset, device=device)  # [N, D]
    embed_s = time.perf_counter() - t0
    episode_end = episode_ends(dataset.episode_starts)  # [N]
    has_next = np.arange(len(dataset)) < episode_end
    rows = np.flatnonzero(has_next)  # transitions t -> t+1 inside an episode
    goal_rows = np.arange(len(dataset))
    phi = TemporalDistance(
        fast.latent_dim, config.out_dim, config.hidden, 2, config.discount, step_scale, config.heads
    ).to(device)
    target = copy.deepcopy(phi).requires_grad_(False)
    opt = torch.optim.Adam(phi.parameters(), lr=config.lr)
    sched = cosine_schedule(opt, config.steps)
    t1 = time.perf_counter()
    for _ in tqdm(range(config.steps), desc="train temporal distance", disable=not progress):
        i, g = _relabelled_batch(rng, rows, goal_rows, episode_end, config)
        zi, zn, zg = (z[torch.as_tensor(r, device=device)] for r in (i, i + 1, g))  # [B, D] each
        reached = torch.as_tensor(g == i, device=device)  # only a random goal can be the state
        with torch.no_grad():  # [B], pessimistic over heads
            q = -1.0 - config.discount * target.head_distances(zn, zg).max(0).values
            q = torch.where(reached, torch.zeros_like(q), q)
        diff = q + phi.head_distances(zi, zg)  # [heads, B] target - V
        weight = torch.where(diff > 0, config.expectile, 1 - config.expectile)
        loss = (weight * diff.pow(2)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for p, tp in zip(phi.parameters(), target.parameters()):
                tp.lerp_(p, config.target_tau)
    metrics = {
        "embed_seconds": embed_s,
        "steps_per_second": config.steps / max(time.perf_counter() - t1, 1e-9),
    }
    if config.steps:
        metrics["final_loss"] = float(loss.detach())
    return phi.eval().requires_grad_(False), metrics


def _relabelled_batch(rng, rows, goal_rows, episode_end, config: DistanceTrainConfig):
    """Transitions i [B] (i -> i+1) and goals g [B]: the same episode's future at a geometric
    offset (p = 1 - discount), or with ``random_goal_fraction`` any dataset row."""
    i = rng.choice(rows, size=config.batch_size)
    future = np.minimum(i + rng.geometric(1 - config.discount, size=i.shape), episode_end[i])
    random_goal = rng.random(i.shape) < config.random_goal_fraction
    return i, np.where(random_goal, rng.choice(goal_rows, size=i.shape), future)


def build_landmark_graph(
    dataset: Dataset,
    fast,
    metric,
    config: DistanceTrainConfig = DistanceTrainConfig(),
    embedded=None,
) -> tuple[LandmarkGraph | None, dict]:
    """The ``LandmarkGraph`` of ``metric`` over ``config.landmarks`` embeddings of dataset rows
    (farthest-point sampled); (None, {}) with ``config.landmarks == 0``. Returns (graph, metrics).
    ``embedded``: ``embed_rows(fast, dataset)`` ([N, D]) when the caller has it."""
    if not config.landmarks:
        return None, {}
    z = embedded if embedded is not None else embed_rows(fast, dataset, device=config.device)
    landmarks = z[
        select_landmarks(metric, z, n=min(config.landmarks, len(z)), seed=config.seed).to(z.device)
    ]
    graph = LandmarkGraph(metric, landmarks, radius=config.landmark_radius)
    return graph, {
        "landmarks": float(len(landmarks)),
        "landmark_components": float(graph.components),
    }


READOUT_ROWS = 20000  # training rows the object readout is fit on (a ridge fit: seconds)


def train_distance(
    dataset: Dataset,
    fast,
    out,
    config: DistanceTrainConfig = DistanceTrainConfig(),
    step_scale: float = 0.1,
    progress: bool = True,
) -> LearnedDistance:
    """Train the metric and build its landmark graph over the frozen ``fast`` model, then save
    them to ``out`` (``models.checkpoints.save_distance``). ``step_scale``: the fast model's latent
    step (``TrainConfig.reach_step``), the metric's unit per step."""
    if config.steps < 1:
        raise ValueError(f"steps must be >= 1 to train a learned distance, got {config.steps}")
    metric, graph, metrics = train_distance_and_graph(dataset, fast, config, step_scale, progress)
    train_eps, _ = dataset.split(0.1, seed=config.seed)
    rows = dataset.rows(train_eps)
    rng = np.random.default_rng(config.seed)
    rows = rng.permutation(rows)[:READOUT_ROWS]
    objects, fit = fit_object_readout(fast, dataset, rows, device=config.device)
    distance = LearnedDistance(metric, graph, objects, {**metrics, **fit}, asdict(config))
    save_distance(out, distance, fast, dataset.task)
    return distance


def train_distance_and_graph(
    dataset: Dataset, fast, config: DistanceTrainConfig, step_scale: float, progress: bool = True
):
    """The metric and its landmark graph over one embedding of the dataset (for pixels, encoding
    every frame is the slow part). Returns (metric, graph or None, metrics)."""
    t0 = time.perf_counter()
    embedded = embed_rows(fast, dataset, device=config.device)
    embed_s = time.perf_counter() - t0
    metric, metrics = train_temporal_distance(
        dataset, fast, config, step_scale, progress, embedded=embedded
    )
    graph, graph_metrics = build_landmark_graph(dataset, fast, metric, config, embedded=embedded)
    return metric, graph, {**metrics, "embed_seconds": embed_s, **graph_metrics}


__all__ = [
    "DistanceTrainConfig",
    "build_landmark_graph",
    "train_distance",
    "train_distance_and_graph",
    "train_temporal_distance",
]

"""The actor's reactive mode (LeCun's "mode 1"): a goal-conditioned policy pi(s, g) -> a.

It reads state observations, not the JEPA latent: a pick-and-place needs the object's position to
about a centimetre, finer than the latent resolves (cube-single: probe R^2 0.955, about 2 cm). It
is conditioned on the goal's *object dimensions* only: those the data shows the agent never moves
directly (``object_dims``: at rest in most steps, e.g. a cube's pose, where the arm's joints move in
almost every step), or fewer: those a task's success test reads (``Task.success_dims``: the cube's
position, not its yaw). A goal observation's arm pose is then no distraction (OGBench's carries an
arbitrary one), and neither is its cube yaw: read, it set the wrist spinning toward it, and grasps
failed (cube-single: 67% by OGBench's protocol where the position alone reaches 99.6%).

Trained by ``training.goal_actor`` (goal-relabelled regression on the dataset's actions).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class GoalActorConfig:
    """Sizes of the actor's MLP and its action chunk."""

    hidden: int = 512
    """Width of the MLP."""
    depth: int = 3
    """Hidden layers."""
    chunk: int = 5
    """k: actions predicted per call, a_t..a_{t+k-1}; acting averages the k predictions made for
    the current step (temporal ensembling, as ACT does: Zhao et al. 2023). On cube-single, by
    OGBench's protocol, reading the goal's cube position: 99.6% where one action per call reached
    61.6% (the cube's whole pose read: 67% and 60%; docs/notes/, 2026-12-06)."""

    def __post_init__(self):
        if self.hidden < 1 or self.depth < 0 or self.chunk < 1:
            raise ValueError(
                f"need hidden >= 1, depth >= 0, chunk >= 1; got {self.hidden}, {self.depth}, "
                f"{self.chunk}"
            )


def step_changes(states: Tensor, episode_starts: Tensor) -> Tensor:
    """|s_{t+1} - s_t| for every row with a successor in its episode: [N, O], [E + 1] -> [N, O]
    (0 on each episode's last row)."""
    if states.ndim != 2 or episode_starts.ndim != 1 or int(episode_starts[-1]) != len(states):
        raise ValueError(
            f"need states [N, O] and episode starts [E + 1] ending at N, got "
            f"{list(states.shape)} and {list(episode_starts.shape)}"
        )
    out = torch.zeros_like(states)
    out[:-1] = (states[1:] - states[:-1]).abs()
    out[episode_starts[1:] - 1] = 0.0  # no step across an episode boundary
    return out


def object_dims(states: Tensor, episode_starts: Tensor, tol: float = 1e-3) -> Tensor:
    """Which observation dimensions the agent moves only through contact: [N, O] -> bool [O].

    A dimension counts when its median per-step change is below ``tol`` times its spread: objects
    at rest most of the time (a cube between pick-and-places), where the agent's own joints and
    velocities change at almost every step (cube-single: 1e-4 against 5e-3 and above)."""
    last = torch.zeros(len(states), dtype=torch.bool)
    last[episode_starts[1:] - 1] = True
    step = step_changes(states, episode_starts)[~last]
    if len(step) == 0:
        raise ValueError("need episodes of at least two observations")
    return step.median(0).values < tol * states.std(0).clamp_min(1e-12)


def two_state_dims(states: Tensor, end: float = 0.05, share: float = 0.9) -> Tensor:
    """Which dimensions read as a switch: [N, O] -> bool [O]. A dimension counts when at least
    ``share`` of the rows lie within ``end`` of its range from its minimum or its maximum, and
    each end holds a tenth of them (cube-single's gripper contact: 95%, at 0 and 1; a cube's
    height, at rest on the table 62% of the time but never held at its top, does not)."""
    if states.ndim != 2 or len(states) == 0:
        raise ValueError(f"need states [N, O] with N >= 1, got {list(states.shape)}")
    lo, hi = states.min(0).values, states.max(0).values
    band = end * (hi - lo)
    low, high = (states <= lo + band).float().mean(0), (states >= hi - band).float().mean(0)
    return (hi > lo) & (low + high >= share) & (low >= 0.1) & (high >= 0.1)


def slot_dims(states: Tensor, episode_starts: Tensor) -> Tensor:
    """The object slot's dimensions (``MLPEncoder``): the object dims (``object_dims``) that are
    not switches (``two_state_dims``): [N, O], [E + 1] -> bool [O]. A two-state reading (a contact
    sensor) the learned embedding resolves easily; standardised in the slot, one flip weighed
    as much as 14 cm of a cube's travel, and the contact benchmark's followers lost 14 of their 86
    points with it (notes, 2026-12-08)."""
    return object_dims(states, episode_starts) & ~two_state_dims(states)


class GoalActor(nn.Module):
    """pi(s, g): observations [B, O] and goal observations [B, O] -> the next k actions [B, k, A]
    (``chunk``); ``forward`` gives the first, in [-1, 1].

    Inputs are standardised by the dataset's mean and std; the goal enters as the dimensions it
    reads (``objects``) and their offset from the current ones.

    Args:
        mean, std: [O] observation statistics.
        objects: bool [O], the goal dimensions read: the object dimensions (``object_dims``) or
            a task's ``success_dims``; at least one.
        action_dim: A.
        config: sizes.
    """

    def __init__(
        self,
        mean: Tensor,
        std: Tensor,
        objects: Tensor,
        action_dim: int,
        config: GoalActorConfig = GoalActorConfig(),
    ):
        super().__init__()
        if mean.shape != std.shape or mean.shape != objects.shape or mean.ndim != 1:
            raise ValueError(
                f"mean, std and objects must all be [O], got {list(mean.shape)}, "
                f"{list(std.shape)}, {list(objects.shape)}"
            )
        if not bool(objects.any()):
            raise ValueError("the observation has no object dimensions to condition on")
        self.config, self.action_dim = config, int(action_dim)
        self.register_buffer("mean", mean.float())
        self.register_buffer("std", std.float().clamp_min(1e-3))
        self.register_buffer("objects", objects.bool())
        layers, width = [], mean.shape[0] + 2 * int(objects.sum())
        for _ in range(config.depth):  # no LayerNorm: with it the actor did worse here (see notes)
            layers += [nn.Linear(width, config.hidden), nn.GELU()]
            width = config.hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, config.chunk * self.action_dim))

    @property
    def obs_dim(self) -> int:
        return int(self.mean.shape[0])

    def forward(self, obs: Tensor, goal: Tensor) -> Tensor:
        """[B, O], [B, O] -> [B, A]: the chunk's first action, clamped to [-1, 1]."""
        return self.chunk(obs, goal)[:, 0].clamp(-1.0, 1.0)

    def chunk(self, obs: Tensor, goal: Tensor) -> Tensor:
        """[B, O], [B, O] -> [B, k, A] before clamping (what training regresses: a clamp would
        stop the gradient of every prediction past the bounds)."""
        if obs.shape[-1] != self.obs_dim or goal.shape != obs.shape:
            raise ValueError(
                f"need observations and goals [B, {self.obs_dim}], got {list(obs.shape)} and "
                f"{list(goal.shape)}"
            )
        s = (obs - self.mean) / self.std
        g = ((goal - self.mean) / self.std)[..., self.objects]
        out = self.net(torch.cat([s, g - s[..., self.objects], g], -1))
        return out.reshape(len(out), self.config.chunk, self.action_dim)


class ActorEnsemble(nn.Module):
    """Several trained ``GoalActor``s acting as one: their chunks averaged. Trainings of one recipe
    differ; on cube-single, reading the cube's whole pose (67% and 73% by OGBench's protocol),
    their mean did better than either (77%); reading its position (99.6%, 97.6%) it lands between
    (99.2%)."""

    def __init__(self, actors: list[GoalActor]):
        super().__init__()
        if not actors or len({(a.obs_dim, a.action_dim, a.config.chunk) for a in actors}) != 1:
            raise ValueError("an ensemble needs actors of one observation, action and chunk size")
        self.members = nn.ModuleList(actors)

    def chunk(self, obs: Tensor, goal: Tensor) -> Tensor:
        """[B, O], [B, O] -> [B, k, A]: the members' chunks, averaged."""
        return torch.stack([a.chunk(obs, goal) for a in self.members]).mean(0)

    def forward(self, obs: Tensor, goal: Tensor) -> Tensor:
        """[B, O], [B, O] -> [B, A]: the averaged chunk's first action, clamped to [-1, 1]."""
        return self.chunk(obs, goal)[:, 0].clamp(-1.0, 1.0)

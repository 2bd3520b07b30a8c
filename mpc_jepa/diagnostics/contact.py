"""Does the world model predict contact? A kept benchmark on a play dataset's pick-and-places.

Fixed segments through a grasp, lift and place, taken from held-out episodes, answer two
questions (issue 41, item 2):

- **follow**: restored to the segment's first physics state, can a planner through the model
  follow the dataset's own future? Its goal at step t is the dataset's observation ``lookahead``
  steps ahead of the clock (the segment's last one once the clock is that close to the end). A
  segment counts when, ``slack`` steps after its end, every object is within a tolerance of where
  the dataset put it. The subgoals are perfect, so a failure is the fast level's (the model or
  the planner), not a subgoal generator's.
- **probe**: how far off is the object's predicted position k steps ahead? A ridge probe maps
  latents to the objects' positions (fit on training episodes); the model rolls out the dataset's
  own actions from every step of a segment, and the probe reads the prediction. Beside it, the
  probe on the true observation's latent (what the probe alone loses) and the copy baseline (the
  object assumed to stay where it is: a model that never predicts contact scores this).

The objects' positions (the dataset's ``physical``: each cube's xyz in metres) are a measurement
here, never a planner's input: the planner sees the whole subgoal observation through its encoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mpc_jepa.data import Dataset, embed_rows

PROBE_HORIZONS = (5, 10, 25)


@dataclass(frozen=True)
class Segment:
    """Rows [start, end] (inclusive) of one episode: ``lead`` steps before an object leaves the
    table, to ``tail`` steps after it comes to rest elsewhere."""

    episode: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(a, b)): the maximal runs of True in a bool [T]."""
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def pick_and_places(
    positions: np.ndarray, lift: float = 0.02, rest_steps: int = 10, min_move: float = 0.05
) -> list[tuple[int, int]]:
    """(lift-off, rest) step pairs of one episode's object: positions [T, 3] (xyz, metres).

    Lifted: the height above the episode's median (the table) by more than ``lift``. Rest: the
    first step after the lift from which the object moves less than 1 mm per step for
    ``rest_steps`` steps. Moves shorter than ``min_move`` (a grasp dropped where it began) are
    skipped."""
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"need object positions [T, 3], got {list(pos.shape)}")
    lifted = pos[:, 2] > np.median(pos[:, 2]) + lift
    still = np.r_[np.linalg.norm(np.diff(pos, axis=0), axis=1) < 1e-3, False]
    # still_for[t]: steps t..t+rest_steps-1 all still
    window = np.convolve(still.astype(int), np.ones(rest_steps, int), "valid") == rest_steps
    out = []
    for a, b in _runs(lifted):
        rest = np.flatnonzero(window[b:])
        if len(rest) == 0:
            continue
        r = b + int(rest[0])
        if np.linalg.norm(pos[r] - pos[a]) >= min_move:
            out.append((int(a), r))
    return out


def select_segments(
    dataset: Dataset,
    episodes: np.ndarray,
    count: int = 50,
    lead: int = 25,
    tail: int = 5,
    seed: int = 0,
) -> list[Segment]:
    """``count`` pick-and-place segments from ``episodes``, at most one per episode (its first),
    drawn with ``seed``: a fixed set for a fixed dataset (objects: the dataset's ``physical``,
    [N, 3 * C]). Raises if the episodes hold fewer."""
    found = []
    for e in np.asarray(episodes):
        s, f = int(dataset.episode_starts[e]), int(dataset.episode_starts[e + 1])
        objects = np.asarray(dataset["physical"][s:f]).reshape(f - s, -1, 3)
        events = [ev for c in range(objects.shape[1]) for ev in pick_and_places(objects[:, c])]
        events = [(a, r) for a, r in sorted(events) if a - lead >= 0 and r + tail < f - s]
        if events:
            a, r = events[0]
            found.append(Segment(int(e), s + a - lead, s + r + tail))
    if len(found) < count:
        raise ValueError(
            f"{len(found)} of {len(episodes)} episodes hold a pick-and-place; {count} wanted"
        )
    pick = np.sort(np.random.default_rng(seed).choice(len(found), count, replace=False))
    return [found[i] for i in pick]


def fit_position_probe(model, dataset: Dataset, rows: np.ndarray, lam: float = 1e-3):
    """Ridge probe latent [..., D] -> object positions [..., 3 * C] (``physical``), fit on
    dataset ``rows``; returns it as a function of torch tensors."""
    z = embed_rows(model, dataset, rows).double()
    y = torch.as_tensor(np.asarray(dataset["physical"][rows])).double()
    z1 = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], 1)
    w = torch.linalg.solve(z1.T @ z1 + lam * torch.eye(z1.shape[1], dtype=z.dtype), z1.T @ y)

    def probe(latents: torch.Tensor) -> torch.Tensor:
        x = latents.double()
        return torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype)], -1) @ w

    return probe


@torch.no_grad()
def probe_errors(
    model,
    dataset: Dataset,
    segments: list[Segment],
    probe,
    horizons=PROBE_HORIZONS,
) -> dict:
    """Mean object position error (metres, the worst object of each row) k steps ahead, from
    every step of every segment that has k steps left in its episode: the model's rollout of the
    dataset's actions read by ``probe``, the probe on the true latent, and the copy baseline."""
    physical, out = np.asarray(dataset["physical"]), {}
    for k in horizons:
        starts = np.concatenate(
            [
                np.arange(g.start, min(g.end, int(dataset.episode_starts[g.episode + 1]) - 1 - k))
                for g in segments
            ]
        )
        if len(starts) == 0:
            raise ValueError(f"no segment step has {k} steps left in its episode")
        z0 = embed_rows(model, dataset, starts)
        actions = torch.as_tensor(
            np.asarray(dataset["actions"])[starts[:, None] + np.arange(k)], dtype=torch.float32
        )
        pred = probe(model.rollout(z0, actions)[:, -1])
        true = torch.as_tensor(physical[starts + k]).double()
        now = torch.as_tensor(physical[starts]).double()
        floor = probe(embed_rows(model, dataset, starts + k))
        for name, x in (("model", pred), ("probe_floor", floor), ("copy", now)):
            worst = (x - true).reshape(len(x), -1, 3).norm(dim=-1).amax(-1)  # [n]
            out[f"{name}_h{k}"] = worst.mean().item()
    return out


def follow_segment(
    task,
    controller,
    dataset: Dataset,
    segment: Segment,
    lookahead: int | None,
    slack: int,
) -> dict:
    """Restore the segment's first physics state and act ``segment.length + slack`` steps, the
    goal at step t the dataset's observation ``lookahead`` steps ahead of the clock (its last
    once the clock is that close; ``lookahead`` None: the last from the start, one goal for the
    whole segment). ``controller``: ``reset`` / ``act``, and ``retarget`` with a lookahead
    (``MPCController``). Returns the objects' final error (metres, the worst object)."""
    states = dataset["states"]

    def goal(t: int) -> np.ndarray:
        row = segment.end if lookahead is None else min(segment.start + t + lookahead, segment.end)
        return np.asarray(states[row])

    task.set_state(np.asarray(dataset["physics"][segment.start]))
    obs = task.observe()["state"]
    controller.reset(goal(0))
    for t in range(segment.length + slack):
        if t and lookahead is not None:
            controller.retarget(goal(t))
        obs = task.step(controller.act(obs))["state"]
    final = np.asarray(dataset["physical"][segment.end]) - task.physical()
    return {"final_error": float(np.linalg.norm(final.reshape(-1, 3), axis=1).max())}

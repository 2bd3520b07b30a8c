"""Closed-loop evaluation of a goal-conditioned actor (mode 1): the same seeded episodes, runner
and summary as ``evaluate`` gives a planner, so the two stand in one table."""

from __future__ import annotations

from tqdm import tqdm

from mpc_jepa.control import ActorController, run_episodes
from mpc_jepa.evaluation.closed_loop import summarize


def evaluate_actor(
    task, actor, episodes: int, seed: int = 0, progress: bool = True, device="cpu",
    indices=None, batch: int = 1,
) -> dict:  # fmt: skip
    """Run episodes ``indices`` (default all of range(episodes)) with task seeds ``seed + i``, in
    lockstep batches of ``batch``; returns {"summary": {...}, "episodes": [...]} as ``evaluate``.
    The actor is deterministic: no planner seed."""
    if episodes < 1 or batch < 1:
        raise ValueError(f"episodes and batch must be >= 1, got {episodes}, {batch}")
    indices = list(range(episodes) if indices is None else indices)
    if any(not 0 <= i < episodes for i in indices):
        raise ValueError(f"episode indices must lie in [0, {episodes}), got {indices}")
    if task.objective != "goal":
        raise ValueError(f"{task.name}: a goal actor needs a goal task, not a reward task")
    controller = ActorController(actor, device)
    pool = [task] + [task.spawn() for _ in range(min(batch, len(indices)) - 1)]
    results = []
    bar = tqdm(total=len(indices), desc=f"eval {task.name} actor", disable=not progress, unit="ep")
    for j in range(0, len(indices), batch):
        chunk = indices[j : j + batch]
        results += run_episodes(pool[: len(chunk)], controller, [seed + i for i in chunk])
        bar.update(len(chunk))
    bar.close()
    out = [r.as_dict() for r in results]
    return {"summary": summarize(out), "episodes": out}

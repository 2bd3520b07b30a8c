"""How well does a learning run's model predict the return over a planning horizon? On windows of
the run's last 30 episodes (the planner's own data), the reward head summed over H steps of the
predictor's open-loop rollout under the data's actions, beside the same sum on the encoded true
states and the data's H-step return: R^2 of each against the data.

Usage: python benchmarks/return_prediction_diagnostics.py [RUN_DIR]
(default: runs/learn/dmc_cheetah-run/seed0; one torch thread, seconds)."""

import sys

import numpy as np
import torch

from mpc_jepa.data import Dataset
from mpc_jepa.models.checkpoints import load_value_heads, load_world_model

WINDOWS = 400


def main(run: str) -> None:
    ds = Dataset(f"{run}/data")
    model = load_world_model(f"{run}/world_model.pt")
    heads = load_value_heads(f"{run}/value_heads.pt", model)
    states, actions, rewards = ds["states"], ds["actions"], ds["rewards"]
    starts = np.asarray(ds.episode_starts)
    rng = np.random.default_rng(0)
    for H in (1, 5, 15):
        episodes = rng.choice(np.arange(len(starts) - 1)[-30:], WINDOWS)
        t0 = np.array([rng.integers(starts[e], starts[e + 1] - H - 1) for e in episodes])
        rows = t0[:, None] + np.arange(H)[None]  # [W, H]
        with torch.no_grad():
            as_t = lambda x: torch.as_tensor(x, dtype=torch.float32)  # noqa: E731
            a = as_t(actions[rows])  # [W, H, A]
            predicted = model.rollout(model.encode(as_t(states[t0])), a)[:, :-1]  # [W, H, D]
            encoded = model.encode(as_t(states[rows.reshape(-1)])).reshape(*rows.shape, -1)
            from_rollout = heads.reward(predicted, a).sum(1).numpy()
            from_states = heads.reward(encoded, a).sum(1).numpy()
        true = rewards[rows].sum(1)
        print(
            f"H={H:2d}: R^2 rollout {r_squared(from_rollout, true):.3f}, encoded true states "
            f"{r_squared(from_states, true):.3f}; data's return {true.mean():.2f} +- "
            f"{true.std():.2f}"
        )


def r_squared(predicted: np.ndarray, true: np.ndarray) -> float:
    """[N], [N] -> the share of ``true``'s variance that ``predicted`` explains."""
    return float(1 - ((predicted - true) ** 2).mean() / true.var())


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/learn/dmc_cheetah-run/seed0")

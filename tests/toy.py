"""A seeded linear system with a quadratic cost and a closed-form optimum, for planner tests."""

import torch

from mpc_jepa.costs import ActionMagnitude, GoalDistance, SumCost


class LinearModel:
    """z_{t+1} = z_t + dt * a_t  (latent = state, D = A = 2). Differentiable."""

    action_dim = 2
    obs_shape = (2,)
    differentiable = True

    def __init__(self, dt: float = 0.1, nan_rows: bool = False):
        self.dt, self.nan_rows = dt, nan_rows

    def encode(self, obs):
        return obs.float()

    def predict(self, z, a):
        out = z + self.dt * a
        if self.nan_rows:  # every third row goes NaN, like a diverging learned model
            out = out.clone()
            out[::3] = float("nan")
        return out

    def rollout(self, z0, actions):
        zs = [z0]
        for t in range(actions.shape[1]):
            zs.append(self.predict(zs[-1], actions[:, t]))
        return torch.stack(zs, 1)


def quadratic_problem(
    z0: torch.Tensor, goal: torch.Tensor, horizon: int = 5, r: float = 0.05, dt: float = 0.1
):
    """Cost |z_T - g|^2 + r * sum_t |a_t|^2 and its optimum (all actions equal, interior).

    Returns (cost_fn, optimal_cost [B], optimal_action [B, A]).
    """
    cost = SumCost(
        (
            GoalDistance(goal, norm="sql2", weighting="terminal", terminal_weight=0.0),
            ActionMagnitude(r * horizon),
        )
    )
    d = goal - z0  # [B, A]
    s = dt * horizon
    a = d * s / (s**2 + horizon * r)
    c = (d - s * a).pow(2).sum(-1) + r * horizon * a.pow(2).sum(-1)
    return cost, c, a

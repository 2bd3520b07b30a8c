"""The temporal-distance metric: shapes and metric properties, and that it learns path lengths
around a wall."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from mpc_jepa.costs import GoalDistance, StepReachability
from mpc_jepa.data import embed_rows
from mpc_jepa.models.temporal_distance import TemporalDistance
from mpc_jepa.training.distance import DistanceTrainConfig, train_temporal_distance

N = 8  # grid cells per side; a wall between columns 3 and 4 with a door in the top row


class IdentityModel:
    """A 'fast model' whose embedding is the state itself (latent_dim 2)."""

    latent_dim, obs_shape = 2, (2,)

    def to(self, device):
        return self

    def eval(self):
        return self

    def encode(self, obs):
        return obs.float() / N


class GridDataset:
    """Random walks on an N x N grid with a dividing wall (door at the top row): the Dataset API
    the metric's training reads (episode_starts, len, ['states'])."""

    def __init__(self, episodes=60, length=60, seed=0):
        rng = np.random.default_rng(seed)
        rows, starts = [], [0]
        for _ in range(episodes):
            p = rng.integers(0, N, 2)
            for _ in range(length + 1):
                rows.append(p.copy())
                q = p + [(1, 0), (-1, 0), (0, 1), (0, -1)][rng.integers(4)]
                if (q >= 0).all() and (q < N).all() and not blocked(p, q):
                    p = q
            starts.append(len(rows))
        self.states, self.episode_starts = np.array(rows, np.float32), np.array(starts)

    def __len__(self):
        return len(self.states)

    def __getitem__(self, key):
        assert key == "states"
        return self.states


def blocked(p, q):
    """The move p -> q crosses the wall between columns 3 and 4 outside the door (row N-1)."""
    return {p[0], q[0]} == {3, 4} and p[1] != N - 1


def bfs_steps(a):
    """Shortest path lengths (moves) from cell a to every cell: [N, N]."""
    dist = np.full((N, N), -1)
    dist[tuple(a)] = 0
    frontier = [np.array(a)]
    while frontier:
        nxt = []
        for p in frontier:
            for d in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                q = p + d
                if (q >= 0).all() and (q < N).all() and not blocked(p, q) and dist[tuple(q)] < 0:
                    dist[tuple(q)] = dist[tuple(p)] + 1
                    nxt.append(q)
        frontier = nxt
    return dist


def test_metric_shapes_properties_and_errors():
    m = TemporalDistance(5, out_dim=4, hidden=16, discount=0.9, step_scale=0.1)
    z, g = torch.randn(3, 7, 5), torch.randn(3, 1, 5)
    d = m.distance(z, g)
    assert d.shape == (3, 7) and torch.all(d >= 0)
    # d(z, z) = 0
    torch.testing.assert_close(m.distance(z, z), torch.zeros(3, 7), atol=1e-4, rtol=0)
    torch.testing.assert_close(m.distance(z, g), m.distance(g.expand_as(z), z))  # symmetric
    # steps invert the discounted distance: raw (1 - 0.9^n) / (1 - 0.9) -> n
    n = torch.tensor([1.0, 5.0, 20.0])
    torch.testing.assert_close(m.steps((1 - 0.9**n) / 0.1), n, rtol=1e-4, atol=1e-4)
    assert TemporalDistance(**m.config()).config() == m.config()
    m.eval()
    # consecutive lengths in one pass equal pairwise distances; the cache follows in-place edits
    with torch.no_grad():
        torch.testing.assert_close(m.step_lengths(z), m.distance(z[:, :-1], z[:, 1:]))
        before = m.distance(z, g)
        z.add_(1.0)
        assert not torch.allclose(m.distance(z, g), before)
    with pytest.raises(ValueError, match=r"last dimension 5, got \[3, 4\]"):
        m(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="discount"):
        TemporalDistance(5, discount=1.0)
    with pytest.raises(ValueError, match="expectile"):
        DistanceTrainConfig(expectile=0.3)


def test_goal_distance_with_metric_and_step_reachability():
    line = lambda z, g: (z - g).abs().sum(-1)  # noqa: E731  a metric on [.., 1] latents
    lat = torch.tensor([[[0.0], [1.0], [2.0]], [[0.0], [3.0], [3.5]]])  # [2, 3, 1]
    cost = GoalDistance(
        torch.tensor([[4.0]]), weighting="terminal", terminal_weight=0.0, metric=line
    )
    torch.testing.assert_close(cost.per_step(lat), torch.tensor([[4.0, 3.0, 2.0], [4.0, 1.0, 0.5]]))
    reach = StepReachability(lambda z: line(z[:, :-1], z[:, 1:]), max_step=1.5, weight=2.0)
    # only the 3.0 step is too long
    torch.testing.assert_close(reach(lat, torch.zeros(2, 2, 1)), torch.tensor([0.0, 2.0 * 1.5]))


def test_metric_learns_path_lengths_around_a_wall():
    """On random walks in two rooms, the learned distance ranks pairs by path length (through the
    door), where straight-line distance cannot: neighbours across the wall are far apart."""
    ds = GridDataset()
    z = embed_rows(IdentityModel(), ds)
    assert z.shape == (len(ds), 2) and torch.isfinite(z).all()
    cfg = DistanceTrainConfig(steps=6000, batch_size=256, discount=0.95, expectile=0.7, hidden=64)
    phi, metrics = train_temporal_distance(ds, IdentityModel(), cfg, step_scale=1.0, progress=False)
    assert metrics["steps_per_second"] > 0
    cells = np.array([(x, y) for x in range(N) for y in range(N)], np.float32)
    with torch.no_grad():
        zc = torch.as_tensor(cells) / N
        learned = phi.distance(zc[:, None], zc[None]).numpy()  # [N*N, N*N]
    true = np.stack([bfs_steps(c.astype(int)).ravel() for c in cells])
    euclid = np.abs(cells[:, None] - cells[None]).sum(-1)
    upper = np.triu_indices(len(cells), 1)
    rho = spearmanr(learned[upper], true[upper]).statistic
    rho_euclid = spearmanr(euclid[upper], true[upper]).statistic
    assert rho > 0.9 and rho > rho_euclid + 0.05, (rho, rho_euclid)
    # across the wall at the bottom: 1 cell apart, 2N-1 moves by the door
    a, b = cells.tolist().index([3, 0]), cells.tolist().index([4, 0])
    same_room = cells.tolist().index([3, 3])
    assert learned[a, b] > 2 * learned[a, same_room], (learned[a, b], learned[a, same_room])

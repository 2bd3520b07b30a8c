"""LandmarkGraph: long distances composed from short hops of a metric that is wrong across a
wall."""

import numpy as np
import pytest
import torch

from mpc_jepa.models.landmark_graph import LandmarkGraph, select_landmarks


class StraightLine:
    """A 'metric' that ignores walls (the straight-line distance in 2-D): trustworthy over short
    hops
    only, as the learned temporal distance is near walls. The TemporalDistance interface."""

    latent_dim, step_scale = 2, 1.0

    def __call__(self, z):
        return z[None]  # [heads=1, ..., E=2]

    features = __call__

    def steps(self, raw):
        return raw

    def distance(self, z, g):
        return (z - g).norm(dim=-1)

    def step_lengths(self, z):
        return (z[:, 1:] - z[:, :-1]).norm(dim=-1)


def walled_grid(spacing=0.1):
    """Grid points of the unit square minus a wall at x = 0.5 below y = 0.8 (the gap is above)."""
    xs = np.arange(0.0, 1.0 + 1e-9, spacing)
    pts = np.array([(x, y) for x in xs for y in xs if not (abs(x - 0.5) < 0.05 and y < 0.8)])
    return torch.tensor(pts, dtype=torch.float32)


def test_the_graph_goes_round_the_wall_where_the_metric_goes_through_it():
    graph = LandmarkGraph(StraightLine(), walled_grid(), radius=0.15)
    assert graph.components == 1
    z, g = torch.tensor([[0.2, 0.1]]), torch.tensor([[0.8, 0.1]])
    around = 2 * np.hypot(0.3, 0.7)  # the shortest path through the gap at (0.5, 0.8)
    assert float(StraightLine().distance(z, g)) == pytest.approx(0.6)
    assert around - 0.05 < float(graph.distance(z, g)) < around * 1.1
    same_side = float(graph.distance(z, torch.tensor([[0.2, 0.5]])))
    # hops along the grid: no detour where none is needed
    assert same_side == pytest.approx(0.4, abs=0.02)
    # the direct hop wins at zero
    assert float(graph.distance(z, z)) == pytest.approx(0.0, abs=1e-5)


def test_shapes_batches_of_goals_and_the_goal_cache():
    graph = LandmarkGraph(StraightLine(), walled_grid(), radius=0.15)
    z = torch.rand(5, 7, 2)
    g = torch.tensor([0.8, 0.1]).expand(5, 1, 2)
    d = graph.distance(z, g)
    assert d.shape == (5, 7) and torch.isfinite(d).all() and (d >= 0).all()
    # two goals
    mixed = torch.stack([torch.tensor([0.8, 0.1]), torch.tensor([0.2, 0.9])])[:, None].expand(
        2, 7, 2
    )
    d2 = graph.distance(z[:2], mixed)
    torch.testing.assert_close(d2[0], graph.distance(z[0], g[0].expand(7, 2)))
    torch.testing.assert_close(d2[1], graph.distance(z[1], torch.tensor([0.2, 0.9]).expand(7, 2)))
    assert graph.step_lengths(z).shape == (5, 6)
    # far from every landmark: finite, and dearer than the same point projected onto the data
    assert (
        float(graph.distance(torch.tensor([[3.0, 0.1]]), g[0]))
        > float(graph.distance(torch.tensor([[1.0, 0.1]]), g[0])) + 1.0
    )


def test_disconnected_landmarks_are_joined_by_their_priced_direct_hop():
    pts = torch.tensor([[0.0, 0.0], [0.1, 0.0], [1.0, 0.0], [1.1, 0.0]])
    graph = LandmarkGraph(StraightLine(), pts, radius=0.15, overreach=10.0)
    assert graph.components == 2
    assert float(graph.paths[0, 2]) == pytest.approx(1.0 + 10.0 * (1.0 - 0.15), rel=1e-5)
    assert torch.isfinite(graph.paths).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"landmarks must be \[N >= 2, 2\], got \[3\]"):
        LandmarkGraph(StraightLine(), torch.zeros(3))
    with pytest.raises(ValueError, match="radius must be > 0.*got -1"):
        LandmarkGraph(StraightLine(), walled_grid(), radius=-1)
    with pytest.raises(ValueError, match=r"n must be in \[2, 4\].*got 9"):
        select_landmarks(StraightLine(), torch.rand(4, 2), n=9)


def test_farthest_point_landmarks_spread_over_the_data():
    gen = torch.Generator().manual_seed(0)
    dense = torch.rand(3000, 2, generator=gen) * 0.1  # most data in one corner
    sparse = torch.rand(300, 2, generator=gen)
    z = torch.cat([dense, sparse])
    idx = select_landmarks(StraightLine(), z, n=60)
    assert len(set(idx.tolist())) == 60
    chosen = z[idx]
    # every data point lies near a landmark (a random pick of 60 would leave most of them in
    # the corner)
    assert torch.cdist(z, chosen).min(1).values.max() < 0.15
    assert (chosen.max(1).values > 0.1).float().mean() > 0.7


def test_subgoals_are_landmarks_on_the_path_round_the_wall_then_the_goal():
    """The landmark slow level never proposes a subgoal outside the data's reach: every subgoal is
    a landmark (a state the data visited) a trusted hop away on the graph's path through the gap,
    never across the wall the metric cannot see; near the goal, the goal itself is handed over."""
    grid = walled_grid()
    graph = LandmarkGraph(StraightLine(), grid, radius=0.15)
    z = torch.tensor([[0.2, 0.1], [0.75, 0.1]])
    g = torch.tensor([0.8, 0.1])
    sub, handover = graph.subgoals(z, g, lookahead=0.15)
    assert handover.tolist() == [False, True] and torch.equal(sub[1], g)
    assert any(torch.equal(sub[0], landmark) for landmark in grid)  # a visited state
    assert float(sub[0, 0]) < 0.45 and float(sub[0, 1]) > 0.15  # heading up toward the gap
    # walked greedily, the subgoals lead through the gap to the goal by trusted hops
    here, visited = z[:1].clone(), [z[0]]
    for _ in range(40):
        sub, handover = graph.subgoals(here, g, lookahead=0.15)
        visited.append(sub[0].clone())
        if handover[0]:
            break
        here = sub.clone()
    assert handover[0] and any(float(p[1]) >= 0.8 for p in visited)
    steps = torch.stack(visited)
    assert ((steps[1:] - steps[:-1]).norm(dim=-1) <= 0.15 + 1e-6).all()  # never a leap
    crossing = (steps[:-1, 0] - 0.5) * (steps[1:, 0] - 0.5) < 0  # hops across x = 0.5
    assert (torch.maximum(steps[:-1, 1], steps[1:, 1])[crossing] >= 0.8 - 1e-6).all()


def test_graph_paths_follow_edges():
    graph = LandmarkGraph(StraightLine(), walled_grid(), radius=0.15)
    path = graph.path(0, len(graph.landmarks) - 1)
    assert path[0] == 0 and path[-1] == len(graph.landmarks) - 1
    hops = (graph.landmarks[path[1:]] - graph.landmarks[path[:-1]]).norm(dim=-1)
    assert (hops <= 0.15 + 1e-6).all()
    assert float(hops.sum()) == pytest.approx(float(graph.paths[0, -1]), rel=1e-5)


def test_route_passes_the_gap_and_is_empty_when_the_goal_is_in_sight():
    graph = LandmarkGraph(StraightLine(), walled_grid(), radius=0.15)
    g = torch.tensor([0.82, 0.13])  # between landmarks
    route = graph.route(torch.tensor([0.2, 0.1]), g)
    points = graph.landmarks[route]  # [len, 2], in order
    assert float(points[:, 1].max()) >= 0.8  # over the wall's end, not through it
    assert float(points[0, 0]) < 0.5 < float(points[-1, 0])  # from the start's side to the goal's
    assert graph.route(torch.tensor([0.75, 0.1]), g) == []  # one straight hop away

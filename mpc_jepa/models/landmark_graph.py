"""Long-range goal distance composed from short, trusted hops of the temporal-distance metric.

The learned ``TemporalDistance`` is accurate over a few dozen steps but not across a thin wall at
long range: phi is a smooth function of the fast latent, which is Euclidean-like across walls, so
value iteration with an optimistic expectile lets a low distance leak through (two_room's bottom
corner: 54 steps estimated where the door path takes about 94; in the maze, whole corridors
saturate near 1 / (1 - discount) steps). A planner minimising it is pulled to the wall.

``LandmarkGraph`` keeps the metric only where it is trustworthy, over short hops (at most
``radius``), and composes long distances by shortest paths over landmarks: embeddings of dataset
states spread over the data by farthest-point sampling in the metric's space (the graph search of
"Search on the Replay Buffer", Eysenbach et al. 2019, here in a JEPA's latent space). For a latent z
and goal g:

    D(z, g) = min( hop(d(z, g)),  min_i [ hop(d(z, l_i)) + H_i(g) ] ),
    H_i(g)  = min_j [ P_ij + hop(d(l_j, g)) ]

where d is the metric's distance, P the all-pairs shortest paths of the landmark graph (edges: pairs
within ``radius``) and hop(d) = d + ``overreach`` * max(0, d - radius) lets a latent far from every
landmark keep a finite, steeply growing cost instead of an infinite one. Distances are in the
metric's units (``step_scale`` per step); ``step_lengths`` is the metric's. Goals are still
observations' embeddings: nothing here reads a physical state.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, shortest_path
from torch import Tensor


class LandmarkGraph:
    """Shortest-path goal distance over landmark embeddings; the same interface as
    ``TemporalDistance``
    for planners (``distance``, ``step_lengths``, ``step_scale``).

    Args:
        metric: the trained ``TemporalDistance``.
        landmarks: [N, D] fast-latent landmarks (see ``select_landmarks``).
        radius: longest trusted hop, in the metric's units (default 1.5: 15 steps at step_scale
        0.1).
        overreach: slope of hop(d) beyond ``radius`` (connects a latent to its nearest landmark when
            none lies within the radius, at a price).
    """

    def __init__(self, metric, landmarks: Tensor, radius: float = 1.5, overreach: float = 10.0):
        if landmarks.ndim != 2 or landmarks.shape[1] != metric.latent_dim or len(landmarks) < 2:
            raise ValueError(
                f"landmarks must be [N >= 2, {metric.latent_dim}], got {list(landmarks.shape)}"
            )
        if not radius > 0 or overreach < 0:
            raise ValueError(f"radius must be > 0 and overreach >= 0, got {radius}, {overreach}")
        self.metric, self.radius, self.overreach = metric, float(radius), float(overreach)
        self.latent_dim, self.step_scale = metric.latent_dim, metric.step_scale
        self.landmarks = landmarks.detach().float()
        with torch.no_grad():
            self._features = metric(self.landmarks)  # [heads, N, E]
            hops = self.pairwise(self.landmarks).double().cpu()  # [N, N]
        hops = torch.minimum(
            hops, hops.T
        ).numpy()  # the metric is symmetric; keep exact zeros off the graph's edges
        edges = csr_matrix(np.where(hops <= self.radius, np.maximum(hops, 1e-9), 0.0))
        self.components = int(connected_components(edges, directed=False)[0])
        paths, pred = shortest_path(edges, method="D", directed=False, return_predecessors=True)
        self.predecessors = pred  # [N, N] numpy: pred[i, j], the node before j on i's path to j
        # landmarks the graph cannot join (another component) are joined by their direct
        # hop, at its price
        paths = np.where(np.isfinite(paths), paths, self.hop(torch.from_numpy(hops)).numpy())
        # [N, N]
        self.paths = torch.as_tensor(paths, dtype=torch.float32, device=self.landmarks.device)
        self._goal_cache: tuple | None = None

    def hop(self, d: Tensor) -> Tensor:
        """Metric distance -> the cost of one hop (itself within ``radius``, steeper beyond)."""
        return d + self.overreach * (d - self.radius).clamp_min(0.0)

    def _steps(self, f: Tensor, other: Tensor) -> Tensor:
        """Features [heads, P, E] x [heads, N, E] -> [P, N]: the metric's distance (its units)."""
        # the matrix-product form: torch's default picks the direct form here, 4x slower on a CPU
        raw = torch.cdist(f, other, compute_mode="use_mm_for_euclid_dist").mean(0)
        return self.metric.steps(raw).mul_(self.step_scale)

    def pairwise(self, z: Tensor) -> Tensor:
        """[P, D] -> [P, N]: the metric's distance from each latent to each landmark."""
        return self._steps(self.metric.features(z), self._features)

    def to_goal(self, g: Tensor) -> Tensor:
        """[D] -> [N]: H(g), each landmark's shortest-path distance to the goal (cached per
        goal)."""
        return self._goal_terms(g)[0]

    def _goal_terms(self, g: Tensor) -> tuple[Tensor, Tensor]:
        """[D] -> (H(g) [N], exit [N]): each landmark's distance to the goal and the landmark j its
        shortest path leaves the graph from (the argmin of P_ij + hop(d(l_j, g))); cached."""
        key = tuple(g.tolist())
        if self._goal_cache is None or self._goal_cache[0] != key:
            last = self.hop(self.pairwise(g[None])[0])  # [N]
            best = (self.paths + last[None]).min(1)
            self._goal_cache = (key, best.values, best.indices)
        return self._goal_cache[1], self._goal_cache[2]

    @torch.no_grad()
    def subgoals(self, z: Tensor, g: Tensor, lookahead: float) -> tuple[Tensor, Tensor]:
        """The landmark ``lookahead`` ahead on each problem's shortest path to its goal.

        z [B, D], g [B, D] or [D] -> (subgoals [B, D], handover [B] bool). The path leaves z by its
        best first hop (argmin_i hop(d(z, l_i)) + H_i(g)) and follows the graph's shortest path to
        the landmark it exits from toward g; the subgoal is the farthest landmark on it within
        ``lookahead`` (metric units) of z, or the next one when that is nearer than half of it.
        ``handover``: the goal itself is nearer than that (directly, within ``lookahead``) and
        becomes the subgoal.
        """
        g = g.expand_as(z) if g.dim() == 1 else g
        first = self.hop(self.pairwise(z))  # [B, N]
        direct = self.hop(self.metric.distance(z, g))  # [B]
        out, handover = g.clone(), torch.zeros(len(z), dtype=torch.bool)
        for b in range(len(z)):
            path = self._route(first[b], g[b], float(direct[b]), lookahead)
            if not path:
                handover[b] = True
                continue
            i = path[0]
            reach = float(first[b, i]) + self.paths[i, path]  # [len(path)]: along the path
            k = int((reach <= lookahead).nonzero().max()) if bool(reach[0] <= lookahead) else 0
            if reach[k] < lookahead / 2 and k + 1 < len(path):  # landmarks sparser than the
                k += 1  # lookahead: the next one (a hop away), or the agent would stay put
            out[b] = self.landmarks[path[k]]
        return out, handover

    @torch.no_grad()
    def route(self, z: Tensor, g: Tensor) -> list[int]:
        """z [D], g [D] -> the landmark indices the shortest path from z to g passes (in order;
        empty when going straight to g is as short): what the landmark slow level follows."""
        first = self.hop(self.pairwise(z[None])[0])  # [N]
        direct = float(self.hop(self.metric.distance(z[None], g[None]))[0])
        return self._route(first, g, direct, lookahead=0.0)

    def _route(self, first: Tensor, g: Tensor, direct: float, lookahead: float) -> list[int]:
        """first [N] (hops from z to each landmark), g [D] -> the landmarks on the best path, or
        [] when the goal is within ``lookahead`` or no path through the graph is shorter."""
        h, exits = self._goal_terms(g)
        via = first + h  # [N]
        i = int(via.argmin())
        if direct <= lookahead or direct <= float(via[i]):
            return []
        return self.path(i, int(exits[i]))

    def path(self, i: int, j: int) -> list[int]:
        """Landmark indices on the shortest path from i to j (both included; [i, j] when the graph
        joins them only by their direct hop)."""
        nodes = [j]
        while nodes[-1] != i:
            before = int(self.predecessors[i, nodes[-1]])
            if before < 0:  # other components: the direct hop
                nodes.append(i)
                break
            nodes.append(before)
        return nodes[::-1]

    @torch.no_grad()
    def distance(self, z: Tensor, g: Tensor) -> Tensor:
        """[..., D], [..., D] (broadcastable) -> [...]: the composed distance D(z, g) in the
        metric's units."""
        if z.device != self.paths.device:  # the slow model was moved after loading: follow it
            self.landmarks, self._features, self.paths = (
                t.to(z.device) for t in (self.landmarks, self._features, self.paths)
            )
            self._goal_cache = None
        shape = torch.broadcast_shapes(z.shape, g.shape)
        # kept as given otherwise: its features are cached
        z = z if z.shape == shape else z.expand(shape)
        # [heads, ..., E], shared with step_lengths over the same latents
        fz = self.metric.features(z)
        fz = fz.reshape(fz.shape[0], -1, fz.shape[-1])  # [heads, P, E]
        gf = g.expand(shape).reshape(-1, self.latent_dim)  # [P, D]
        same = bool((gf == gf[:1]).all())  # a planner's goal is one embedding for the whole batch
        goals, which = (
            (gf[:1], torch.zeros(len(gf), dtype=torch.long, device=gf.device))
            if same
            else torch.unique(gf, dim=0, return_inverse=True)
        )
        fg = self.metric.features(goals)  # [heads, U, E]
        direct = self.hop(self._steps(fz, fg).gather(1, which[:, None])[:, 0])  # [P]
        h = torch.stack([self.to_goal(x) for x in goals])  # [U, N]
        d = self._steps(fz, self._features)  # [P, N], the main cost of a query
        d.add_((d - self.radius).clamp_min_(0).mul_(self.overreach))  # hop(d), in place
        # [P] (one goal: broadcast, no [P, N] copy)
        via = d.add_(h[0] if same else h[which]).min(1).values
        return torch.minimum(direct, via).reshape(shape[:-1])

    def step_lengths(self, z: Tensor) -> Tensor:
        """[M, T+1, D] -> [M, T]: the metric's own distance between consecutive latents (short
        hops)."""
        return self.metric.step_lengths(z)


@torch.no_grad()
def select_landmarks(metric, z: Tensor, n: int = 500, pool: int = 20000, seed: int = 0) -> Tensor:
    """Indices [n] of ``n`` landmarks among candidate latents ``z`` [R, D]: farthest-point
    sampling in the metric's space over a random pool of up to ``pool`` candidates, so they
    spread over the data
    rather than its dense regions."""
    if not 2 <= n <= len(z):
        raise ValueError(f"n must be in [2, {len(z)}] (the candidates), got {n}")
    gen = torch.Generator().manual_seed(seed)
    pool_idx = torch.randperm(len(z), generator=gen)[:pool]
    cand = z[pool_idx].float()
    f = metric(cand).mean(0)  # [C, E]: the heads' mean coordinates, for spacing only
    chosen = [int(torch.randint(len(cand), (1,), generator=gen))]
    nearest = (f - f[chosen[0]]).norm(dim=-1)
    for _ in range(n - 1):
        i = int(nearest.argmax())
        chosen.append(i)
        nearest = torch.minimum(nearest, (f - f[i]).norm(dim=-1))
    return pool_idx[chosen]

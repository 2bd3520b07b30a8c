"""Encoders (perception): observation -> embedding. Nothing is ever decoded back."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Normalizer(nn.Module):
    """Standardises inputs with dataset statistics (stored as buffers, so checkpoints carry
    them)."""

    def __init__(self, mean: Tensor, std: Tensor, eps: float = 1e-6):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).clone())
        self.register_buffer(
            "std", torch.as_tensor(std, dtype=torch.float32).clamp_min(eps).clone()
        )

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


def mlp(in_dim: int, hidden: int, out_dim: int, depth: int) -> nn.Sequential:
    """``depth`` hidden layers of Linear -> LayerNorm -> GELU, then a linear output layer."""
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), nn.LayerNorm(hidden), nn.GELU()]
        d = hidden
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """State-vector encoder: normalise with dataset statistics, then an MLP; optionally an object
    slot after it.

    The object slot is the standardised object dimensions themselves (``object_dims``, found in the
    data: ``goal_actor.slot_dims``) times ``object_gain``, appended to the MLP's embedding. A
    learned embedding resolved a cube to about 3 cm, near OGBench's 4 cm success radius (notes,
    2026-12-08): the slot keeps the object's pose in the embedding at the data's own resolution,
    where no training signal can blur or collapse it. The predictor still has to predict it.

    Args:
        obs_dim: S, the state observation size.
        latent_dim: D, the MLP's embedding size (the encoder's output is D + K with a slot).
        mean, std: [S] dataset statistics for input normalisation.
        object_dims: the K observation indices of the slot (() for none).
        object_gain: latent units per data standard deviation of an object dimension.
    Shapes: forward [B, S] -> [B, D + K] (any leading dims are kept).
    """

    def __init__(
        self,
        obs_dim: int,
        latent_dim: int,
        mean: Tensor,
        std: Tensor,
        hidden: int = 256,
        depth: int = 2,
        object_dims: tuple[int, ...] = (),
        object_gain: float = 1.0,
    ):
        super().__init__()
        if any(not 0 <= int(i) < obs_dim for i in object_dims) or len(set(object_dims)) < len(
            object_dims
        ):
            raise ValueError(
                f"object_dims must be distinct indices in [0, {obs_dim}), got {object_dims}"
            )
        if object_dims and not object_gain > 0:
            raise ValueError(f"object_gain must be > 0, got {object_gain}")
        self.obs_shape = (obs_dim,)
        self.norm = Normalizer(mean, std)
        self.net = mlp(obs_dim, hidden, latent_dim, depth)
        self.slot_dim, self.object_gain = len(object_dims), float(object_gain)
        if object_dims:  # a buffer only with a slot: checkpoints without one load unchanged
            self.register_buffer("object_index", torch.as_tensor(object_dims, dtype=torch.long))

    def forward(self, obs: Tensor) -> Tensor:
        x = self.norm(obs)
        if not self.slot_dim:
            return self.net(x)
        return torch.cat([self.net(x), self.object_gain * x[..., self.object_index]], dim=-1)

    @torch.no_grad()
    def renormalize(self, mean: Tensor, std: Tensor) -> None:
        """New input statistics [S], the encoder's function unchanged: the first layer absorbs
        the change (W' = W diag(std'/std), b' = b + W (mean' - mean) / std), so only the
        conditioning of later gradient steps moves. Learning by acting needs it: the states a
        trained agent reaches lie many exploration-stds away (a running cheetah's speed at 12)."""
        first, norm = self.net[0], self.norm
        new_std = torch.as_tensor(std, dtype=norm.std.dtype).to(norm.std).clamp_min(1e-6)
        new_mean = torch.as_tensor(mean, dtype=norm.mean.dtype).to(norm.mean)
        first.bias.add_(first.weight @ ((new_mean - norm.mean) / norm.std))
        first.weight.mul_((new_std / norm.std)[None, :])
        norm.mean.copy_(new_mean)
        norm.std.copy_(new_std)


class CNNEncoder(nn.Module):
    """Pixel encoder for small square images, with optional frame history stacked on channels.

    Args:
        image_size: H = W (divisible by 16).
        latent_dim: D.
        history: frames stacked (velocity is observable only with history >= 2).
        width: channels of the first conv layer (doubled at each of 4 stride-2 layers, capped at
        8x).
    Shapes: forward [B, history*3, H, W] uint8 or float in [0, 255] -> [B, D].
    """

    def __init__(self, image_size: int, latent_dim: int, history: int = 1, width: int = 16):
        super().__init__()
        if image_size % 16:
            raise ValueError(f"image_size must be divisible by 16, got {image_size}")
        self.obs_shape = (3 * history, image_size, image_size)
        chans = [3 * history, width, 2 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [
                nn.Conv2d(cin, cout, 4, stride=2, padding=1),
                nn.GroupNorm(1, cout),
                nn.GELU(),
            ]
        self.conv = nn.Sequential(*layers)
        self.head = nn.Linear(chans[-1] * (image_size // 16) ** 2, latent_dim)

    def forward(self, obs: Tensor) -> Tensor:
        lead = obs.shape[:-3]
        x = obs.reshape(-1, *obs.shape[-3:]).float() / 255.0 - 0.5  # [B', C, H, W]
        z = self.head(self.conv(x).flatten(1))  # [B', D]
        return z.reshape(*lead, -1)


class SpatialSoftmax(nn.Module):
    """Feature maps -> the expected image coordinates of each map's softmax (Levine et al., 2016).

    Each map is standardised over its pixels before the softmax, and the learned inverse
    temperature is capped at ``max_gain``: an unbounded one sharpens the softmax into an argmax,
    whose keypoint stays on one feature-map cell and then jumps to the next (a piecewise-constant
    embedding that predicts nothing; measured on 8x8 maps).
    Shapes: forward [B, K, H, W] -> [B, 2K] (x then y per map, in [-1, 1]).
    """

    def __init__(self, maps: int, height: int, width: int, max_gain: float = 3.0):
        super().__init__()
        ys, xs = torch.meshgrid(
            torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij"
        )
        # [H*W, 2]
        self.register_buffer("grid", torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=-1))
        self.log_gain = nn.Parameter(torch.zeros(maps))
        self.max_gain = float(max_gain)

    def forward(self, maps: Tensor) -> Tensor:
        b, k = maps.shape[:2]
        x = maps.reshape(b, k, -1)  # [B, K, H*W]
        x = (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5)
        gain = self.log_gain.exp().clamp(max=self.max_gain)[:, None]
        return ((x * gain).softmax(-1) @ self.grid).reshape(b, 2 * k)  # [B, 2K]


class KeypointEncoder(nn.Module):
    """Pixel encoder for scenes of a few small moving objects: a conv net, then spatial-softmax
    keypoints.

    Each frame of the history goes through the same convolutions (an 8x8 stride-4 layer, then a 3x3
    one: 16x16 feature maps for a 64x64 image), whose spatial softmax gives K image coordinates;
    the h frames' coordinates feed an MLP. Positions are thus read out by construction (where a
    plain CNN must learn to localise an object of a few pixels), velocity is the difference of
    the frames' keypoints, and one frame costs about 1 MFLOP at width 8, which makes a CPU-sized
    pixel model possible (normalisation layers on the feature maps tripled the time of a
    training step here; dropped).

    Args:
        image_size: H = W (divisible by 4).
        latent_dim: D.
        history: frames stacked on channels, oldest first.
        width: channels of the convolutions; keypoints K = width.
        hidden, depth: the MLP from the h*2K coordinates to the embedding.
    Shapes: forward [B, history*3, H, W] uint8 or float in [0, 255] -> [B, D].
    """

    def __init__(
        self,
        image_size: int,
        latent_dim: int,
        history: int = 1,
        width: int = 16,
        hidden: int = 128,
        depth: int = 2,
    ):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        self.obs_shape = (3 * history, image_size, image_size)
        self.history = history
        # fmt: skip
        self.conv = nn.Sequential(
            nn.Conv2d(3, width, 8, stride=4, padding=2),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 1),
        )
        self.keypoints = SpatialSoftmax(width, image_size // 4, image_size // 4)
        self.net = mlp(history * 2 * width, hidden, latent_dim, depth)

    def forward(self, obs: Tensor) -> Tensor:
        lead, (hgt, wid) = obs.shape[:-3], obs.shape[-2:]
        frames = obs.reshape(-1, 3, hgt, wid).float() / 255.0 - 0.5  # [B'*h, 3, H, W]
        kp = self.keypoints(self.conv(frames))  # [B'*h, 2K]
        z = self.net(kp.reshape(-1, self.history * kp.shape[-1]))  # [B', D]
        return z.reshape(*lead, -1)

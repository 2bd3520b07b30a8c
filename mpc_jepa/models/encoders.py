"""Encoders (perception): observation -> embedding. Nothing is ever decoded back."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Normalizer(nn.Module):
    """Standardises inputs with dataset statistics (stored as buffers, so checkpoints carry them)."""

    def __init__(self, mean: Tensor, std: Tensor, eps: float = 1e-6):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).clone())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).clamp_min(eps).clone())

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
    """State-vector encoder: normalise with dataset statistics, then an MLP.

    Args:
        obs_dim: S, the state observation size.
        latent_dim: D, the embedding size.
        mean, std: [S] dataset statistics for input normalisation.
    Shapes: forward [B, S] -> [B, D] (any leading dims are kept).
    """

    def __init__(self, obs_dim: int, latent_dim: int, mean: Tensor, std: Tensor, hidden: int = 256, depth: int = 2):
        super().__init__()
        self.obs_shape = (obs_dim,)
        self.norm = Normalizer(mean, std)
        self.net = mlp(obs_dim, hidden, latent_dim, depth)

    def forward(self, obs: Tensor) -> Tensor:
        return self.net(self.norm(obs))


class CNNEncoder(nn.Module):
    """Pixel encoder for small square images, with optional frame history stacked on channels.

    Args:
        image_size: H = W (divisible by 16).
        latent_dim: D.
        history: frames stacked (velocity is observable only with history >= 2).
        width: channels of the first conv layer (doubled at each of 4 stride-2 layers, capped at 8x).
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
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.GroupNorm(1, cout), nn.GELU()]
        self.conv = nn.Sequential(*layers)
        self.head = nn.Linear(chans[-1] * (image_size // 16) ** 2, latent_dim)

    def forward(self, obs: Tensor) -> Tensor:
        lead = obs.shape[:-3]
        x = obs.reshape(-1, *obs.shape[-3:]).float() / 255.0 - 0.5  # [B', C, H, W]
        z = self.head(self.conv(x).flatten(1))  # [B', D]
        return z.reshape(*lead, -1)

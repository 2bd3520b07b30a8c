"""JEPA world model: encoder + action-conditioned predictor, rolled out in latent space."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from mpc_jepa.models.encoders import CNNEncoder, KeypointEncoder, MLPEncoder
from mpc_jepa.models.predictor import Predictor


@dataclass(frozen=True)
class WorldModelConfig:
    """Architecture of a ``JEPAWorldModel``."""

    obs_type: Literal["state", "pixels"] = "state"
    """Observation type the encoder reads."""
    latent_dim: int = 16
    """Embedding size D (its learned part: an object slot adds its K dims after it)."""
    hidden: int = 128
    """Hidden width of the encoder MLP and of the predictor (128 keeps planning at ~50 Hz on a
    CPU)."""
    depth: int = 2
    """Hidden layers of the encoder MLP and blocks of the predictor."""
    conditioning: Literal["film", "concat"] = "film"
    """How the predictor takes the action: FiLM/AdaLN modulation or concatenation."""
    history: int = 1
    """Pixel frames stacked as encoder input (>= 2 makes velocity observable)."""
    pixel_encoder: Literal["keypoints", "cnn"] = "keypoints"
    """Pixel encoder: conv net + spatial-softmax keypoints, or a plain strided CNN."""
    cnn_width: int = 8
    """Channels of the pixel encoder's conv layers (its first layer for the CNN; keypoints for the
    keypoint encoder)."""
    ema_target: bool = True
    """Keep an EMA copy of the encoder to produce prediction targets (BYOL/JEPA style)."""
    object_gain: float = 0.0
    """State encoders: > 0 appends an object slot to the embedding (``MLPEncoder``): the object
    dimensions, standardised, times this gain (latent units per data std; one step of the
    reachability geometry is ``reach_step``). 0: no slot."""
    object_dims: tuple[int, ...] = ()
    """The slot's observation indices; empty with a gain > 0: found in the training data
    (``goal_actor.slot_dims``: at rest in most steps, not a switch) when training starts."""

    def __post_init__(self):
        for name in ("latent_dim", "hidden", "depth", "history", "cnn_width"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.obs_type not in ("state", "pixels"):
            raise ValueError(f"obs_type must be 'state' or 'pixels', got {self.obs_type!r}")
        if self.object_gain < 0:
            raise ValueError(
                f"object_gain must be >= 0 (0: no object slot), got {self.object_gain}"
            )
        if self.object_gain > 0 and self.obs_type != "state":
            raise ValueError("an object slot (object_gain > 0) needs state observations")
        if self.pixel_encoder not in ("keypoints", "cnn"):
            raise ValueError(
                f"pixel_encoder must be 'keypoints' or 'cnn', got {self.pixel_encoder!r}"
            )


class JEPAWorldModel(nn.Module):
    """Encoder + residual predictor; satisfies the ``WorldModel`` protocol.

    Attributes:
        action_dim: A.
        latent_dim: D, the whole embedding (an object slot's K dims included).
        learned_dim: its learned part, the first D - K dims (the reachability geometry shapes
        these; the slot is fixed).
        target_encoder: EMA copy of ``encoder`` (or None): gives stop-gradient prediction targets.
    """

    differentiable = True

    def __init__(
        self, encoder: nn.Module, predictor: Predictor, action_dim: int, ema_target: bool = True
    ):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor
        self.action_dim = int(action_dim)
        self.latent_dim = int(predictor.out.out_features)
        # the embedding's learned part (its first dims); an object slot follows it
        self.learned_dim = self.latent_dim - int(getattr(encoder, "slot_dim", 0))
        self.obs_shape = tuple(encoder.obs_shape)
        self.target_encoder = copy.deepcopy(encoder).requires_grad_(False) if ema_target else None

    @classmethod
    def build(
        cls,
        config: WorldModelConfig,
        obs_dim_or_size: int,
        action_dim: int,
        mean: Tensor | None = None,
        std: Tensor | None = None,
    ):
        """Build from a config: ``obs_dim_or_size`` is S for states, the image side for pixels."""
        if config.obs_type == "state":
            if mean is None:
                mean, std = torch.zeros(obs_dim_or_size), torch.ones(obs_dim_or_size)
            if config.object_gain > 0 and not config.object_dims:
                raise ValueError(
                    "object_gain > 0 needs object_dims (training finds them in the data)"
                )
            slot = tuple(config.object_dims) if config.object_gain > 0 else ()
            encoder = MLPEncoder(obs_dim_or_size, config.latent_dim, mean, std, config.hidden,
                                 config.depth, slot, config.object_gain or 1.0)  # fmt: skip
        elif config.pixel_encoder == "keypoints":
            encoder = KeypointEncoder(
                obs_dim_or_size,
                config.latent_dim,
                config.history,
                config.cnn_width,
                config.hidden,
                config.depth,
            )
        else:
            encoder = CNNEncoder(
                obs_dim_or_size, config.latent_dim, config.history, config.cnn_width
            )
        latent_dim = config.latent_dim + getattr(encoder, "slot_dim", 0)
        predictor = Predictor(
            latent_dim, action_dim, config.hidden, config.depth, config.conditioning
        )
        return cls(encoder, predictor, action_dim, ema_target=config.ema_target)

    def _check_obs(self, obs: Tensor) -> None:
        if (
            tuple(obs.shape[-len(self.obs_shape) :]) != self.obs_shape
            or obs.dim() < len(self.obs_shape) + 1
        ):
            raise ValueError(
                f"observation must have shape [B, {', '.join(map(str, self.obs_shape))}], got "
                f"{list(obs.shape)}"
            )

    def encode(self, obs: Tensor) -> Tensor:
        """[B, *O] -> [B, D] (extra leading dims are kept)."""
        self._check_obs(obs)
        return self.encoder(obs)

    def encode_target(self, obs: Tensor) -> Tensor:
        """Stop-gradient targets from the EMA encoder (or the online one): [..., *O] -> [..., D]."""
        with torch.no_grad():
            return (self.target_encoder or self.encoder)(obs)

    def predict(self, z: Tensor, action: Tensor) -> Tensor:
        """[B, D], [B, A] -> [B, D]."""
        return self.predictor(z, action)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        """Open-loop rollout: [B, D], [B, T, A] -> [B, T+1, D] (index 0 is ``z0``)."""
        if (
            actions.shape[-1] != self.action_dim
            or actions.dim() != 3
            or actions.shape[0] != z0.shape[0]
        ):
            raise ValueError(
                f"actions must have shape [B={z0.shape[0]}, T, A={self.action_dim}], got "
                f"{list(actions.shape)}"
            )
        return self.predictor.rollout(z0, actions)

    def renormalize_inputs(self, mean: Tensor, std: Tensor) -> None:
        """New state statistics [S] for the encoder and its EMA copy, both functions unchanged
        (``MLPEncoder.renormalize``)."""
        if not isinstance(self.encoder, MLPEncoder):
            raise ValueError(f"{type(self.encoder).__name__} has no input statistics to renew")
        for encoder in (self.encoder, self.target_encoder):
            if encoder is not None:
                encoder.renormalize(mean, std)

    @torch.no_grad()
    def update_target(self, tau: float) -> None:
        """EMA step: target <- tau * target + (1 - tau) * online."""
        if self.target_encoder is None:
            return
        for pt, po in zip(self.target_encoder.parameters(), self.encoder.parameters()):
            pt.lerp_(po, 1.0 - tau)
        for bt, bo in zip(self.target_encoder.buffers(), self.encoder.buffers()):
            bt.copy_(bo)

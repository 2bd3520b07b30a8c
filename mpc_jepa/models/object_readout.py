"""Which way are the objects going? A readout of the objects' dimensions off the JEPA latent.

A goal observation hands out the whole scene, the arm's pose included; OGBench's goals carry an
arbitrary arm pose, so a latent distance to the goal pulls the arm toward a pose the task never
asks for. The objects are what a manipulation goal is about. Which dimensions they occupy is
learned from the data (``goal_actor.slot_dims``: at rest in most steps, not a switch such as a
gripper's contact reading), and a ridge map from the fast model's latent to those dimensions
(standardised by the data's spread), fit on the dataset's rows after the model is trained
(``training.object_readout``), reads them off predicted latents: the cost ``--goal-metric
objects`` compares the readout of the plan's latents with the goal's. The model is untouched (a
frozen readout, not a reconstruction loss); over a model with an object slot the readout is
the slot itself, to rounding.
"""

from __future__ import annotations

from torch import Tensor, nn


class ObjectReadout(nn.Module):
    """latents [..., D] -> the object dimensions [..., K], each divided by its spread in the data.

    Args:
        weight: [D + 1, K] ridge weights (bias last).
        dims: bool [O], the observation's object dimensions (K of them).
        scale: [K] their standard deviations in the data.
    """

    def __init__(self, weight: Tensor, dims: Tensor, scale: Tensor):
        super().__init__()
        k = int(dims.sum())
        if weight.ndim != 2 or weight.shape[1] != k or scale.shape != (k,):
            raise ValueError(
                f"need weight [D + 1, {k}] and scale [{k}] for {k} object dims, got "
                f"{list(weight.shape)} and {list(scale.shape)}"
            )
        self.register_buffer("weight", weight.float())
        self.register_buffer("dims", dims.bool())
        self.register_buffer("scale", scale.float().clamp_min(1e-6))

    def forward(self, z: Tensor) -> Tensor:
        """[..., D] -> [..., K]."""
        return (z @ self.weight[:-1] + self.weight[-1]) / self.scale

    def state(self) -> dict:
        """What a checkpoint stores (``ObjectReadout(**state)`` rebuilds it)."""
        return {"weight": self.weight.cpu(), "dims": self.dims.cpu(), "scale": self.scale.cpu()}

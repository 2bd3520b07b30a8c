"""A learned world model whose rollouts run through ``torch.compile`` (opt-in: ``--compile``).

Planning calls one rollout of T sequential predictor steps per candidate batch (CEM: per
iteration; the gradient planner: forward and backward per Adam step). At these sizes eager
PyTorch spends most of its time launching small operations one by one; inductor fuses the unrolled
rollout (and its backward) into a few generated kernels. Measured on the bench models, 2 CPU
cores (``benchmarks/RESULTS.md``): iCEM 20.1 -> 11.0 ms per control step (point_mass), the
gradient planner (1 Adam step, 8 restarts) 14.0 -> 7.0 ms. The price is a one-off compilation on
first use (about 70 s here cold, 7 s once inductor's on-disk cache holds the kernels), so it pays
for long runs, not one episode.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from mpc_jepa.types import WorldModel


class CompiledModel:
    """Wraps a learned world model; ``rollout`` and ``predict`` are compiled, the rest is the
    model's.

    Batch sizes are symbolic (``dynamic=True``), so CEM's decaying populations share one compiled
    graph per grad mode (inference for sampling planners, with autograd for the gradient planner).
    If the compiler backend is unavailable (no C++ compiler), it warns once and runs eagerly.

    Shapes: ``rollout(z0 [B, *Z], actions [B, T, A]) -> [B, T+1, *Z]``, ``predict(z [B, *Z], a [B,
    A])
    -> [B, *Z]``, as the wrapped model.
    """

    def __init__(self, model: nn.Module, mode: str | None = None):
        if not isinstance(model, nn.Module) or not isinstance(model, WorldModel):
            raise ValueError(
                "compile needs a learned torch world model with a rollout; got "
                f"{type(model).__name__} (the oracle runs MuJoCo, not torch)"
            )
        self.model = model
        self._compiled = {
            name: torch.compile(getattr(model, name), dynamic=True, mode=mode)
            for name in ("rollout", "predict")
        }
        self._eager = False

    def __getattr__(self, name):
        return getattr(self.model, name)

    def _call(self, name: str, *args: Tensor) -> Tensor:
        if not self._eager:
            try:
                return self._compiled[name](*args)
            except (
                torch._dynamo.exc.BackendCompilerFailed
            ) as e:  # e.g. no C++ compiler on this machine
                msg = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
                warnings.warn(
                    f"torch.compile failed ({msg}); planning continues with the eager model",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self._eager = True
        return getattr(self.model, name)(*args)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        return self._call("rollout", z0, actions)

    def predict(self, z: Tensor, action: Tensor) -> Tensor:
        return self._call("predict", z, action)

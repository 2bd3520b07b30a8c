"""A learned world model whose rollouts run through ``torch.compile`` (opt-in: ``--compile``).

Planning calls one rollout of T sequential predictor steps per candidate batch (CEM: per
iteration; the gradient planner: forward and backward per Adam step). At these sizes eager
PyTorch spends most of its time launching small operations one by one; inductor fuses the unrolled
rollout (and its backward) into a few generated kernels. Measured on the point_mass bench model,
2 CPU cores (``benchmarks/RESULTS.md``): iCEM 14.3 -> 8.7 ms per plan, the gradient planner (1 Adam
step, 2 restarts) 8.3 -> 4.5 ms. The price is a one-off compilation on first use (about 70 s here
cold, 7 s once inductor's on-disk cache holds the kernels), so it pays for long runs, not one episode.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn


class CompiledModel:
    """Wraps a learned world model; ``rollout`` is compiled, everything else is the model's.

    Batch sizes are symbolic (``dynamic=True``), so CEM's decaying populations share one compiled
    graph per grad mode (inference for sampling planners, with autograd for the gradient planner).
    If the compiler backend is unavailable (no C++ compiler), it warns once and runs eagerly.

    Shapes: ``rollout(z0 [B, *Z], actions [B, T, A]) -> [B, T+1, *Z]``, as the wrapped model.
    """

    def __init__(self, model: nn.Module, mode: str | None = None):
        if not isinstance(model, nn.Module) or not hasattr(model, "rollout"):
            raise ValueError(f"compile needs a learned torch world model with a rollout; got {type(model).__name__} (the oracle runs MuJoCo, not torch)")
        self.model = model
        self._compiled = torch.compile(model.rollout, dynamic=True, mode=mode)
        self._eager = False

    def __getattr__(self, name):
        return getattr(self.model, name)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        if self._eager:
            return self.model.rollout(z0, actions)
        try:
            return self._compiled(z0, actions)
        except torch._dynamo.exc.BackendCompilerFailed as e:  # e.g. no C++ compiler on this machine
            warnings.warn(f"torch.compile failed ({str(e).splitlines()[0][:200]}); planning continues with the eager model", RuntimeWarning, stacklevel=2)
            self._eager = True
            return self.model.rollout(z0, actions)

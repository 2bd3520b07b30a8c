"""CompiledModel: torch.compile'd rollouts give the eager model's values and gradients."""

import warnings

import pytest
import torch

from mpc_jepa.evaluation import PlanSettings, planning_model
from mpc_jepa.models import JEPAWorldModel, WorldModelConfig, compiled
from mpc_jepa.models.compiled import CompiledModel

from .toy import LinearModel


def _model():
    torch.manual_seed(0)
    m = JEPAWorldModel.build(WorldModelConfig(latent_dim=4, hidden=16), 4, 2)
    # the zero-initialised output layer would make every rollout a copy
    for p in m.predictor.parameters():
        p.data.normal_(0, 0.3)
    return m


def test_compiled_rollout_matches_eager_values_and_gradients():
    m = _model()
    cm = CompiledModel(m)
    for batch in (3, 7):  # symbolic batch size: one graph serves CEM's decaying populations
        z0, actions = torch.randn(batch, 4), torch.rand(batch, 3, 2) * 2 - 1
        with torch.inference_mode():
            ref = m.rollout(z0, actions)
            out = cm.rollout(z0, actions)
        assert out.shape == (batch, 4, 4)
        assert (ref - z0.unsqueeze(1)).abs().max() > 0.1  # the rollout really moves
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
        a1, a2 = actions.clone().requires_grad_(True), actions.clone().requires_grad_(True)
        (g_ref,) = torch.autograd.grad(m.rollout(z0, a1).square().sum(), a1)
        (g_out,) = torch.autograd.grad(cm.rollout(z0, a2).square().sum(), a2)
        assert g_ref.abs().max() > 0
        torch.testing.assert_close(g_out, g_ref, rtol=1e-4, atol=1e-5)
    assert cm.latent_dim == 4 and cm.action_dim == 2  # everything else is the wrapped model's
    with pytest.raises(ValueError, match="actions must have shape"):
        cm.rollout(torch.randn(3, 4), torch.randn(3, 5, 3))


def test_compile_refuses_non_torch_models_and_falls_back_to_eager_without_a_compiler(monkeypatch):
    with pytest.raises(ValueError, match="LinearModel"):
        CompiledModel(LinearModel())
    m = _model()
    assert planning_model(m, PlanSettings()) is m
    assert isinstance(planning_model(m, PlanSettings.from_flags(compile=True)), CompiledModel)
    assert planning_model(None, PlanSettings.from_flags(compile=True)) is None

    def broken_compile(fn, **kwargs):
        def run(*args):
            raise torch._dynamo.exc.BackendCompilerFailed(fn, RuntimeError("no C++ compiler"), None)

        return run

    monkeypatch.setattr(compiled.torch, "compile", broken_compile)
    cm = CompiledModel(m)
    z0, actions = torch.randn(2, 4), torch.zeros(2, 3, 2)
    with pytest.warns(RuntimeWarning, match="torch.compile failed.*eager"):
        out = cm.rollout(z0, actions)
    torch.testing.assert_close(out, m.rollout(z0, actions))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then silently eager
        cm.rollout(z0, actions)

"""The oracle: a task's true MuJoCo physics behind the ``WorldModel`` interface.

Its latent is the full physics state (MuJoCo's FULLPHYSICS spec: time, qpos, qvel, act, ...);
rollouts of all candidates run in C across threads through ``mujoco.rollout``. It gives every
planner a ceiling to measure the learned model against. It is not differentiable.
"""

from __future__ import annotations

import os

import mujoco
import numpy as np
import torch
from mujoco import rollout as mj_rollout
from torch import Tensor


class OracleModel:
    """True-physics world model of ``task`` (a ``tasks.Task``).

    Shapes: encode [B, nstate] physics states -> [B, nstate] (float64);
    rollout [B, nstate], [B, T, A] -> [B, T+1, nstate]. Actions are normalised to [-1, 1] and held
    for the task's ``action_repeat`` physics steps, exactly as ``Task.step`` does.
    """

    differentiable = False

    def __init__(self, task, nthread: int | None = None, velocity_weight: float = 0.1):
        self.task = task
        self.velocity_weight = float(velocity_weight)
        # a task whose step is not "hold ctrl for k physics steps" (OGBench's point maze moves
        # its qpos) brings its own batched step: ``rollout_physics``
        self._own_rollout = task.rollout_physics
        self.model = task.model if self._own_rollout else task.physics.model.ptr
        self.action_dim = task.action_dim
        self.repeat = task.action_repeat
        self.nstate = mujoco.mj_stateSize(self.model, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        self.obs_shape = (self.nstate,)  # encode reads physics states
        self.nthread = nthread or min(os.cpu_count() or 1, 8)
        self._datas = [mujoco.MjData(self.model) for _ in range(self.nthread)]
        self._runner = mj_rollout.Rollout(nthread=self.nthread)
        if not self._own_rollout:
            n_sub = int(round(task.env.control_timestep() / self.model.opt.timestep))
            self.substeps = max(n_sub, 1) * self.repeat  # physics steps per agent step

    def encode(self, obs: Tensor) -> Tensor:
        """Physics states [B, nstate] (from ``Task.get_state``) -> latents [B, nstate]."""
        obs = torch.as_tensor(obs)
        if obs.dim() != 2 or obs.shape[1] != self.nstate:
            raise ValueError(
                f"the oracle encodes physics states of shape [B, {self.nstate}], got "
                f"{list(obs.shape)}"
            )
        return obs.to(torch.float64)

    def rollout(self, z0: Tensor, actions: Tensor) -> Tensor:
        B, T, A = actions.shape
        if A != self.action_dim or z0.shape != (B, self.nstate):
            raise ValueError(
                f"need z0 [B, {self.nstate}] and actions [B, T, {self.action_dim}], got "
                f"{list(z0.shape)}, {list(actions.shape)}"
            )
        if self._own_rollout:
            z = z0.detach().cpu().double().numpy()
            states = self._own_rollout(z, actions.detach().cpu().double().numpy())
            return torch.as_tensor(np.concatenate([z[:, None], states], 1), device=z0.device)
        ctrl = self.task.denormalise(actions.detach().cpu().double().numpy())  # [B, T, A]
        ctrl = np.repeat(ctrl, self.substeps, axis=1)  # [B, T*substeps, A]
        state, _ = self._runner.rollout(
            self.model,
            self._datas,
            z0.detach().cpu().double().numpy(),
            ctrl,
            nstep=T * self.substeps,
        )
        # [B, T, nstate]: after each agent step
        states = state[:, self.substeps - 1 :: self.substeps]
        # [B, T+1, nstate]
        out = np.concatenate([z0.detach().cpu().double().numpy()[:, None], states], axis=1)
        return torch.as_tensor(out, device=z0.device)

    def predict(self, z: Tensor, action: Tensor) -> Tensor:
        return self.rollout(z, action.unsqueeze(1))[:, 1]

    def goal_features(self, latents: Tensor) -> Tensor:
        """Configuration features compared by the oracle's goal cost: [..., nstate] -> [..., F].

        Slide joints give their position; unlimited hinges give (cos, sin), so angles wrap.
        Velocities enter scaled by ``velocity_weight`` (seconds): goals are configurations at rest.
        """
        m = self.model
        qpos = latents[..., 1 : 1 + m.nq]  # FULLPHYSICS layout: time, qpos, qvel, ...
        feats = []
        for j in range(m.njnt):
            adr, kind = int(m.jnt_qposadr[j]), int(m.jnt_type[j])
            if kind == int(mujoco.mjtJoint.mjJNT_HINGE) and not m.jnt_limited[j]:
                feats += [torch.cos(qpos[..., adr]), torch.sin(qpos[..., adr])]
            elif kind in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)):
                feats.append(qpos[..., adr])
            else:  # free / ball joints: raw coordinates
                width = 7 if kind == int(mujoco.mjtJoint.mjJNT_FREE) else 4
                feats += [qpos[..., adr + k] for k in range(width)]
        qvel = latents[..., 1 + m.nq : 1 + m.nq + m.nv]
        return torch.cat([torch.stack(feats, dim=-1), self.velocity_weight * qvel], dim=-1)

    def close(self) -> None:
        self._runner.close()

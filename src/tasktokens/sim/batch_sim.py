"""Many copies of one character stepped together by ``mujoco.batch.Batch`` (C threads, GIL
released), exposed as live torch tensors without per-environment Python loops: the default
backend (sim/common.py has the interface).

Physics at 120 Hz; one :meth:`BatchSim.step` is one control step of ``substeps`` physics steps
(30 Hz by default). Per-environment friction, gravity and body-mass scales are model fields made
per-simulation with ``Batch.expand``.
"""

from __future__ import annotations

import warnings

import mujoco
import mujoco.batch
import numpy as np
import torch

from tasktokens.character import Character
from tasktokens.sim.common import SimBase, SimConfig

Tensor = torch.Tensor

__all__ = ["BatchSim", "SimConfig"]


def _live(array: np.ndarray) -> Tensor:
    """A torch view of a batch array that MuJoCo updates in place (no copy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # output arrays are read-only views
        return torch.from_numpy(array)


class BatchSim(SimBase):
    """num_envs simulations of a character; tensors are float64 views of MuJoCo's buffers."""

    def __init__(self, character: Character, cfg: SimConfig, model: mujoco.MjModel | None = None):
        super().__init__(character, cfg, model)
        self.batch = mujoco.batch.Batch(self.model, cfg.num_envs, nthread=cfg.num_threads, persistent=True)
        self.qpos = _live(self.batch.bind("qpos"))
        self.qvel = _live(self.batch.bind("qvel"))
        self.ctrl = _live(self.batch.bind("ctrl"))
        self._xpos = _live(self.batch.bind("xpos"))
        self._xquat = _live(self.batch.bind("xquat"))
        self._cvel = _live(self.batch.bind("cvel"))
        self._com = _live(self.batch.bind("subtree_com"))
        self._contact = _live(self.batch.bind("sensordata"))
        self._act_force = _live(self.batch.bind("actuator_force"))
        self._act_vel = _live(self.batch.bind("actuator_velocity"))
        self._time = _live(self.batch.bind("time"))
        self._base_friction = self.model.geom_friction.copy()
        self._base_mass = self.model.body_mass.copy()
        self._base_inertia = self.model.body_inertia.copy()
        self.batch.forward()

    def step(self, pd_targets: Tensor) -> None:
        """One control step: hold the PD targets (N, nu) for `substeps` physics steps.

        Simulations in which MuJoCo raises an error keep their previous state and are flagged
        in ``self.failed`` (also flagged: non-finite state); reset them.
        """
        self.ctrl.copy_(pd_targets)
        expected_time = self._time + 0.5 * self.control_dt
        try:
            self.batch.step(nstep=self.cfg.substeps, stage=mujoco.mjtStage.mjSTAGE_VEL)
        except mujoco.batch.SimulationError as err:
            self.failed[torch.as_tensor(np.asarray(err.ids), dtype=torch.long)] = True
        # MuJoCo resets an unstable simulation (bad qacc) to its defaults with a warning and
        # time 0: a clock that went back marks it.
        self.failed |= self._time < expected_time
        self.failed |= ~torch.isfinite(self.qvel).all(dim=1) | ~torch.isfinite(self.qpos).all(dim=1)

    def reset(self, ids: Tensor, qpos: Tensor, qvel: Tensor) -> None:
        """Set the state of simulations ids (K,) to qpos (K, nq), qvel (K, nv) and recompute
        kinematics; controls are set to hold the joint targets of the new pose."""
        if ids.numel() == 0:
            return
        idx = ids.cpu().numpy()
        self.batch.reset(idx, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self.qpos[ids] = qpos.to(torch.float64)
        self.qvel[ids] = qvel.to(torch.float64)
        # Start the clock at one control step, not 0: MuJoCo's automatic reset of an unstable
        # simulation sets time to 0 and finishes the step, which from 0 would look like a normal step.
        self._time[ids] = self.control_dt
        self.batch.forward(idx, stage=mujoco.mjtStage.mjSTAGE_VEL)
        self.failed[ids] = False

    # --- per-environment physics parameters (out-of-distribution tests) ---------------------
    def set_friction_scale(self, scale: Tensor) -> None:
        fr = self.batch.expand("geom_friction")
        fr[:] = self._base_friction[None] * scale.cpu().numpy()[:, None, None]

    def set_gravity_scale(self, scale: Tensor) -> None:
        g = self.batch.expand("opt.gravity")
        g[:] = self.model.opt.gravity[None] * scale.cpu().numpy()[:, None]

    def set_mass_scale(self, scale: Tensor) -> None:
        s = scale.cpu().numpy()
        self.batch.expand("body_mass")[:] = self._base_mass[None] * s[:, None]
        self.batch.expand("body_inertia")[:] = self._base_inertia[None] * s[:, None, None]
        self.batch.set_const()

    def data_of(self, i: int) -> mujoco.MjData:
        return self.batch.get_data(i)

    def model_of(self, i: int) -> mujoco.MjModel:
        return self.batch.get_model(i)

"""The same simulations on MuJoCo Warp (``mujoco_warp``): the design brief's GPU path, behind the
interface of sim/common.py, so every environment and task runs on it unchanged
(``SimConfig(backend="warp")``, ``tasktokens adapt --sim-backend warp``).

MuJoCo Warp computes in float32 on the Warp device: a GPU, or Warp's CPU backend (far slower
than ``mujoco.batch``; the tests run on it, with a few worlds). The state lives on the device; the
tensors of :class:`SimBase` are float64 CPU mirrors, copied to the device before each step
(``qpos``, ``qvel``, ``ctrl``: writes to them count, as with ``BatchSim``'s live views) and
back after it, so that the observation, reward and reset code stays the CPU code it is. One
control step is ``substeps`` times MuJoCo's two-phase step (``step2`` with the new controls, then
``step1`` at the new state), the order of a persistent ``mujoco.batch``: positions, velocities
and sensors describe the new state, as with ``BatchSim``. On a GPU that sequence is captured once
as a CUDA graph and replayed.
"""

from __future__ import annotations

import copy

import mujoco
import numpy as np
import torch

from tasktokens.character import Character
from tasktokens.sim.common import SimBase, SimConfig

Tensor = torch.Tensor

INSTALL_HINT = "pip install -e '.[warp]' (installs mujoco-warp and warp-lang)"


def _import_warp():
    try:
        import warp as wp

        wp.config.log_level = wp.LOG_WARNING  # before mujoco_warp initialises Warp: no line per kernel module
        import mujoco_warp as mjw
    except ImportError as err:
        raise ImportError(f"SimConfig.backend='warp' needs MuJoCo Warp, which is not installed: {INSTALL_HINT}") from err
    wp.init()
    return wp, mjw


_FIELDS = ("qpos", "qvel", "ctrl", "xpos", "xquat", "cvel", "subtree_com", "sensordata", "actuator_force", "actuator_velocity", "time")
"""Data fields mirrored on the CPU."""
_PUSHED = ("qpos", "qvel", "ctrl", "time")
"""Mirrors copied to the device before a step (the state and the controls)."""


class WarpSim(SimBase):
    """num_envs simulations ("worlds") of a character on MuJoCo Warp."""

    def __init__(self, character: Character, cfg: SimConfig, model: mujoco.MjModel | None = None):
        super().__init__(character, cfg, model)
        self.wp, self.mjw = _import_warp()
        wp, mjw, n = self.wp, self.mjw, cfg.num_envs
        self.device = wp.get_device(cfg.warp_device or None)
        with wp.ScopedDevice(self.device):
            # friction, masses and gravity get one row per world, so the out-of-distribution
            # scales are written in place (a captured CUDA graph keeps the arrays it was given)
            self.wm = mjw.put_model(self.model, batch_sizes={"geom_friction": n, "body_mass": n, "body_inertia": n})
            self.wm.opt.gravity = wp.array(np.tile(self.model.opt.gravity, (n, 1)), dtype=wp.vec3)
            self.wd = mjw.make_data(self.model, nworld=n)
            self._reset_mask = wp.zeros(n, dtype=bool)
        self._dev = {f: wp.to_torch(getattr(self.wd, f)) for f in _FIELDS}
        mirror = {f: torch.zeros(t.shape, dtype=torch.float64) for f, t in self._dev.items()}
        self.qpos, self.qvel, self.ctrl, self._time = mirror["qpos"], mirror["qvel"], mirror["ctrl"], mirror["time"]
        self._xpos, self._xquat, self._cvel, self._com = mirror["xpos"], mirror["xquat"], mirror["cvel"], mirror["subtree_com"]
        self._contact, self._act_force, self._act_vel = mirror["sensordata"], mirror["actuator_force"], mirror["actuator_velocity"]
        self._mirror = mirror
        self._base_friction = self.model.geom_friction.copy()
        self._base_mass = self.model.body_mass.copy()
        self._base_inertia = self.model.body_inertia.copy()
        self._graph = None
        self.reset(torch.arange(n), torch.as_tensor(self.model.qpos0).expand(n, -1), torch.zeros(n, self.model.nv))

    # --- device <-> mirrors ----------------------------------------------------------------------
    def _push(self) -> None:
        for f in _PUSHED:
            self._dev[f].copy_(self._mirror[f])

    def _pull(self) -> None:
        for f, t in self._dev.items():
            self._mirror[f].copy_(t)

    def _advance(self) -> None:
        """substeps physics steps, the first with the controls just written; then step1 at the
        new state (kinematics, velocities and sensors current)."""
        for _ in range(self.cfg.substeps):
            self.mjw.step2(self.wm, self.wd)
            self.mjw.step1(self.wm, self.wd)

    def _run_advance(self) -> None:
        if not self.device.is_cuda:
            self._advance()
            return
        if self._graph is None:
            self._advance()  # compiles and loads every kernel, which a capture cannot do
            with self.wp.ScopedCapture(device=self.device) as capture:
                self._advance()
            self._graph = capture.graph
        else:
            self.wp.capture_launch(self._graph)

    # --- the backend interface ---------------------------------------------------------------------
    def step(self, pd_targets: Tensor) -> None:
        """One control step: hold the PD targets (N, nu) for `substeps` physics steps. Simulations
        whose state becomes non-finite are flagged in ``self.failed``; reset them."""
        self.ctrl.copy_(pd_targets)
        self._push()
        with self.wp.ScopedDevice(self.device):
            self._run_advance()
        self._pull()
        self.failed |= ~torch.isfinite(self.qvel).all(dim=1) | ~torch.isfinite(self.qpos).all(dim=1)

    def reset(self, ids: Tensor, qpos: Tensor, qvel: Tensor) -> None:
        """Set the state of simulations ids (K,) to qpos (K, nq), qvel (K, nv) (the rest of their
        data to the model's defaults: zero controls, no warm start) and recompute kinematics and
        sensors."""
        if ids.numel() == 0:
            return
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[ids.cpu().numpy()] = True
        self._reset_mask.assign(mask)
        with self.wp.ScopedDevice(self.device):
            self.mjw.reset_data(self.wm, self.wd, reset=self._reset_mask)
            self.qpos[ids] = qpos.to(torch.float64)
            self.qvel[ids] = qvel.to(torch.float64)
            self.ctrl[ids] = 0.0
            self._time[ids] = self.control_dt  # as BatchSim
            self._push()
            self.mjw.step1(self.wm, self.wd)  # a function of the state: the other worlds keep theirs
        self._pull()
        self.failed[ids] = False

    def set_friction_scale(self, scale: Tensor) -> None:
        self.wm.geom_friction.assign(self._base_friction[None] * scale.cpu().numpy()[:, None, None])

    def set_gravity_scale(self, scale: Tensor) -> None:
        self.wm.opt.gravity.assign(self.model.opt.gravity[None] * scale.cpu().numpy()[:, None])

    def set_mass_scale(self, scale: Tensor) -> None:
        s = scale.cpu().numpy()
        self.wm.body_mass.assign(self._base_mass[None] * s[:, None])
        self.wm.body_inertia.assign(self._base_inertia[None] * s[:, None, None])
        with self.wp.ScopedDevice(self.device):
            self.mjw.set_const(self.wm, self.wd)  # subtree masses and the other derived constants

    def data_of(self, i: int) -> mujoco.MjData:
        data = mujoco.MjData(self.model)
        self.mjw.get_data_into(data, self.model, self.wd, world_id=i)
        return data

    def model_of(self, i: int) -> mujoco.MjModel:
        m = copy.deepcopy(self.model)
        m.geom_friction[:] = self.wm.geom_friction.numpy()[i]
        m.body_mass[:] = self.wm.body_mass.numpy()[i]
        m.body_inertia[:] = self.wm.body_inertia.numpy()[i]
        m.opt.gravity[:] = self.wm.opt.gravity.numpy()[i]
        mujoco.mj_setConst(m, mujoco.MjData(m))
        return m

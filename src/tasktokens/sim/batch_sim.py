"""Many copies of one character stepped together by ``mujoco.batch.Batch`` (C threads, GIL
released), exposed as live torch tensors without per-environment Python loops.

Physics at 120 Hz; one :meth:`BatchSim.step` is one control step of ``substeps`` physics steps
(30 Hz by default). Per-environment friction, gravity and body-mass scales are model fields made
per-simulation with ``Batch.expand``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mujoco
import mujoco.batch
import numpy as np
import torch

from tasktokens.character import Character
from tasktokens.motion.kinematics import velocity_at_body_origin

Tensor = torch.Tensor


@dataclass
class SimConfig:
    """Batched physics settings."""

    num_envs: int = 256
    """Simulations stepped together."""
    num_threads: int = 2
    """C threads of mujoco.batch (0: all CPUs)."""
    physics_hz: float = 120.0
    """Physics rate (paper: 120 Hz)."""
    substeps: int = 4
    """Physics steps per control step (120 Hz / 4 = 30 Hz control)."""
    max_ball_target: float = 2.83
    """Largest rotation angle (rad) of a ball joint's PD target; longer target rotation vectors
    are shortened. A ball joint's actuator length wraps at pi, so targets near or past pi make the
    PD force flip sign and the simulation unstable (measured: docs/character.md)."""


def _live(array: np.ndarray) -> Tensor:
    """A torch view of a batch array that MuJoCo updates in place (no copy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # output arrays are read-only views
        return torch.from_numpy(array)


class BatchSim:
    """num_envs simulations of a character; tensors are float64 views of MuJoCo's buffers."""

    def __init__(self, character: Character, cfg: SimConfig, model: mujoco.MjModel | None = None):
        if cfg.num_envs < 1 or cfg.substeps < 1 or cfg.physics_hz <= 0:
            raise ValueError(f"SimConfig needs num_envs >= 1, substeps >= 1, physics_hz > 0; got {cfg}")
        self.character, self.cfg = character, cfg
        self.model = model if model is not None else character.model()
        self.model.opt.timestep = 1.0 / cfg.physics_hz
        self.model.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
        self.batch = mujoco.batch.Batch(self.model, cfg.num_envs, nthread=cfg.num_threads, persistent=True)
        self.num_envs, self.nb = cfg.num_envs, character.num_bodies
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
        self._root_of = torch.as_tensor(self.model.body_rootid[1 : 1 + self.nb], dtype=torch.long)
        self._contact_adr = self._floor_contact_sensor_columns()
        offset, scale = character.action_offset_scale
        self.action_offset = torch.as_tensor(offset)
        self.action_scale = torch.as_tensor(scale)
        self._ball_cols = self._ball_actuator_columns()
        self._time = _live(self.batch.bind("time"))
        self._base_friction = self.model.geom_friction.copy()
        self._base_mass = self.model.body_mass.copy()
        self._base_inertia = self.model.body_inertia.copy()
        self.failed = torch.zeros(cfg.num_envs, dtype=torch.bool)
        self.batch.forward()

    def _ball_actuator_columns(self) -> Tensor:
        """(K, 3) actuator indices of the x, y, z components of each ball joint."""
        m, groups = self.model, {}
        for a in range(m.nu):
            j = int(m.actuator_trnid[a, 0])
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                groups.setdefault(j, []).append(a)
        return torch.as_tensor(list(groups.values()), dtype=torch.long).reshape(-1, 3)

    @property
    def control_dt(self) -> float:
        return self.cfg.substeps / self.cfg.physics_hz

    def _floor_contact_sensor_columns(self) -> Tensor:
        """sensordata column of each body's "<body>_floor" contact sensor."""
        cols = []
        for name in self.character.body_names:
            sid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SENSOR, f"{name}_floor")
            if sid < 0:
                raise ValueError(f"{self.character.mjcf}: no contact sensor '{name}_floor'; regenerate the MJCF")
            cols.append(int(self.model.sensor_adr[sid]))
        return torch.as_tensor(cols)

    # --- state -------------------------------------------------------------------------------
    @property
    def body_pos(self) -> Tensor:
        """(N, B, 3) world positions of the character bodies."""
        return self._xpos[:, 1 : 1 + self.nb]

    @property
    def body_quat(self) -> Tensor:
        """(N, B, 4) world orientations, (w, x, y, z)."""
        return self._xquat[:, 1 : 1 + self.nb]

    def body_velocities(self) -> tuple[Tensor, Tensor]:
        """(N, B, 3) world linear and angular velocities at the body origins."""
        cvel = self._cvel[:, 1 : 1 + self.nb]
        com = self._com[:, self._root_of]
        return velocity_at_body_origin(cvel, self.body_pos, com)

    def actuator_power(self) -> Tensor:
        """(N,) mechanical power of the actuators, sum |force * velocity| (W)."""
        return (self._act_force * self._act_vel).abs().sum(dim=-1)

    def ground_contacts(self) -> Tensor:
        """(N, B) bool: body touches the floor (contacts of the last physics substep)."""
        return self._contact[:, self._contact_adr] > 0

    # --- control -----------------------------------------------------------------------------
    def pd_targets(self, actions: Tensor) -> Tensor:
        """PD targets of actions (N, nu) in [-1, 1] (clipped): offset + scale * a."""
        return self.clamp_targets(self.action_offset + self.action_scale * actions.to(torch.float64).clamp(-1.0, 1.0))

    def clamp_targets(self, targets: Tensor) -> Tensor:
        """Shorten ball-joint target rotation vectors to at most cfg.max_ball_target rad."""
        rv = targets[:, self._ball_cols]  # (N, K, 3)
        norm = rv.norm(dim=-1, keepdim=True)
        out = targets.clone()
        out[:, self._ball_cols] = rv * (self.cfg.max_ball_target / norm.clamp_min(1e-9)).clamp(max=1.0)
        return out

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
        """Scale every geom's friction (floor and character) per environment, (N,).

        MuJoCo combines two geoms' frictions by their maximum, so scaling only the floor would
        be hidden by the feet's friction."""
        fr = self.batch.expand("geom_friction")
        fr[:] = self._base_friction[None] * scale.cpu().numpy()[:, None, None]

    def set_gravity_scale(self, scale: Tensor) -> None:
        """Gravity = scale * (0, 0, -9.81) per environment, (N,)."""
        g = self.batch.expand("opt.gravity")
        g[:] = self.model.opt.gravity[None] * scale.cpu().numpy()[:, None]

    def set_mass_scale(self, scale: Tensor) -> None:
        """Scale every body's mass and inertia per environment, (N,)."""
        s = scale.cpu().numpy()
        self.batch.expand("body_mass")[:] = self._base_mass[None] * s[:, None]
        self.batch.expand("body_inertia")[:] = self._base_inertia[None] * s[:, None, None]
        self.batch.set_const()

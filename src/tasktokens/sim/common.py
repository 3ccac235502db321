"""What every simulator backend shares: the configuration, the torch-level state accessors, PD
targets, and the choice of backend (:func:`make_sim`).

A backend (``BatchSim``: ``mujoco.batch`` on CPU threads; ``WarpSim``: MuJoCo Warp, for a GPU)
fills the float64 CPU tensors named in :class:`SimBase` and implements ``step``, ``reset``, the
per-environment physics scales and ``data_of``. Environments and tasks use only this interface,
so they run unchanged on either backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import mujoco
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
    backend: Literal["mujoco", "warp"] = "mujoco"
    """Physics engine: "mujoco" (mujoco.batch, CPU threads, float64) or "warp" (MuJoCo Warp,
    float32, for a GPU; needs the ``warp`` extra; on a CPU it works but is far slower)."""
    warp_device: str = ""
    """Warp device of the "warp" backend, e.g. "cuda:0" or "cpu" ("": Warp's default, the first
    GPU if there is one)."""


def prepare_model(model: mujoco.MjModel, cfg: SimConfig) -> mujoco.MjModel:
    """Set the physics rate and integrator every backend uses (in place; returns the model)."""
    if cfg.num_envs < 1 or cfg.substeps < 1 or cfg.physics_hz <= 0:
        raise ValueError(f"SimConfig needs num_envs >= 1, substeps >= 1, physics_hz > 0; got {cfg}")
    model.opt.timestep = 1.0 / cfg.physics_hz
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    return model


class SimBase:
    """num_envs simulations of a character. Subclasses set, as float64 CPU tensors: ``qpos`` (N,
    nq), ``qvel`` (N, nv), ``ctrl`` (N, nu) and ``_xpos``, ``_xquat`` (N, nbody, 3 | 4), ``_cvel``
    (N, nbody, 6), ``_com`` (N, nbody, 3: subtree centres of mass), ``_contact`` (N, nsensordata),
    ``_act_force``, ``_act_vel`` (N, nu), and ``failed`` (N,) bool. Writes to ``qpos``, ``qvel``
    and ``ctrl`` are seen by the next :meth:`step`."""

    def __init__(self, character: Character, cfg: SimConfig, model: mujoco.MjModel | None):
        self.character, self.cfg = character, cfg
        self.model = prepare_model(model if model is not None else character.model(), cfg)
        self.num_envs, self.nb = cfg.num_envs, character.num_bodies
        self._root_of = torch.as_tensor(self.model.body_rootid[1 : 1 + self.nb], dtype=torch.long)
        self._contact_adr = self._floor_contact_sensor_columns()
        offset, scale = character.action_offset_scale
        self.action_offset = torch.as_tensor(offset)
        self.action_scale = torch.as_tensor(scale)
        self._ball_cols = self._ball_actuator_columns()
        self.failed = torch.zeros(cfg.num_envs, dtype=torch.bool)

    def _ball_actuator_columns(self) -> Tensor:
        """(K, 3) actuator indices of the x, y, z components of each ball joint."""
        m, groups = self.model, {}
        for a in range(m.nu):
            j = int(m.actuator_trnid[a, 0])
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                groups.setdefault(j, []).append(a)
        return torch.as_tensor(list(groups.values()), dtype=torch.long).reshape(-1, 3)

    def _floor_contact_sensor_columns(self) -> Tensor:
        """sensordata column of each body's "<body>_floor" contact sensor."""
        cols = []
        for name in self.character.body_names:
            sid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SENSOR, f"{name}_floor")
            if sid < 0:
                raise ValueError(f"{self.character.mjcf}: no contact sensor '{name}_floor'; regenerate the MJCF")
            cols.append(int(self.model.sensor_adr[sid]))
        return torch.as_tensor(cols)

    @property
    def control_dt(self) -> float:
        return self.cfg.substeps / self.cfg.physics_hz

    # --- state -------------------------------------------------------------------------------
    @property
    def body_pos(self) -> Tensor:
        """(N, B, 3) world positions of the character bodies."""
        return self._xpos[:, 1 : 1 + self.nb]

    @property
    def body_quat(self) -> Tensor:
        """(N, B, 4) world orientations, (w, x, y, z)."""
        return self._xquat[:, 1 : 1 + self.nb]

    @property
    def sensordata(self) -> Tensor:
        """(N, nsensordata) the model's sensors at the current state (the scene's contact sensors)."""
        return self._contact

    def body_velocities(self) -> tuple[Tensor, Tensor]:
        """(N, B, 3) world linear and angular velocities at the body origins."""
        cvel = self._cvel[:, 1 : 1 + self.nb]
        com = self._com[:, self._root_of]
        return velocity_at_body_origin(cvel, self.body_pos, com)

    def actuator_power(self) -> Tensor:
        """(N,) mechanical power of the actuators, sum |force * velocity| (W)."""
        return (self._act_force * self._act_vel).abs().sum(dim=-1)

    def ground_contacts(self) -> Tensor:
        """(N, B) bool: body touches the floor."""
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

    # --- backend -----------------------------------------------------------------------------
    def step(self, pd_targets: Tensor) -> None:
        """One control step: hold the PD targets (N, nu) for ``substeps`` physics steps; afterwards
        positions, velocities and sensors describe the new state. Simulations that fail are
        flagged in ``self.failed``; reset them."""
        raise NotImplementedError

    def reset(self, ids: Tensor, qpos: Tensor, qvel: Tensor) -> None:
        """Set the state of simulations ids (K,) to qpos (K, nq), qvel (K, nv) and recompute
        kinematics and sensors; clears their failure flags."""
        raise NotImplementedError

    def set_friction_scale(self, scale: Tensor) -> None:
        """Scale every geom's friction (floor and character) per environment, (N,).

        MuJoCo combines two geoms' frictions by their maximum, so scaling only the floor would
        be hidden by the feet's friction."""
        raise NotImplementedError

    def set_gravity_scale(self, scale: Tensor) -> None:
        """Gravity = scale * (0, 0, -9.81) per environment, (N,)."""
        raise NotImplementedError

    def set_mass_scale(self, scale: Tensor) -> None:
        """Scale every body's mass and inertia per environment, (N,)."""
        raise NotImplementedError

    def data_of(self, i: int) -> mujoco.MjData:
        """A copy of simulation i as an MjData of ``self.model`` (for rendering and inspection)."""
        raise NotImplementedError

    def model_of(self, i: int) -> mujoco.MjModel:
        """A copy of the model of simulation i, with its own friction, gravity and masses."""
        raise NotImplementedError


def make_sim(character: Character, cfg: SimConfig, model: mujoco.MjModel | None = None) -> SimBase:
    """The simulator of cfg.backend."""
    if cfg.backend == "mujoco":
        from tasktokens.sim.batch_sim import BatchSim

        return BatchSim(character, cfg, model)
    if cfg.backend == "warp":
        from tasktokens.sim.warp_sim import WarpSim

        return WarpSim(character, cfg, model)
    raise ValueError(f"SimConfig.backend must be 'mujoco' or 'warp', got {cfg.backend!r}")

"""Characters: an MJCF model plus the facts the rest of the code reads instead of hard-coding
indices (body names, conditionable bodies, DoF layout, action mapping).

Quaternions are (w, x, y, z) everywhere (see tasktokens.rotations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import mujoco
import numpy as np
import torch

from tasktokens import rotations

ASSETS = Path(__file__).parent / "assets"


@dataclass(frozen=True)
class Character:
    """A simulated humanoid. Everything index-like is derived from the compiled MJCF."""

    name: str
    """Registry name, stored in checkpoints so a checkpoint for another character is refused."""
    mjcf: Path
    """MJCF file of the character on a ground plane."""
    conditionable_bodies: tuple[str, ...]
    """Bodies that goals can constrain (MaskedMimic: pelvis, head, hands, feet)."""
    contact_bodies: tuple[str, ...]
    """Bodies allowed to touch the ground; a contact of any other body is a fall."""
    key_bodies: tuple[str, ...] = ()
    """Extremities used by tasks (hands, feet)."""
    deepmimic_joints: tuple[str, ...] = ()
    """Joint order of DeepMimic motion frames (after the root), when clips in that format exist."""
    ball_action_scale: float = math.pi
    """PD target of a ball-joint component = scale * action (paper: pi for 3-DoF joints)."""
    metadata: dict = field(default_factory=dict)
    """Free-form facts for model cards (source, licence)."""

    def model(self) -> mujoco.MjModel:
        """A freshly compiled model (callers may modify it)."""
        return mujoco.MjModel.from_xml_path(str(self.mjcf))

    @cached_property
    def _model(self) -> mujoco.MjModel:
        return self.model()

    @cached_property
    def body_names(self) -> tuple[str, ...]:
        """Character bodies in MuJoCo order (world excluded); index b is MuJoCo body id b + 1."""
        m = self._model
        return tuple(m.body(i).name for i in range(1, m.nbody))

    @property
    def num_bodies(self) -> int:
        return len(self.body_names)

    @property
    def num_dof(self) -> int:
        """Actuated degrees of freedom (= action size)."""
        return self._model.nu

    def body_index(self, name: str) -> int:
        """Index of a body in body_names (0 = root)."""
        return self.body_names.index(name)

    def body_indices(self, names) -> list[int]:
        return [self.body_index(n) for n in names]

    @cached_property
    def action_offset_scale(self) -> tuple[np.ndarray, np.ndarray]:
        """PD target = offset + scale * action for action in [-1, 1], per actuator.

        Ball-joint components: offset 0, scale ball_action_scale. Hinges: the joint range's
        middle and half-width, so [-1, 1] covers the whole range.
        """
        m = self._model
        offset, scale = np.zeros(m.nu), np.zeros(m.nu)
        for a in range(m.nu):
            j = m.actuator_trnid[a, 0]
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                scale[a] = self.ball_action_scale
            else:
                lo, hi = m.jnt_range[j]
                offset[a], scale[a] = 0.5 * (lo + hi), 0.5 * (hi - lo)
        return offset, scale

    @cached_property
    def _actuator_layout(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Index tensors: ball joints' qpos addresses (K,) and their x/y/z actuators (K, 3);
        hinges' qpos addresses (H,) and actuators (H,)."""
        m = self._model
        ball: dict[int, list[int]] = {}
        hinge_q, hinge_a = [], []
        for a in range(m.nu):
            j = int(m.actuator_trnid[a, 0])
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                ball.setdefault(int(m.jnt_qposadr[j]), [0, 0, 0])[int(np.argmax(m.actuator_gear[a, :3]))] = a
            else:
                hinge_q.append(int(m.jnt_qposadr[j]))
                hinge_a.append(a)
        t = torch.as_tensor
        return t(list(ball)), t(list(ball.values())), t(hinge_q), t(hinge_a)

    def pd_targets_from_qpos(self, qpos: torch.Tensor) -> torch.Tensor:
        """PD targets (N, nu) that hold the joint pose of qpos (N, nq): the rotation vector of
        each ball joint (what a position actuator with gear e_k reads), the angle of each hinge."""
        ball_q, ball_a, hinge_q, hinge_a = self._actuator_layout
        out = qpos.new_zeros(qpos.shape[0], self.num_dof)
        quats = qpos[:, ball_q[:, None] + torch.arange(4)]  # (N, K, 4)
        out[:, ball_a] = rotations.quat_to_rotvec(quats)
        out[:, hinge_a] = qpos[:, hinge_q]
        return out

    def fingerprint(self) -> dict:
        """What a checkpoint records to check it belongs to this character."""
        m = self._model
        return {"character": self.name, "nq": int(m.nq), "nu": int(m.nu), "bodies": list(self.body_names)}


HUMANOID3D = Character(
    name="humanoid3d",
    mjcf=ASSETS / "humanoid3d.xml",
    conditionable_bodies=("pelvis", "head", "right_hand", "left_hand", "right_foot", "left_foot"),
    contact_bodies=("right_foot", "left_foot"),
    key_bodies=("right_hand", "left_hand", "right_foot", "left_foot"),
    deepmimic_joints=(
        "chest", "neck", "right_hip", "right_knee", "right_ankle", "right_shoulder", "right_elbow",
        "left_hip", "left_knee", "left_ankle", "left_shoulder", "left_elbow",
    ),
    metadata={"source": "DeepMimic humanoid3d (MIT)", "mass_kg": 45.0},
)

CHARACTERS: dict[str, Character] = {HUMANOID3D.name: HUMANOID3D}


def get_character(name: str) -> Character:
    """The registered character of that name, or a clear error listing the known ones."""
    try:
        return CHARACTERS[name]
    except KeyError:
        raise KeyError(f"unknown character {name!r}; known: {sorted(CHARACTERS)}") from None

"""Retargeting a source skeleton's motion to the character by inverse kinematics (mink, daqp).

Input: for each of the character's bodies, the world pose of its mapped source joint at every
frame, already z-up and scaled to the character (``bvh.py``), and the same in the source's rest
pose. Frames: world z-up, metres; rotations are (..., 3, 3) matrices that map a joint's local
frame to the world (v_world = R v_local); the qpos quaternions are MuJoCo's (w, x, y, z).

Calibration, once per file: the character is put in the source's rest pose (`rest_qpos`: facing
the same way, upper arms and thighs swung along the source's bones, T-pose or arms down alike,
hip centre and ankle height on the source's). Stored per body: its rotation relative to its
source joint (in the joint's frame), and the difference between its bone (from its parent body's
origin) and the source's bone between the mapped joints, in the parent joint's frame (the
pelvis: its offset from the source root, in the root's frame). A frame's target is then, down
the tree, the parent's target plus the source's bone plus that correction turned with the
parent: the rest pose maps exactly onto the character's, every target bone has the character's
length (targets stay reachable), and joint-centre differences (CMU's Hips sit 10 cm above its hip
joints, its shoulders 5 cm wider, its forearms 7 cm shorter) neither pull the pelvis nor the
elbows off; what the source's extra joints do between two mapped ones (a clavicle's shrug) is kept.

Per frame: one mink FrameTask per body (position and orientation; weights in BODY_COSTS: pelvis
and feet highest, hands' orientation low since humanoid3d has no wrist), a light posture task
towards the previous frame, joint ranges as limits; warm-started from the previous frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mink
import mujoco
import numpy as np

from tasktokens.character import Character

BODY_COSTS: dict[str, tuple[float, float]] = {
    "pelvis": (10.0, 5.0),
    "torso": (2.0, 5.0),
    "head": (2.0, 2.0),
    "right_upper_arm": (1.0, 0.1),
    "right_lower_arm": (3.0, 0.1),
    "right_hand": (5.0, 0.2),
    "left_upper_arm": (1.0, 0.1),
    "left_lower_arm": (3.0, 0.1),
    "left_hand": (5.0, 0.2),
    "right_thigh": (1.0, 1.0),
    "right_shin": (3.0, 1.0),
    "right_foot": (10.0, 3.0),
    "left_thigh": (1.0, 1.0),
    "left_shin": (3.0, 1.0),
    "left_foot": (10.0, 3.0),
}
"""(position cost 1/m, orientation cost 1/rad) of each body's frame task. The arms' orientations
weigh little: humanoid3d's elbow is a hinge and it has no wrist, so neither a source forearm's
twist nor a wrist's bend can be matched, and pulling at them moves the elbows (CMU sample: position
error mean 0.82 cm, max 2.5 cm, orientation mean 5.6 deg at these costs; mean 0.98 cm, max 3.8 cm,
3.9 deg with the arms' orientation costs at 0.5-1)."""
LIMBS = (
    ("right_upper_arm", "right_lower_arm"),
    ("left_upper_arm", "left_lower_arm"),
    ("right_thigh", "right_shin"),
    ("left_thigh", "left_shin"),
)
"""(body, child): the rest pose swings each body so that its bone points along the source's."""
LEGS = (("right_thigh", "right_foot"), ("left_thigh", "left_foot"))


@dataclass
class RetargetSettings:
    first_iterations: int = 300
    """IK steps at most for the first frame (from the rest pose)."""
    iterations: int = 40
    """IK steps at most for each later frame (warm-started from the previous one)."""
    tolerance: float = 1e-6
    """A frame is done when a step moves no coordinate more than this (rad, m)."""
    posture_cost: float = 1e-3
    """Pull towards the previous frame's joint angles: picks among equally good poses, smooths."""
    damping: float = 1e-6
    """Levenberg-Marquardt damping of mink's least-squares step."""


def leg_length(model: mujoco.MjModel) -> float:
    """Mean length (m) of the character's legs, hip to ankle, from its bone offsets."""
    lengths = []
    for thigh, foot in LEGS:
        b, top, total = model.body(foot).id, model.body(thigh).id, 0.0
        while b != top:
            total += float(np.linalg.norm(model.body_pos[b]))
            b = int(model.body_parentid[b])
        lengths.append(total)
    return float(np.mean(lengths))


def _swing_quat(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(w, x, y, z) of the shortest rotation taking unit vector u onto unit vector v."""
    w, axis = 1.0 + float(u @ v), np.cross(u, v)
    if w < 1e-8:  # opposite: a half turn about any axis perpendicular to u
        axis, w = np.cross(u, [1.0, 0.0, 0.0] if abs(u[0]) < 0.9 else [0.0, 1.0, 0.0]), 0.0
    q = np.concatenate([[w], axis])
    return q / np.linalg.norm(q)


def _pose(model: mujoco.MjModel, data: mujoco.MjData, qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World body positions (B, 3) and rotations (B, 3, 3) of a qpos (bodies 1..nbody-1)."""
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    return data.xpos[1:].copy(), data.xmat[1:].reshape(-1, 3, 3).copy()


def rest_qpos(character: Character, rest_pos: np.ndarray) -> np.ndarray:
    """The character in the source's rest pose, given by the mapped joints' positions (B, 3) (B =
    the character's bodies, in its order): facing
    the source's forward (hips' left-to-right axis x up), each upper arm and thigh swung along the
    source's bone to the elbow or knee, trunk, elbows, knees and ankles at zero; placed with its hip
    centre over the source's and its ankles at the source's mean ankle height."""
    model, names = character._model, character.body_names
    idx = {n: i for i, n in enumerate(names)}
    left = rest_pos[idx["left_thigh"]] - rest_pos[idx["right_thigh"]]
    forward = np.cross(left, [0.0, 0.0, 1.0])
    yaw = float(np.arctan2(forward[1], forward[0]))
    qpos = np.zeros(model.nq)
    qpos[3:7] = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]
    turn = np.array([[np.cos(yaw), -np.sin(yaw), 0.0], [np.sin(yaw), np.cos(yaw), 0.0], [0.0, 0.0, 1.0]])
    for body, child in LIMBS:
        bone = rest_pos[idx[child]] - rest_pos[idx[body]]
        u = model.body_pos[model.body(child).id]
        adr = model.jnt_qposadr[model.body_jntadr[model.body(body).id]]
        qpos[adr : adr + 4] = _swing_quat(u / np.linalg.norm(u), turn.T @ bone / np.linalg.norm(bone))
    pos, _ = _pose(model, mujoco.MjData(model), qpos)
    hips = [idx["right_thigh"], idx["left_thigh"]]
    ankles = [idx["right_foot"], idx["left_foot"]]
    qpos[:2] += rest_pos[hips, :2].mean(0) - pos[hips, :2].mean(0)
    qpos[2] += rest_pos[ankles, 2].mean() - pos[ankles, 2].mean()
    return qpos


def parent_bodies(character: Character) -> np.ndarray:
    """(B,) index of each body's parent body (the root: itself); MuJoCo numbers parents first."""
    return np.maximum(character._model.body_parentid[1:] - 1, 0)


def calibrate(character: Character, rest_pos: np.ndarray, rest_rot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the rest pose, per body: the character's rotation relative to its source joint, in the
    joint's frame (B, 3, 3); the bone correction in the parent joint's frame (B, 3) (the root: its
    offset in its own frame); and the rest qpos."""
    qpos = rest_qpos(character, rest_pos)
    pos, rot = _pose(character._model, mujoco.MjData(character._model), qpos)
    parent = parent_bodies(character)
    bone_gap = (pos - pos[parent]) - (rest_pos - rest_pos[parent])
    bone_gap[0] = pos[0] - rest_pos[0]
    inv = np.swapaxes(rest_rot, -1, -2)
    return inv @ rot, np.einsum("bij,bj->bi", inv[parent], bone_gap), qpos


def targets(
    character: Character, pos: np.ndarray, rot: np.ndarray, rot_offset: np.ndarray, bone_gap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bodies' target positions (T, B, 3) and rotations (T, B, 3, 3) from the source joints'
    world poses (T, B, 3) and (T, B, 3, 3) and the calibration, down the tree (parents first)."""
    parent = parent_bodies(character)
    turned = np.einsum("tbij,bj->tbi", rot[:, parent], bone_gap)
    out = np.empty_like(pos)
    out[:, 0] = pos[:, 0] + turned[:, 0]
    for b in range(1, pos.shape[1]):
        out[:, b] = out[:, parent[b]] + (pos[:, b] - pos[:, parent[b]]) + turned[:, b]
    return out, rot @ rot_offset


class FrameIK:
    """Per-frame IK of all bodies' poses on the character's model."""

    def __init__(self, character: Character, settings: RetargetSettings):
        self.settings, self.model = settings, character.model()
        self.names = character.body_names
        self.config = mink.Configuration(self.model)
        self.tasks = [
            mink.FrameTask(n, "body", position_cost=BODY_COSTS[n][0], orientation_cost=BODY_COSTS[n][1]) for n in self.names
        ]
        self.posture = mink.PostureTask(self.model, cost=settings.posture_cost)
        self.limits = [mink.ConfigurationLimit(self.model)]

    def solve(self, q0: np.ndarray, pos: np.ndarray, rot: np.ndarray, iterations: int) -> np.ndarray:
        """The qpos that best puts every body on its target pose (B, 3), (B, 3, 3), from q0."""
        self.config.update(q0)
        self.posture.set_target(q0)
        for task, p, r in zip(self.tasks, pos, rot, strict=True):
            task.set_target(mink.SE3.from_rotation_and_translation(mink.SO3.from_matrix(r), p))
        for _ in range(iterations):
            dq = mink.solve_ik(
                self.config, [*self.tasks, self.posture], 1.0, "daqp", damping=self.settings.damping, limits=self.limits
            )
            self.config.integrate_inplace(dq, 1.0)
            if np.max(np.abs(dq)) < self.settings.tolerance:
                break
        return self.config.q.copy()


def _start(q_rest: np.ndarray, pelvis_pos: np.ndarray, pelvis_rot: np.ndarray) -> np.ndarray:
    """The rest pose moved and turned onto the first frame's pelvis target."""
    q = q_rest.copy()
    q[:3] = pelvis_pos
    mujoco.mju_mat2Quat(q[3:7], pelvis_rot.reshape(-1))
    return q


def _errors(character: Character, qpos: np.ndarray, pos: np.ndarray, rot: np.ndarray) -> dict:
    """IK residuals: position (cm) and orientation (deg) mean and max over frames, worst body."""
    model = character._model
    data = mujoco.MjData(model)
    dp, da = np.zeros(pos.shape[:2]), np.zeros(pos.shape[:2])
    for t in range(len(qpos)):
        p, r = _pose(model, data, qpos[t])
        dp[t] = np.linalg.norm(p - pos[t], axis=-1)
        cos = (np.trace(np.swapaxes(r, -1, -2) @ rot[t], axis1=-2, axis2=-1) - 1.0) / 2.0
        da[t] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    names = character.body_names
    return {
        "ik_position_error_cm": {
            "mean": round(float(dp.mean() * 100), 2),
            "max": round(float(dp.max() * 100), 2),
            "worst_body": names[int(dp.max(0).argmax())],
        },
        "ik_orientation_error_deg": {
            "mean": round(float(da.mean()), 2),
            "max": round(float(da.max()), 2),
            "worst_body": names[int(da.max(0).argmax())],
        },
    }


def retarget(
    character: Character,
    pos: np.ndarray,
    rot: np.ndarray,
    rest_pos: np.ndarray,
    rest_rot: np.ndarray,
    settings: RetargetSettings | None = None,
) -> tuple[np.ndarray, dict]:
    """(T, nq) qpos of the character following the source joints' world poses (T, B, 3) and
    (T, B, 3, 3) (z-up, scaled; B in the character's body order), calibrated on the rest pose
    (B, 3) and (B, 3, 3); and a report of the IK residuals and time."""
    settings = settings or RetargetSettings()
    rot_offset, offset, q_rest = calibrate(character, rest_pos, rest_rot)
    tgt_pos, tgt_rot = targets(character, pos, rot, rot_offset, offset)
    ik, pelvis = FrameIK(character, settings), character.body_index("pelvis")
    start = time.perf_counter()
    qpos = np.zeros((len(pos), character._model.nq))
    q = _start(q_rest, tgt_pos[0, pelvis], tgt_rot[0, pelvis])
    for t in range(len(pos)):
        q = qpos[t] = ik.solve(q, tgt_pos[t], tgt_rot[t], settings.first_iterations if t == 0 else settings.iterations)
    report = _errors(character, qpos, tgt_pos, tgt_rot)
    return qpos, report | {"ik_seconds": round(time.perf_counter() - start, 3)}

"""Inverse kinematics of a standing reach (mink, on the character's own MJCF): one hand to a point
while both feet stay planted and the pose stays balanceable and anatomically plausible.

Tasks: the hand position; the feet at their start pose (high weight); the centre of mass (CoM)
xy weakly pulled to its start; the start posture (low weight, higher on the head); the free upper
arm hanging as it started. Hard bounds: joint ranges (tightened for the IK, see IK_*), the CoM xy
inside the feet's support polygon, the torso neither leaning far back nor turning round, no body
but the feet below the floor, the arms not through the trunk or legs, and a speed cap from frame
to frame. The pelvis is free, so low targets bend the knees and hips and far ones lean.
"""

from __future__ import annotations

from dataclasses import dataclass

import mink
import mujoco
import numpy as np

from tasktokens.character import Character

FEET = ("right_foot", "left_foot")
IK_ANGLE_LIMITS = {
    "chest": 0.9, "neck": 0.6, "right_shoulder": 2.6, "left_shoulder": 2.6,
    "right_hip": 1.9, "left_hip": 1.9, "right_ankle": 0.75, "left_ankle": 0.75,
}
"""Largest rotation (rad) of each ball joint, about the 99th percentile of the MIT clips: the
MJCF leaves ball joints unlimited (the simulator does not need bounds), an IK without finds
contorted poses."""
IK_TWIST_LIMITS = {
    "chest": (-0.6, 0.6), "right_hip": (-0.75, 0.35), "left_hip": (-0.35, 0.75),
    "right_ankle": (-0.5, 0.5), "left_ankle": (-0.5, 0.5),
}
"""Twist (rad) about each joint's local z (the limb's long axis; the spine for the chest): hips
and ankles from the MIT clips' 1st-99th percentiles, the spine from human range (about 35 deg).
The angle bound cannot tell twist from bending, and with planted feet the pelvis turns only
through the hips and ankles: without these the IK reaches far behind the body."""
IK_KNEE_RANGE = (-2.4, 0.0)
"""Knee flexion; the MJCF allows -3.14, deeper than any MIT clip's squat."""
START_SLACK = 0.05
"""Room (rad) left past a start pose that is already beyond one of the bounds above."""
SELF_COLLISION = (
    ("right_hand", "right_lower_arm", "right_upper_arm", "left_hand", "left_lower_arm"),
    ("pelvis", "torso", "head", "right_thigh", "right_shin", "right_foot", "left_thigh", "left_shin", "left_foot"),
)
"""Geom groups kept apart (mink skips parent-child pairs): the arms do not pass through the
trunk or the legs on the way to a target."""
POSTURE_SCALE = {"neck": 10.0, "left_elbow": 10.0, "right_shoulder": 0.5, "right_elbow": 0.5}
"""Posture cost multipliers (others 1): the head stays with the torso, the free arm's elbow keeps
its bend; the reaching arm moves most freely. The free arm's shoulder follows IKSettings.free_arm_cost."""


@dataclass
class IKSettings:
    """Weights, bounds and iteration limits of the per-frame IK."""

    iterations: int = 30
    """QP steps per frame at most (a warm start on a smooth path needs few)."""
    tolerance: float = 1e-4
    """A frame is done when a step moves no coordinate more than this (rad, m)."""
    hand_cost: float = 1.0
    hand_lm: float = 1.0
    """Levenberg-Marquardt damping of the hand task: steps shrink when the hand is far from its
    point, so an out-of-reach point does not throw the pose around."""
    foot_cost: float = 100.0
    """Foot position (1/m) and orientation (1/rad) cost: 100x the hand's, so the feet stay put."""
    com_cost: float = 0.1
    """Pull of the CoM xy to its start; the support polygon is the hard bound."""
    posture_cost: float = 0.002
    """Low: the posture only chooses among the poses that put the hand on its point."""
    free_arm_cost: float = 0.05
    """Cost (1/rad) of the free upper arm turning in the world: it hangs as it started while the
    trunk bends (a joint-space posture would swing it up behind a trunk bent forward)."""
    support_margin: float = 0.02
    """The CoM stays this far (m) inside the support polygon's edges."""
    floor_clearance: float = 0.005
    """Geoms other than the feet stay this far (m) above the floor."""
    torso_max_back: float = 0.35
    """Torso lean back at most (rad, 20 deg)."""
    torso_max_yaw: float = 1.2
    """Torso turn from the start heading (+x) at most (rad, 70 deg)."""
    damping: float = 1e-4
    """Damping of the IK's least-squares step (mink's solve_ik), which keeps it finite near singular poses."""
    max_joint_speed: float = 5.0
    """rad/s per joint coordinate between frames. Uncapped, a few frames jumped at up to 38 rad/s
    where the path made the pose reconfigure; capped, the median clip's fastest joint moves at 4."""
    max_root_speed: tuple[float, float] = (1.0, 3.0)
    """Pelvis (m/s, rad/s) between frames."""


def ball_angle(q: np.ndarray) -> float:
    """Rotation angle (rad) of a unit quaternion."""
    return float(2.0 * np.arctan2(np.linalg.norm(q[1:]), abs(q[0])))


def twist_angle(q: np.ndarray) -> float:
    """Twist (rad) about the local z of the swing-twist split, in (-pi, pi]."""
    q = -q if q[0] < 0 else q
    return float(2.0 * np.arctan2(q[3], q[0]))


def ik_model(character: Character, start_qpos: np.ndarray) -> mujoco.MjModel:
    """A fresh copy of the character's model with the IK's joint bounds and self-collisions. A
    bound the start pose is already past is widened to it (plus START_SLACK): the IK would
    otherwise snap the pose inside in the first frames (the Reallusion idles' necks are bent
    0.97-1.36 rad, past the 0.6 bound)."""
    model = character.model()
    for name, angle in IK_ANGLE_LIMITS.items():
        j = model.joint(name).id
        start = ball_angle(start_qpos[model.jnt_qposadr[j] : model.jnt_qposadr[j] + 4])
        model.jnt_limited[j], model.jnt_range[j] = 1, (0.0, max(angle, start + START_SLACK))
    for name in ("right_knee", "left_knee"):
        j = model.joint(name).id
        start = start_qpos[model.jnt_qposadr[j]]
        model.jnt_range[j] = min(IK_KNEE_RANGE[0], start - START_SLACK), max(IK_KNEE_RANGE[1], start + START_SLACK)
    # the MJCF's body geoms collide only with the floor; let mink see body-body pairs too
    body = np.array([g for g in range(model.ngeom) if model.geom(g).name != "floor"])
    model.geom_conaffinity[body] |= model.geom_contype[body]
    return model


def posture_scale(model: mujoco.MjModel) -> np.ndarray:
    """(nv,) posture cost multipliers of POSTURE_SCALE."""
    scale = np.ones(model.nv)
    for name, k in POSTURE_SCALE.items():
        j = model.joint(name).id
        width = 3 if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL else 1
        scale[model.jnt_dofadr[j] : model.jnt_dofadr[j] + width] = k
    return scale


def twist_limits(model: mujoco.MjModel, start_qpos: np.ndarray) -> dict[str, tuple[float, float]]:
    """IK_TWIST_LIMITS widened to the start pose (plus START_SLACK) where it is beyond them."""
    out = {}
    for name, (lo, hi) in IK_TWIST_LIMITS.items():
        adr = model.jnt_qposadr[model.joint(name).id]
        start = twist_angle(start_qpos[adr : adr + 4])
        out[name] = (min(lo, start - START_SLACK), max(hi, start + START_SLACK))
    return out


class TwistLimit(mink.Limit):
    """lo <= psi <= hi for ball joints, psi = 2 atan2(q_z, q_w) the twist about the local z of the
    swing-twist split. With dq/dt = q (0, w) / 2 (w the local angular velocity):
    dpsi = (w_x (q_x q_z - q_w q_y) + w_y (q_w q_x + q_y q_z) + w_z (q_w^2 + q_z^2)) / (q_w^2 + q_z^2)."""

    def __init__(self, model: mujoco.MjModel, limits: dict[str, tuple[float, float]], gain: float = 0.5):
        joints = [model.joint(n).id for n in limits]
        self.qadr, self.dadr, self.gain = model.jnt_qposadr[joints], model.jnt_dofadr[joints], gain
        self.bounds = np.array(list(limits.values()))
        self.G = np.zeros((2 * len(joints), model.nv))

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> mink.Constraint:
        q = np.stack([configuration.q[a : a + 4] for a in self.qadr])
        w, x, y, z = np.where(q[:, :1] < 0, -q, q).T  # same rotation with w >= 0, so psi is in (-pi, pi]
        psi = 2.0 * np.arctan2(z, w)
        grad = np.stack([x * z - w * y, w * x + y * z, w * w + z * z], axis=1) / np.maximum(w * w + z * z, 1e-9)[:, None]
        for i, d in enumerate(self.dadr):
            self.G[2 * i, d : d + 3], self.G[2 * i + 1, d : d + 3] = grad[i], -grad[i]
        h = np.stack([self.bounds[:, 1] - psi, psi - self.bounds[:, 0]], axis=1).reshape(-1)
        return mink.Constraint(G=self.G, h=self.gain * h)


class TorsoLimit(mink.Limit):
    """The torso leans back at most max_back and turns at most max_yaw from +x (rad): a reach
    with planted feet bends forward and sideways; leaning far back or turning round would be a
    limbo or a step. Linearized with the torso's rotational Jacobian (d axis = w x axis)."""

    def __init__(self, model: mujoco.MjModel, max_back: float, max_yaw: float, gain: float = 0.5):
        self.model, self.body = model, model.body("torso").id
        self.sin_back, self.max_yaw, self.gain = np.sin(max_back), max_yaw, gain
        self._jacr = np.zeros((3, model.nv))

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> mink.Constraint:
        data, jr = configuration.data, self._jacr
        mujoco.mj_jacBody(self.model, data, None, jr, self.body)
        rot = data.xmat[self.body].reshape(3, 3)
        up, fwd = rot[:, 2], rot[:, 0]
        d_up_x = up[2] * jr[1] - up[1] * jr[2]  # x component of w x up, per dof
        d_fwd_x, d_fwd_y = jr[1] * fwd[2] - jr[2] * fwd[1], jr[2] * fwd[0] - jr[0] * fwd[2]
        yaw = np.arctan2(fwd[1], fwd[0])
        d_yaw = (fwd[0] * d_fwd_y - fwd[1] * d_fwd_x) / max(fwd[0] ** 2 + fwd[1] ** 2, 1e-6)
        G = np.stack([-d_up_x, d_yaw, -d_yaw])
        h = np.array([up[0] + self.sin_back, self.max_yaw - yaw, self.max_yaw + yaw])
        return mink.Constraint(G=G, h=self.gain * h)


class FrameStepLimit(mink.Limit):
    """Each coordinate moves at most its speed x frame time from the previous frame's pose, over
    all the IK steps of a frame: where the hand's path needs the pose to reconfigure (an elbow
    near straight, an arm sliding round the trunk), the IK would jump between frames; capped, the
    hand lags a few frames instead and catches up."""

    def __init__(self, model: mujoco.MjModel, max_step: np.ndarray):
        self.model, self.max_step = model, max_step
        self.prev: np.ndarray | None = None
        self.relax = 1.0
        self._moved = np.zeros(model.nv)
        eye = np.eye(model.nv)
        self.G = np.concatenate([eye, -eye])

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> mink.Constraint:
        if self.prev is None:
            return mink.Constraint()
        mujoco.mj_differentiatePos(self.model, self._moved, 1.0, self.prev, configuration.q)
        step = self.relax * self.max_step
        h = np.concatenate([step - self._moved, step + self._moved])
        return mink.Constraint(G=self.G, h=np.maximum(h, 0.0))


class SupportLimit(mink.Limit):
    """CoM xy inside a convex polygon n_i . c <= b_i, linearized as n_i . J_com dq <= gain (b_i - n_i . c)."""

    def __init__(self, model: mujoco.MjModel, normals: np.ndarray, offsets: np.ndarray, gain: float = 0.95):
        self.model, self.normals, self.offsets, self.gain = model, normals, offsets, gain
        self._jac = np.zeros((3, model.nv))

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> mink.Constraint:
        mujoco.mj_jacSubtreeCom(self.model, configuration.data, self._jac, 1)
        com = configuration.data.subtree_com[1, :2]
        return mink.Constraint(G=self.normals @ self._jac[:2], h=self.gain * (self.offsets - self.normals @ com))


def sole_points(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    """(8, 2) world xy of the bottom corners of both foot boxes."""
    pts = []
    for name in FEET:
        g = model.geom(name).id
        corners = np.array([[sx, sy, -1.0] for sx in (-1, 1) for sy in (-1, 1)]) * model.geom_size[g]
        pts.append(data.geom_xpos[g] + corners @ data.geom_xmat[g].reshape(3, 3).T)
    return np.concatenate(pts)[:, :2]


def support_polygon(points: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Convex hull of 2-D points shrunk by margin as (unit normals (K, 2), offsets (K,)): inside
    is n . x <= b. Andrew's monotone chain, counter-clockwise, so outward normals are (dy, -dx)."""
    pts = sorted(map(tuple, points))

    def turn(o, a, b):  # > 0: o -> a -> b turns left
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half(seq):
        out: list = []
        for p in seq:
            while len(out) >= 2 and turn(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]

    hull = np.array(half(pts) + half(pts[::-1]))
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return normals, np.sum(normals * hull, axis=1) - margin


class ReachIK:
    """IK from one standing start pose; `solve` moves the configuration to put the hand on a point."""

    def __init__(self, character: Character, start_qpos: np.ndarray, fps: float, hand: str = "right_hand", settings: IKSettings | None = None):
        s = self.settings = settings or IKSettings()
        self.model = model = ik_model(character, start_qpos)
        self.start = start_qpos.copy()
        self.config = mink.Configuration(model, start_qpos)
        self.hand_id = model.body(hand).id
        self.hand_task = mink.FrameTask(hand, "body", position_cost=s.hand_cost, orientation_cost=0.0, lm_damping=s.hand_lm)
        feet = [mink.FrameTask(f, "body", position_cost=s.foot_cost, orientation_cost=s.foot_cost) for f in FEET]
        com = mink.ComTask(cost=[s.com_cost, s.com_cost, 0.0])  # z free: the pelvis may lower
        posture = mink.PostureTask(model, cost=s.posture_cost * posture_scale(model))
        free_side = "left_" if hand.startswith("right_") else "right_"
        free_arm = mink.FrameTask(free_side + "upper_arm", "body", position_cost=0.0, orientation_cost=s.free_arm_cost)
        for task in (*feet, com, posture, free_arm):
            task.set_target_from_configuration(self.config)
        self.tasks = [self.hand_task, *feet, com, posture, free_arm]
        normals, offsets = support_polygon(sole_points(model, self.config.data), s.support_margin)
        above_floor = [model.geom(g).name for g in range(model.ngeom) if model.geom(g).name not in ("floor", *FEET)]
        speed = np.full(model.nv, s.max_joint_speed)
        speed[:3], speed[3:6] = s.max_root_speed
        self.step_limit = FrameStepLimit(model, speed / fps)
        self.relaxed_steps = 0
        self.limits = [
            self.step_limit,
            mink.ConfigurationLimit(model),
            TwistLimit(model, twist_limits(model, start_qpos)),
            TorsoLimit(model, s.torso_max_back, s.torso_max_yaw),
            SupportLimit(model, normals, offsets),
            mink.CollisionAvoidanceLimit(model, [(above_floor, ["floor"])], minimum_distance_from_collisions=s.floor_clearance, collision_detection_distance=0.1),
            mink.CollisionAvoidanceLimit(model, [SELF_COLLISION], minimum_distance_from_collisions=0.01, collision_detection_distance=0.1),
        ]

    def hand_pos(self) -> np.ndarray:
        return self.config.data.xpos[self.hand_id].copy()

    def reset(self) -> np.ndarray:
        """Back to the start pose; returns the hand's start position."""
        self.config.update(self.start)
        self.step_limit.prev = None
        return self.hand_pos()

    def solve(self, point: np.ndarray) -> np.ndarray:
        """The next frame: from the current configuration (the warm start, the previous frame),
        steps towards the hand on `point`, within the frame's speed limits; the new qpos."""
        s = self.settings
        self.hand_task.set_target(mink.SE3.from_translation(np.asarray(point, dtype=float)))
        self.step_limit.prev = self.config.q.copy()
        for _ in range(s.iterations):
            dq = self._step()
            self.config.integrate_inplace(dq, 1.0)
            if np.max(np.abs(dq)) < s.tolerance:
                break
        return self.config.q.copy()

    def _step(self) -> np.ndarray:
        """One QP step. Linearized bounds drift a little past their limits; when undoing that
        needs more than the frame's speed cap leaves, the cap is relaxed for this step (counted)."""
        s = self.settings
        for relax in (1.0, 2.0, None):
            limits = self.limits if relax is not None else self.limits[1:]
            self.step_limit.relax = relax or 1.0
            try:
                return mink.solve_ik(self.config, self.tasks, 1.0, "daqp", damping=s.damping, limits=limits)
            except mink.NoSolutionFound:
                self.relaxed_steps += 1
        raise mink.NoSolutionFound("daqp")

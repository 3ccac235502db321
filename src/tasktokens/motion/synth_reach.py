"""Synthesized standing reaches: the right hand reaches a target of the reach task while both
feet stay planted (IK: motion/reach_ik.py), and the mirrored clip reaches with the left hand.

Why: the recorded clips have no reaching and almost no standing, so a BFM distilled on them
cannot be steered to touch a target (docs/benchmarks.md, "Standing and reaching from hand-written
goals"). These clips reach the reach task's own target distribution (tasks/reach.py ReachConfig).

Per clip: a standing start pose, turned to face +x with the root above the origin, so a target's
coordinates are its offset from the root in the heading frame; the hand goes from its start
position to the target on a straight line (an arc round the front of the trunk where the line
would cut through it) with minimum-jerk timing over 0.8-1.2 s (longer for longer paths), the IK
warm-started from frame to frame; it holds there for 1 s; it returns by the reach played backwards (the
minimum-jerk profile is symmetric in time, so the return is minimum-jerk too and ends exactly on
the start pose); the start pose is held 0.5 s.

Targets a planted stance cannot reach (`out_of_reach`) are rejected before the IK with the
reason; a clip whose hand ends more than 5 cm from its target, whose feet slide more than 2 cm or
that puts a body below the floor is measured and reported but not kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import mujoco
import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import MotionClip
from tasktokens.motion.kinematics import body_states, geom_bottoms, lowest_geom_z
from tasktokens.motion.labels import SKILL_SEPARATOR
from tasktokens.motion.licences import licence_of
from tasktokens.motion.mirror import mirror_clip
from tasktokens.motion.reach_ik import FEET, IKSettings, ReachIK
from tasktokens.tasks.reach import ReachConfig

SKILL = "reach"
REACH_PATH_M = 1.2
"""Hand path length (m) that takes the longest reach time. Longer paths (arcs round the trunk)
are faster: a minimum-jerk peak is 1.875 x length / time, 2.3 m/s for a 1.5 m arc in 1.2 s, a
brisk human reach."""
HOLD_TOLERANCE = 0.05
"""Hand-target distance (m) a kept clip holds."""
SLIDE_TOLERANCE = 0.02
"""Foot displacement (m) a kept clip stays within."""
REACH_RADIUS = ((0.05, 0.50), (0.35, 0.72), (0.65, 0.85), (1.50, 0.80))
"""(target height, farthest horizontal distance from the reaching shoulder) in m, linear in
between: the envelope of a planted 1.62 m humanoid3d (arm 0.53 m, shoulder 1.36 m high). Near the
floor the trunk must fold over the knees and the CoM stay over the feet; around hip to shoulder
height the trunk can lean and turn into the reach; overhead it can lean less. Set a little inside
the farthest targets this IK put the hand within 5 cm of, on a 0.25 m grid of the task's target
box from the long_walk3 stance."""
FAR_SIDE_AZIMUTH = 135.0
"""Degrees to the left of the facing direction (about the root) beyond which the right hand
cannot reach: the planted trunk turns about 70 deg (IKSettings.torso_max_yaw) and the arm crosses
the chest about 60 deg further; behind the left shoulder needs the feet to turn."""
TRUNK_CLEARANCE = 0.25
"""Horizontal distance (m) from the trunk's axis inside which a straight hand path would pass
through or hug the trunk (torso radius 0.11 m, shoulders 0.18 m off the axis, hand 0.04 m)."""
UNDER_BODY = (0.20, 0.30)
"""A target lower than 0.30 m within 0.20 m (horizontally) of the feet's centre is between or
under the legs: the hand cannot get there without stepping back or kneeling."""


def min_jerk(t):
    """Minimum-jerk position profile s(t) = 10t^3 - 15t^4 + 6t^5 for t in [0, 1] (clipped):
    s(0) = 0, s(1/2) = 1/2, s(1) = 1, zero velocity and acceleration at both ends."""
    t = np.clip(t, 0.0, 1.0)
    return t**3 * (10.0 - 15.0 * t + 6.0 * t**2)


@dataclass
class ReachTiming:
    """Phases of one clip (s) and its frame rate."""

    fps: float = 30.0
    reach_s: tuple[float, float] = (0.8, 1.2)
    """Reach duration, from a hand path of 0 m to one of REACH_PATH_M or longer."""
    hold_s: float = 1.0
    """Hand held on the target."""
    end_hold_s: float = 0.5
    """Start pose held after the return."""
    settle_s: float = 0.3
    """At most this long after the reach for the hand to settle on the target (part of the reach)."""

    def reach_frames(self, path_m: float) -> int:
        """Frames of the reach for a hand path of that length."""
        lo, hi = self.reach_s
        return max(2, round((lo + (hi - lo) * min(path_m / REACH_PATH_M, 1.0)) * self.fps))


def draw_targets(rng: np.random.Generator, n: int, cfg: ReachConfig | None = None) -> np.ndarray:
    """(n, 3) targets from the reach task's distribution (xy offset U[-r, r] around the root,
    height U[lo, hi]), stratified: each coordinate takes one value in each of n equal bins (a
    Latin hypercube), so a few dozen targets cover the box evenly; each is still uniform."""
    cfg = cfg or ReachConfig()
    lo = np.array([-cfg.xy_range, -cfg.xy_range, cfg.height_range[0]])
    hi = np.array([cfg.xy_range, cfg.xy_range, cfg.height_range[1]])
    u = (np.stack([rng.permutation(n) for _ in range(3)], axis=1) + rng.random((n, 3))) / n
    return lo + u * (hi - lo)


def canonical_start(qpos: np.ndarray) -> np.ndarray:
    """The pose turned about z to face +x (the root's heading) with the root above the origin."""
    q = qpos.copy()
    w, x, y, z = q[3:7]
    yaw = np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    turn = np.array([np.cos(-yaw / 2), 0.0, 0.0, np.sin(-yaw / 2)])
    mujoco.mju_mulQuat(q[3:7], turn, qpos[3:7].copy())
    q[:2] = 0.0
    return q


def out_of_reach(target: np.ndarray, stance: dict) -> str | None:
    """Why a planted stance (`stance_facts`) cannot reach the target with the right hand (see
    REACH_RADIUS, UNDER_BODY, FAR_SIDE_AZIMUTH), or None."""
    heights, radii = np.array(REACH_RADIUS).T
    radius = float(np.interp(target[2], heights, radii))
    horizontal = float(np.linalg.norm(target[:2] - stance["shoulder"][:2]))
    offset = target[:2] - stance["root"][:2]
    azimuth = float(np.degrees(np.arctan2(offset[1], offset[0])))
    if horizontal > radius:
        return f"beyond reach: {horizontal:.2f} m from the shoulder horizontally, at most {radius:.2f} m at {target[2]:.2f} m high"
    if target[2] < UNDER_BODY[1] and np.linalg.norm(target[:2] - stance["feet_centre"][:2]) < UNDER_BODY[0]:
        return f"under the body: {target[2]:.2f} m high between the feet"
    if azimuth > FAR_SIDE_AZIMUTH:
        return f"behind the far side: {azimuth:.0f} deg to the left of the facing direction, at most {FAR_SIDE_AZIMUTH:.0f}"
    return None


def hand_path(start: np.ndarray, target: np.ndarray, s: np.ndarray, axis_xy: np.ndarray, clearance: float = TRUNK_CLEARANCE) -> np.ndarray:
    """(len(s), 3) points from start (s=0) to target (s=1): the straight line, or, where its
    horizontal projection passes within `clearance` of the trunk's vertical axis, an arc round
    the axis (azimuth, radius and height interpolated) that never sweeps through straight behind
    (azimuth +-pi): a cross-body reach then passes in front of the trunk, as a person's would,
    instead of the IK dragging the arm round the back."""
    s = np.asarray(s, dtype=float)[:, None]
    a, b = start[:2] - axis_xy, target[:2] - axis_xy
    d = b - a
    u = np.clip(-(a @ d) / max(d @ d, 1e-12), 0.0, 1.0)  # closest point of the segment to the axis
    if np.linalg.norm(a + u * d) >= clearance:
        return start + s * (target - start)
    az0, az1 = np.arctan2(a[1], a[0]), np.arctan2(b[1], b[0])
    r = np.linalg.norm(a) + s[:, 0] * (np.linalg.norm(b) - np.linalg.norm(a))
    az = az0 + s[:, 0] * (az1 - az0)
    xy = axis_xy + np.stack([r * np.cos(az), r * np.sin(az)], axis=1)
    return np.concatenate([xy, start[2] + s * (target[2] - start[2])], axis=1)


def path_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def reach_qpos(ik: ReachIK, target: np.ndarray, timing: ReachTiming) -> tuple[np.ndarray, slice]:
    """(T, nq) qpos of the whole clip and the frames of the hold."""
    start_hand = ik.reset()
    axis_xy = ik.start[:2]  # the root, above which the trunk stands
    n = timing.reach_frames(path_length(hand_path(start_hand, target, np.linspace(0.0, 1.0, 50), axis_xy)))
    path = hand_path(start_hand, target, min_jerk(np.arange(n + 1) / n), axis_xy)
    reach = [ik.solve(p) for p in path]  # warm-started: each frame from the last
    for _ in range(round(timing.settle_s * timing.fps)):  # catch up where the speed limits held the hand back
        if np.linalg.norm(ik.hand_pos() - target) < 1e-3:
            break
        reach.append(ik.solve(target))
    reach = np.stack(reach)
    n = len(reach) - 1
    hold = np.repeat(reach[-1:], round(timing.hold_s * timing.fps), axis=0)
    end = np.repeat(ik.start[None], round(timing.end_hold_s * timing.fps), axis=0)
    return np.concatenate([reach, hold, reach[::-1][1:], end]), slice(n, n + len(hold) + 1)


def reach_quality(model: mujoco.MjModel, qpos: np.ndarray, hold: slice, hand: str, target: np.ndarray) -> dict:
    """Hand-target distance over the hold (max), largest displacement of a foot from its start,
    and the lowest point of any geom but the feet (and of the feet)."""
    kin = body_states(model, qpos, np.zeros((len(qpos), model.nv)))
    hand_pos = kin.body_pos[:, model.body(hand).id - 1]
    foot_pos = kin.body_pos[:, [model.body(f).id - 1 for f in FEET]]
    low = lowest_geom_z(model, qpos, [model.body(b).name for b in range(1, model.nbody) if model.body(b).name not in FEET]).min()
    foot_low = lowest_geom_z(model, qpos, FEET).min()
    return {
        "hold_error_m": float(np.linalg.norm(hand_pos[hold] - target, axis=-1).max()),
        "foot_slide_m": float(np.linalg.norm(foot_pos - foot_pos[0], axis=-1).max()),
        "lowest_body_m": float(low),
        "lowest_foot_m": float(foot_low),
    }


def is_good(quality: dict, start_foot_low: float) -> bool:
    """Within the hold and slide tolerances, nothing but the feet below the floor and the feet
    no lower than they start (mocap feet sink a few mm into the floor)."""
    return (
        quality["hold_error_m"] <= HOLD_TOLERANCE
        and quality["foot_slide_m"] <= SLIDE_TOLERANCE
        and quality["lowest_body_m"] >= 0.0
        and quality["lowest_foot_m"] >= start_foot_low - 1e-3
    )


@dataclass
class StandingStart:
    """A standing frame of a clip to reach from."""

    clip: MotionClip
    frame: int

    @property
    def label(self) -> str:
        return f"{self.clip.source} frame {self.frame} ({self.frame / self.clip.fps:.2f} s)"


def synthesize_reaches(
    character: Character,
    starts: list[StandingStart],
    targets: np.ndarray,
    timing: ReachTiming | None = None,
    settings: IKSettings | None = None,
    mirror: bool = True,
) -> tuple[list[MotionClip], dict]:
    """Reach clips (right hand, and their mirrors: left hand to (x, -y, z)) for the targets, the
    starts taken in turn; and a report {"rejected": [...], "clips": [...]} of every target."""
    timing = timing or ReachTiming()
    model = character.model()
    iks = [ReachIK(character, canonical_start(s.clip.qpos[s.frame]), timing.fps, settings=settings) for s in starts]
    stances = [stance_facts(model, ik.start) for ik in iks]
    clips, rejected, measured = [], [], []
    for i, target in enumerate(np.asarray(targets, dtype=float)):
        start, ik, stance = starts[i % len(starts)], iks[i % len(starts)], stances[i % len(starts)]
        reason = out_of_reach(target, stance)
        if reason:
            rejected.append({"target": target.round(4).tolist(), "reason": reason})
            continue
        relaxed = ik.relaxed_steps
        qpos, hold = reach_qpos(ik, target, timing)
        quality_extra = {"relaxed_ik_steps": ik.relaxed_steps - relaxed}
        for clip, hand, t in _clip_and_mirror(character, start, f"{SKILL}{SKILL_SEPARATOR}{start.clip.name}_{i:03d}", qpos, target, timing.fps, mirror):
            quality = reach_quality(model, clip.qpos, hold, hand, t) | quality_extra
            good = is_good(quality, stance["foot_low"])
            measured.append({"name": clip.name, "hand": hand, "target": t.round(4).tolist(), "seconds": round(clip.duration, 3), "kept": good, **quality})
            if good:
                clips.append(clip)
    return clips, {"rejected": rejected, "clips": measured}


def _clip_and_mirror(character: Character, start: StandingStart, name: str, qpos: np.ndarray, target: np.ndarray, fps: float, mirror: bool):
    """[(clip, hand, target)] for the right-hand clip and, if asked, its left-hand mirror. The
    source names the start frame and the target; the licence is the start clip's."""
    def xyz(t):
        return f"({t[0]:.3f}, {t[1]:.3f}, {t[2]:.3f})"

    source = f"{start.label}: synthesized reach to target {xyz(target)}"
    licence = start.clip.licence or licence_of(start.clip.source)
    clip = MotionClip(name, qpos, fps, False, character.name, source, licence=licence)
    out = [(clip, "right_hand", target)]
    if mirror:
        left = target * [1.0, -1.0, 1.0]
        mirrored = dataclasses.replace(mirror_clip(clip, character), source=f"{source}, mirrored: left hand to {xyz(left)}")
        out.append((mirrored, "left_hand", left))
    return out


def stance_facts(model: mujoco.MjModel, qpos: np.ndarray) -> dict:
    """World positions of a start pose's root, right shoulder and feet centre, and its lowest foot point."""
    data = mujoco.MjData(model)
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    feet = [model.body(f).id for f in FEET]
    bottoms = geom_bottoms(model, data)
    return {
        "root": qpos[:3].copy(),
        "shoulder": data.xpos[model.body("right_upper_arm").id].copy(),
        "feet_centre": data.xpos[feet].mean(axis=0),
        "foot_low": float(bottoms[[model.geom(f).id for f in FEET]].min()),
    }

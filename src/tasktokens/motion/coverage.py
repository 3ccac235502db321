"""What a motion corpus covers, measured for the tasks: pure functions on clip kinematics (numpy).

Frames: `_w` world (z up, floor at z = 0); `_h` the root's heading frame: the world rotated by the
yaw of the root's local x axis (where the pelvis faces; rotations.heading_angle), so +x_h is
forward, +y_h to the left, z_h = z_w. T is the number of frames of a clip; its frames are evenly
spaced at fps. Every frame weighs 1/fps seconds except the last, so a clip's frames add up to its
duration.

Thresholds are the module constants below; `tasktokens motion coverage` reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import mujoco
import numpy as np
import torch

from tasktokens import rotations as rot

SPEED_BINS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, np.inf)
"""Planar root speed bins (m/s)."""
ANGLE_BINS = (0.0, 30.0, 60.0, 120.0, 180.0)
"""Facing-vs-motion angle bins (degrees), counted while the root moves faster than MOVING_SPEED."""
STANDING_SPEED = 0.1
"""Standing: planar root speed below this (m/s), both feet on the ground (CLEARANCE_HEIGHT), the
root upright (UPRIGHT_COS) and above STANDING_HEIGHT."""
STANDING_HEIGHT = 0.6
"""Root (pelvis) height (m) above which a still frame is standing: it is 0.85-0.9 m upright, 0.7 m
in the stealthy walks' crouch, 0.1-0.2 m lying or kneeling in the get-ups and the crawl."""
MOVING_SPEED = 0.5
"""Moving (for the facing-vs-motion angle), sideways (|v_y| above it and above |v_x|) and
backward (v_x below minus it), m/s."""
TURN_RATE = 1.0
"""Turning: |yaw rate| above this (rad/s); on the spot when the root is also slower than ON_SPOT_SPEED."""
ON_SPOT_SPEED = 0.3
WINDOW = 0.5
"""Root velocities and yaw rates are centred differences over this window (s), as the direction and
steering success rules average the root velocity over 0.5 s (TaskEnvConfig.speed_window_steps):
per frame, mocap jitter at 120 Hz reads as 0.1 m/s (no standing at the end of long_walk3), and
the pelvis' yaw swing of about +-10 deg per stride as 1-1.5 rad/s of 'turning' in a straight run."""
UPRIGHT_COS = 0.5
"""The heading is defined while the root's up axis (local z) is within 60 deg of vertical (cos 0.5):
upside down in a flip the pelvis x axis points backwards, and near vertical it points anywhere, so
those frames are left out of the heading-frame measures (and yaw rates whose window touches them)."""
CONTACT_HEIGHT = 0.03
"""A flight lasts while the lowest point of the whole body (feet: their box's lowest corner) stays
above this (m; the floor is z = 0)..."""
CLEARANCE_HEIGHT = 0.05
"""...and it counts only if that point rises above this at some frame: the stealthy walks' feet
float 3-5 cm above the floor for up to 0.5 s at a time, which is no flight. A foot is on the
ground (for standing) below this height; mocap feet also sink up to 7 cm (run), which counts as on it."""


def frame_weights(num_frames: int, fps: float) -> np.ndarray:
    """(T,) seconds each frame stands for: 1/fps, 0 for the last frame."""
    w = np.full(num_frames, 1.0 / fps)
    w[-1] = 0.0
    return w


def heading_yaw(root_quat_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 4) root rotations -> (T,) yaw of the facing (rad) and (T,) whether it is defined (UPRIGHT_COS)."""
    q = torch.from_numpy(np.asarray(root_quat_w, dtype=np.float64))
    return rot.heading_angle(q).numpy(), rot.quat_to_matrix(q)[..., 2, 2].numpy() > UPRIGHT_COS


def to_heading(v_w: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """World vectors (T, ..., 3) -> heading frame of yaw (T,) (rotation by -yaw about z)."""
    v = torch.from_numpy(np.asarray(v_w, dtype=np.float64))
    q = rot.quat_from_yaw(torch.from_numpy(-np.asarray(yaw, dtype=np.float64)))
    q = q.view(q.shape[:1] + (1,) * (v.dim() - 2) + (4,)).expand(v.shape[:-1] + (4,))
    return rot.quat_rotate(q, v).numpy()


def facing_motion_angle(v_h: np.ndarray) -> np.ndarray:
    """(T, 3) heading-frame velocities -> (T,) angle (deg, 0-180) between facing (+x_h) and planar motion."""
    return np.degrees(np.abs(np.arctan2(v_h[:, 1], v_h[:, 0])))


def _window(num_frames: int, fps: float, window: float) -> tuple[np.ndarray, np.ndarray]:
    """(T,) first and last frame of the centred window of each frame, cut at the clip's ends."""
    k, i = max(1, round(0.5 * window * fps)), np.arange(num_frames)
    return np.clip(i - k, 0, num_frames - 1), np.clip(i + k, 0, num_frames - 1)


def window_velocity(pos_w: np.ndarray, fps: float, window: float = WINDOW) -> np.ndarray:
    """(T, 3) positions -> (T, 3) velocities (m/s): displacement over the centred window / its duration."""
    lo, hi = _window(len(pos_w), fps, window)
    return (pos_w[hi] - pos_w[lo]) * (fps / np.maximum(hi - lo, 1))[:, None]


def yaw_rate(yaw: np.ndarray, fps: float, ok: np.ndarray | None = None, window: float = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """(T,) yaw (rad, any wrapping) -> (T,) rad/s over the centred window, and (T,) whether the
    heading is defined (ok, default all) at both ends of the window and its middle."""
    y = np.unwrap(yaw)
    ok = np.ones(len(y), dtype=bool) if ok is None else np.asarray(ok)
    lo, hi = _window(len(y), fps, window)
    return (y[hi] - y[lo]) * fps / np.maximum(hi - lo, 1), ok & ok[lo] & ok[hi]


def standing(speed: np.ndarray, root_z: np.ndarray, upright: np.ndarray, foot_low_z: np.ndarray) -> np.ndarray:
    """(T,) bool from planar root speed (T,), root height (T,), upright (T,) bool and the feet's lowest points (T, 2)."""
    return (speed < STANDING_SPEED) & (root_z > STANDING_HEIGHT) & upright & np.all(foot_low_z < CLEARANCE_HEIGHT, axis=-1)


def flights(clearance: np.ndarray, root_pos_w: np.ndarray, fps: float, feet_w=None, foot_low_z=None) -> np.ndarray:
    """(F, 3) flights of a clip: seconds airborne (frames airborne / fps), root leap and foot leap (m).

    clearance (T,): height of the body's lowest point; root_pos_w (T, 3). Airborne frames are above
    CONTACT_HEIGHT, and a flight needs one above CLEARANCE_HEIGHT. The root leap is the horizontal
    root distance from the last frame on the ground before to the first one after; the foot leap,
    with feet_w (T, 2, 3) and foot_low_z (T, 2), goes from the foothold furthest along that
    direction at take-off to the nearest one at landing, as long_jump measures L (0 without
    feet or when no foot is down there). A flight cut by the clip's start or end is left out.
    """
    clearance = np.asarray(clearance, dtype=float)
    a = np.concatenate([[0], clearance > CONTACT_HEIGHT, [0]]).astype(np.int8)
    starts, ends = np.flatnonzero(np.diff(a) == 1), np.flatnonzero(np.diff(a) == -1)  # [start, end) frames
    keep = (starts > 0) & (ends < len(clearance))
    keep &= np.array([clearance[i:j].max() > CLEARANCE_HEIGHT for i, j in zip(starts, ends, strict=True)], dtype=bool)
    out = []
    for i, j in zip(starts[keep], ends[keep], strict=True):
        step = root_pos_w[j, :2] - root_pos_w[i - 1, :2]
        foot = 0.0
        if feet_w is not None:
            d = step / max(np.linalg.norm(step), 1e-9)
            down0, down1 = foot_low_z[i - 1] < CONTACT_HEIGHT, foot_low_z[j] < CONTACT_HEIGHT
            if down0.any() and down1.any():
                foot = (feet_w[j, down1, :2] @ d).min() - (feet_w[i - 1, down0, :2] @ d).max()
        out.append(((j - i) / fps, np.linalg.norm(step), foot))
    return np.array(out, dtype=float).reshape(-1, 3)


def seconds_in_bins(values: np.ndarray, edges, weights: np.ndarray) -> list[float]:
    """Seconds (sum of weights) of values in each [edges[i], edges[i+1]) bin; the last bin is closed."""
    idx = np.clip(np.searchsorted(np.asarray(edges), values, side="right") - 1, 0, len(edges) - 2)
    return np.bincount(idx, weights=weights, minlength=len(edges) - 1).tolist()


def reach_coverage(points: np.ndarray, lo, hi, radius: float, cell: float = 0.05) -> float:
    """Share of a box's grid cells whose centre lies within radius of one of the points (N, 3).

    The box [lo, hi] is cut into cubes of side `cell`; a point covers the centres within radius
    (exact distances, checked on the cells around each point's own cell).
    """
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    n = np.maximum(np.round((hi - lo) / cell).astype(int), 1)
    covered = np.zeros(n, dtype=bool)
    k = int(np.ceil(radius / cell)) + 1
    offsets = np.stack(np.meshgrid(*[np.arange(-k, k + 1)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    for chunk in np.array_split(np.asarray(points, dtype=float).reshape(-1, 3), max(1, len(points) // 2000)):
        idx = np.floor((chunk - lo) / cell).astype(int)[:, None] + offsets  # (n, O, 3)
        near = np.linalg.norm(lo + (idx + 0.5) * cell - chunk[:, None], axis=-1) <= radius
        near &= np.all((idx >= 0) & (idx < n), axis=-1)
        covered[tuple(idx[near].T)] = True
    return float(covered.mean())


@dataclass
class Geoms:
    """The character's geoms (G) in their bodies' frames; body indexes character bodies (0 = root)."""

    body: np.ndarray  # (G,) int
    kind: np.ndarray  # (G,) mjtGeom
    pos_b: np.ndarray  # (G, 3)
    quat_b: np.ndarray  # (G, 4)
    size: np.ndarray  # (G, 3)


def character_geoms(model: mujoco.MjModel) -> Geoms:
    """Every geom not on the world body (the floor is)."""
    g = np.flatnonzero(model.geom_bodyid > 0)
    return Geoms(model.geom_bodyid[g] - 1, model.geom_type[g], model.geom_pos[g], model.geom_quat[g], model.geom_size[g])


def geom_lowest_z(body_pos_w: np.ndarray, body_quat_w: np.ndarray, geoms: Geoms) -> np.ndarray:
    """(T, B, 3) body positions and (T, B, 4) rotations -> (T, G) height of each geom's lowest point
    (spheres, capsules along their local z, boxes; other shapes count as their centre)."""
    q_body = torch.from_numpy(body_quat_w[:, geoms.body])
    centre = body_pos_w[:, geoms.body] + rot.quat_rotate(q_body, torch.from_numpy(geoms.pos_b).expand(q_body.shape[:-1] + (3,))).numpy()
    rz = rot.quat_to_matrix(rot.quat_mul(q_body, torch.from_numpy(geoms.quat_b).expand_as(q_body))).numpy()[..., 2, :]  # (T, G, 3)
    G = mujoco.mjtGeom
    down = np.where(geoms.kind == G.mjGEOM_SPHERE, geoms.size[:, 0], 0.0)
    down = np.where(geoms.kind == G.mjGEOM_CAPSULE, np.abs(rz[..., 2]) * geoms.size[:, 1] + geoms.size[:, 0], down)
    down = np.where(geoms.kind == G.mjGEOM_BOX, np.einsum("tgk,gk->tg", np.abs(rz), geoms.size), down)
    return centre[..., 2] - down


@dataclass
class CoverageFrames:
    """Per-frame measures of one clip or of several concatenated (T frames in all)."""

    weight: np.ndarray  # (T,) seconds per frame
    speed: np.ndarray  # (T,) planar root speed, m/s
    v_h: np.ndarray  # (T, 3) root velocity, heading frame
    heading_ok: np.ndarray  # (T,) bool, heading defined
    yaw_rate: np.ndarray  # (T,) rad/s
    yaw_rate_ok: np.ndarray  # (T,) bool, heading defined over the yaw-rate window
    standing: np.ndarray  # (T,) bool
    hands_h: np.ndarray  # (T, 2, 3) right, left hand: x, y relative to the root in the heading frame; z height above the floor
    flights: np.ndarray  # (F, 3) seconds, root leap m, foot leap m


def clip_frames(root_pos_w, root_quat_w, foot_low_z, hands_w, fps, body_low_z=None, feet_w=None) -> CoverageFrames:
    """Measures of one clip. root_pos_w (T, 3), root_quat_w (T, 4), foot_low_z (T, 2) height of
    each foot's lowest point, hands_w (T, 2, 3) right and left hand positions; body_low_z (T,)
    lowest point of the other bodies (a flight has nothing on the ground: in a cartwheel the hands
    are, in a roll the back), default: none; feet_w (T, 2, 3) foot positions, for the foot leaps."""
    root_pos_w = np.asarray(root_pos_w, dtype=float)
    root_vel_w = window_velocity(root_pos_w, fps)
    yaw, ok = heading_yaw(root_quat_w)
    foot_low_z = np.asarray(foot_low_z, dtype=float)
    clearance = foot_low_z.min(axis=-1) if body_low_z is None else np.minimum(foot_low_z.min(axis=-1), body_low_z)
    hands = np.asarray(hands_w, dtype=float) - root_pos_w[:, None] * np.array([1.0, 1.0, 0.0])
    speed = np.linalg.norm(root_vel_w[:, :2], axis=-1)
    return CoverageFrames(frame_weights(len(yaw), fps), speed, to_heading(root_vel_w, yaw), ok, *yaw_rate(yaw, fps, ok),
                          standing(speed, root_pos_w[:, 2], ok, foot_low_z), to_heading(hands, yaw),
                          flights(clearance, root_pos_w, fps, feet_w, foot_low_z))


def kinematics_frames(kin, fps: float, geoms: Geoms, feet, hands) -> CoverageFrames:
    """A clip's measures from its forward kinematics (kinematics.ClipKinematics): feet and hands are
    (2,) character body indices, right then left; a foot's lowest point is its geoms' lowest corner."""
    low = geom_lowest_z(kin.body_pos, kin.body_quat, geoms)
    foot_low = np.stack([low[:, geoms.body == f].min(axis=1) for f in feet], axis=-1)
    other_low = low[:, ~np.isin(geoms.body, feet)].min(axis=1)
    return clip_frames(kin.body_pos[:, 0], kin.body_quat[:, 0], foot_low, kin.body_pos[:, list(hands)], fps, other_low,
                       kin.body_pos[:, list(feet)])


def concat(frames: list[CoverageFrames]) -> CoverageFrames:
    return CoverageFrames(**{f.name: np.concatenate([getattr(c, f.name) for c in frames]) for f in fields(CoverageFrames)})


def _bins(edges, unit: str = "") -> list[str]:
    return [f"{a:g}-{b:g}{unit}" if np.isfinite(b) else f"{a:g}+{unit}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _r(x: float) -> float:
    return round(float(x), 3)


def _max(x: np.ndarray) -> float:
    return _r(x.max()) if x.size else 0.0


def hand_envelope(hands_h: np.ndarray, box, radii=(0.05, 0.1)) -> dict:
    """Min/max of right and left hand positions (N, 2, 3) and the share of the reach box (lo, hi)
    within each radius of a hand position (reach_coverage on 5 cm cells): per hand and either."""
    out = {}
    for name, pts in (("right", hands_h[:, 0]), ("left", hands_h[:, 1]), ("either", hands_h.reshape(-1, 3))):
        env = {"min": [_r(v) for v in pts.min(axis=0)], "max": [_r(v) for v in pts.max(axis=0)]} if len(pts) and name != "either" else {}
        out[name] = env | {"coverage": {f"{r:g}": round(reach_coverage(pts, *box, r), 4) for r in radii}}
    return out


def summarize(fr: CoverageFrames, reach_box) -> dict:
    """The corpus measures of frames: the JSON of one skill, or of all (schema: cli/motion_coverage.py)."""
    w, ok, fwd, lat = fr.weight, fr.heading_ok, fr.v_h[:, 0], fr.v_h[:, 1]
    sideways = ok & (np.abs(lat) > MOVING_SPEED) & (np.abs(lat) > np.abs(fwd))
    moving = ok & (fr.speed > MOVING_SPEED)
    turning = fr.yaw_rate_ok & (np.abs(fr.yaw_rate) > TURN_RATE)
    angle = facing_motion_angle(fr.v_h[moving])

    def sec(mask) -> float:
        return _r(w[mask].sum())

    return {
        "seconds": sec(slice(None)),
        "standing_seconds": sec(fr.standing),
        "speed": {"max_planar": _max(fr.speed), "max_forward": _max(fwd[ok]), "max_backward": max(0.0, _max(-fwd[ok])),
                  "max_lateral": _max(np.abs(lat[ok]))},
        "seconds_sideways": sec(sideways),
        "seconds_backward": sec(ok & (fwd < -MOVING_SPEED)),
        "seconds_by_speed": dict(zip(_bins(SPEED_BINS), map(_r, seconds_in_bins(fr.speed, SPEED_BINS, w)), strict=True)),
        "seconds_by_facing_motion_angle": dict(zip(_bins(ANGLE_BINS), map(_r, seconds_in_bins(angle, ANGLE_BINS, w[moving])), strict=True)),
        "turning": {"max_yaw_rate": _max(np.abs(fr.yaw_rate[fr.yaw_rate_ok])), "seconds_above": sec(turning),
                    "seconds_on_the_spot": sec(turning & (fr.speed < ON_SPOT_SPEED))},
        "seconds_heading_undefined": sec(~ok),
        "hands_standing": hand_envelope(fr.hands_h[fr.standing], reach_box),
        "flight": {"count": len(fr.flights), "longest_seconds": _max(fr.flights[:, 0]), "longest_leap_m": _max(fr.flights[:, 1]),
                   "longest_foot_leap_m": _max(fr.flights[:, 2])},
    }


def thresholds() -> dict:
    """The module's thresholds, for reports."""
    names = ("STANDING_SPEED", "STANDING_HEIGHT", "MOVING_SPEED", "TURN_RATE", "ON_SPOT_SPEED", "WINDOW", "UPRIGHT_COS", "CONTACT_HEIGHT", "CLEARANCE_HEIGHT")
    return {n.lower(): globals()[n] for n in names} | {"speed_bins": _bins(SPEED_BINS, " m/s"), "angle_bins": _bins(ANGLE_BINS, " deg")}

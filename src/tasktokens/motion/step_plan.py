"""Footstep plans for synthesized stepping: the pelvis travels at a velocity given in its own
heading frame while its facing stays fixed (side steps, backward steps), and the feet step under
it. Pure numpy; the IK that turns a plan into poses is motion/synth_step.py.

Frames: world z-up; the start pose faces +x with its root above the origin (synth_reach's
canonical_start), so the heading frame is the world frame for the whole clip: velocity (vx, vy)
is forward and leftward.

Timing. A stride (`cycle_s`) holds one swing of each foot (`swing_s` in the air, the rest in
stance). The lead foot (the one on the side of travel for side steps, the left one otherwise)
lands at 0; the trailing foot lands `phase` strides later: half a stride for forward and backward
steps, as in walking, and just after the lead foot has landed for side steps (a step-close
shuffle: a symmetric gait would cross the feet sideways).

Placement. A foot lands where the pelvis will be half-way through that stance, plus the foot's
offset from the pelvis in the start pose; for side steps the offsets are widened by the distance
the pelvis travels between the two landings, so that the feet are not closer than they stand
(the narrowest moment: just as the trailing foot lands). While the pelvis speeds up or slows
down that rule is not exact, so each landing is also kept that far sideways from the other foot. A swing whose landing is within
`min_step` of where the foot stands is skipped: at the start and end the feet stay planted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasktokens.motion.synth_reach import min_jerk


@dataclass
class StepGait:
    """One stepping clip: the pelvis velocity, the timing and the shape of the steps."""

    velocity: tuple[float, float] = (0.0, 1.0)
    """Pelvis velocity (m/s) in the heading frame at full speed: (forward, left)."""
    fps: float = 30.0
    cycle_s: float = 0.6
    """Stride period (s): each foot steps once per stride."""
    swing_s: float = 0.25
    """Time (s) a foot is in the air per step."""
    side_gap_s: float = 0.05
    """Side steps: the trailing foot lifts this long (s) after the lead foot lands."""
    ramp_s: float = 0.8
    """Time (s) to reach full speed, and to stop (minimum-jerk velocity profile)."""
    travel_s: float = 4.0
    """Time (s) at full speed."""
    stand_before_s: float = 0.8
    """Standing before the first step (s); the pelvis settles to `pelvis_height` meanwhile."""
    stand_after_s: float = 2.0
    """Standing after the last step (s)."""
    pelvis_height: float = 0.85
    """Root height (m) while stepping and standing (the probes' and the priors' 0.85 m)."""
    lift_m: float = 0.08
    """Foot clearance (m) at mid-swing."""
    min_step: float = 0.02
    """A swing shorter than this (m) is skipped: the foot stays planted."""

    @property
    def sideways(self) -> bool:
        """A side step: more sideways than forward or backward."""
        return abs(self.velocity[1]) > abs(self.velocity[0])

    @property
    def phase(self) -> float:
        """Fraction of a stride from the lead foot's landing to the trailing foot's."""
        if self.sideways:
            return min(0.5, (self.swing_s + self.side_gap_s) / self.cycle_s)
        return 0.5

    @property
    def duration_s(self) -> float:
        return self.stand_before_s + 2.0 * self.ramp_s + self.travel_s + self.stand_after_s


@dataclass
class StepPlan:
    """Targets of one clip, T frames."""

    time: np.ndarray
    """(T,) seconds."""
    pelvis: np.ndarray
    """(T, 3) root position (world)."""
    feet: np.ndarray
    """(T, 2, 3) foot body positions (world), order (left, right)."""
    contact: np.ndarray
    """(T, 2) bool: the foot is planted, order (left, right)."""
    lead: int
    """The foot that steps first: 0 left, 1 right."""
    speed_scale: np.ndarray
    """(T,) share of full speed the pelvis moves at."""


def speed_profile(g: StepGait, t: np.ndarray) -> np.ndarray:
    """(T,) share of full speed at time t: 0 standing, up in ramp_s, 1 for travel_s, down in ramp_s."""
    t0 = g.stand_before_s
    up = min_jerk((t - t0) / g.ramp_s)
    down = min_jerk((t - t0 - g.ramp_s - g.travel_s) / g.ramp_s)
    return up - down


def pelvis_track(g: StepGait, t: np.ndarray, start_root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) root positions and (T,) speed shares: the start root xy, moving by the integral of
    the speed profile (trapezoid rule on a fine grid), its height eased to pelvis_height while standing first."""
    fine = np.linspace(0.0, t[-1], 20 * len(t))
    share = speed_profile(g, fine)
    dist = np.concatenate([[0.0], np.cumsum(0.5 * (share[1:] + share[:-1]) * np.diff(fine))])
    travelled = np.interp(t, fine, dist)
    pelvis = np.repeat(start_root[None].astype(float), len(t), axis=0)
    pelvis[:, :2] += travelled[:, None] * np.asarray(g.velocity)[None]
    settle = min_jerk(t / max(g.stand_before_s, 1e-6))
    pelvis[:, 2] = start_root[2] + settle * (g.pelvis_height - start_root[2])
    return pelvis, speed_profile(g, t)


def foot_offsets(g: StepGait, start_root: np.ndarray, start_feet: np.ndarray) -> np.ndarray:
    """(2, 2) xy offsets from the pelvis at which the (left, right) feet land at full speed: the
    start pose's, widened for side steps by the pelvis travel from one landing to the next
    (phase x cycle_s x |vy|), half on each foot, so the feet are never closer than they stand."""
    offsets = start_feet[:, :2] - start_root[None, :2]
    if g.sideways:
        widen = 0.5 * abs(g.velocity[1]) * g.phase * g.cycle_s
        offsets[:, 1] += np.sign(offsets[:, 1]) * widen  # outward: away from the other foot
    return offsets


def plan_steps(g: StepGait, start_root: np.ndarray, start_feet: np.ndarray) -> StepPlan:
    """The clip's targets from a standing start: root position (3,), foot positions (2, 3) in
    the order (left, right). See the module docstring for the rules."""
    t = np.arange(round(g.duration_s * g.fps) + 1) / g.fps
    pelvis, share = pelvis_track(g, t, start_root)
    lead = 1 if g.velocity[1] < 0 and g.sideways else 0  # the right foot leads steps to the right
    full = foot_offsets(g, start_root, start_feet)
    standing = start_feet[:, :2] - start_root[None, :2]
    feet = np.repeat(start_feet[None].astype(float), len(t), axis=0)
    contact = np.ones((len(t), 2), dtype=bool)
    stance_s = g.cycle_s - g.swing_s
    last_step = g.stand_before_s + 2.0 * g.ramp_s + g.travel_s + g.cycle_s
    # left minus right sideways distance the feet keep, as they stand (a foot is placed against the other, planted one)
    gap = start_feet[0, 1] - start_feet[1, 1]
    where = start_feet.astype(float)
    events = sorted((land, foot) for foot in (0, 1) for land in _landings(g, foot != lead, last_step))
    for land, foot in events:
        mid = land + 0.5 * stance_s
        k = np.interp(mid, t, share)
        offset = standing[foot] + k * (full[foot] - standing[foot])
        target = np.array([np.interp(mid, t, pelvis[:, 0]) + offset[0], np.interp(mid, t, pelvis[:, 1]) + offset[1], where[foot, 2]])
        other = where[1 - foot, 1]
        target[1] = max(target[1], other + gap) if foot == 0 else min(target[1], other - gap)
        if np.linalg.norm(target[:2] - where[foot, :2]) >= g.min_step:
            _swing(feet[:, foot], contact[:, foot], t, land - g.swing_s, land, where[foot], target, g.lift_m)
            where[foot] = target
    return StepPlan(t, pelvis, feet, contact, lead, share)


def _landings(g: StepGait, trailing: bool, last_step: float) -> np.ndarray:
    """Landing times (s) of the lead or the trailing foot, one per stride, the first after the
    standing start, the last swing starting before last_step."""
    first = g.stand_before_s + g.swing_s + trailing * g.phase * g.cycle_s
    return np.arange(first, last_step + g.swing_s, g.cycle_s)


def _swing(track: np.ndarray, planted: np.ndarray, t: np.ndarray, t0: float, t1: float, a: np.ndarray, b: np.ndarray, lift: float) -> None:
    """Writes one swing into track (T, 3) and planted (T,), in place: minimum-jerk from a to b
    over [t0, t1] with a sine lift; the foot stands at b from t1 on (until a later swing)."""
    u = (t - t0) / (t1 - t0)
    air = (u > 0.0) & (u < 1.0)
    s = min_jerk(u[air])[:, None]
    track[air] = a + s * (b - a)
    track[air, 2] += lift * np.sin(np.pi * u[air])
    planted[air] = False
    track[u >= 1.0] = b

"""Synthesized side steps and backward steps with the pelvis square to its start facing: the
footstep plan of motion/step_plan.py turned into poses by IK (mink, on the character's own MJCF).

Why: the probes (eval/probes.py) and the steering prior ask the BFM for 1 m/s sideways or backward
while the pelvis keeps facing +x, at a pelvis height of 0.85 m; the recorded clips never do that
(the Reallusion side and backward steps travel 45 degrees off a square pelvis at 0.69-0.77 m; see
docs/probes.md). These clips do, from the MIT stand, at several speeds.

Per frame the IK puts the pelvis and both feet on the plan (position and orientation: the feet
stay flat and keep their start yaw, the pelvis its start orientation) and keeps the rest of the
body near the start posture (arms hanging, trunk upright), within joint ranges tightened as for
the reaches (motion/reach_ik.py). A clip is kept when the IK met the plan (pelvis and feet within
2 cm) and no body but the feet went below the floor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import mink
import mujoco
import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import MotionClip
from tasktokens.motion.kinematics import body_states, lowest_geom_z
from tasktokens.motion.labels import SKILL_SEPARATOR
from tasktokens.motion.licences import licence_of
from tasktokens.motion.mirror import mirror_clip
from tasktokens.motion.reach_ik import TwistLimit, ik_model, posture_scale, twist_limits
from tasktokens.motion.step_plan import StepGait, StepPlan, plan_steps
from tasktokens.motion.synth_reach import StandingStart, canonical_start

FEET_LR = ("left_foot", "right_foot")
"""Foot bodies in the plan's (left, right) order."""
TRACK_TOLERANCE = 0.02
"""Pelvis and foot distance (m) from the plan a kept clip stays within."""
KINDS = {"left": (0.0, 1.0), "backward": (-1.0, 0.0), "right": (0.0, -1.0), "forward": (1.0, 0.0)}
"""Direction of travel (heading frame) of each kind of clip."""
SKILLS = {"left": "walk_sideways", "right": "walk_sideways", "backward": "walk_backward", "forward": "walk"}
"""Skill label of each kind: the labels of the imported side and backward steps, so the synthesized
clips join those skills in a BFM's vocabulary."""


@dataclass
class StepIKSettings:
    """Weights and iteration limits of the per-frame IK."""

    iterations: int = 20
    """QP steps per frame at most (warm-started from the previous frame)."""
    tolerance: float = 1e-4
    """A frame is done when a step moves no coordinate more than this (rad, m)."""
    foot_cost: float = 100.0
    """Foot position (1/m) and orientation (1/rad) cost."""
    pelvis_cost: float = 30.0
    """Pelvis xy position and orientation cost."""
    pelvis_height_cost: float = 3.0
    """Pelvis height cost: low, so the pelvis drops a little where a wide step needs longer legs."""
    posture_cost: float = 0.01
    """Pull of every joint to the start posture: chooses among the poses that meet the plan."""
    damping: float = 1e-4
    """Damping of the least-squares step."""


def gait_for(kind: str, speed: float, side_stride_m: float = 0.45, sagittal_stride_m: float = 0.8) -> StepGait:
    """The gait of one clip: stride period = stride (sideways, or forward and backward) / speed,
    within [0.5, 0.9] s (faster steps rather than wider ones as the speed grows); a swing of 40%
    of it (side steps: at most half of it less the gap before the trailing foot lifts)."""
    if kind not in KINDS:
        raise ValueError(f"unknown step kind {kind!r}; choose from {sorted(KINDS)}")
    if speed <= 0.0:
        raise ValueError(f"speed must be positive, got {speed}")
    sideways = KINDS[kind][1] != 0.0
    cycle = float(np.clip((side_stride_m if sideways else sagittal_stride_m) / speed, 0.5, 0.9))
    gait = StepGait(velocity=(speed * KINDS[kind][0], speed * KINDS[kind][1]), cycle_s=cycle)
    swing = 0.4 * cycle if not sideways else min(0.4 * cycle, 0.5 * cycle - gait.side_gap_s)
    return dataclasses.replace(gait, swing_s=swing)


class StepIK:
    """IK from one standing start pose (canonical: facing +x, root above the origin)."""

    def __init__(self, character: Character, start_qpos: np.ndarray, settings: StepIKSettings | None = None):
        s = self.settings = settings or StepIKSettings()
        self.model = model = ik_model(character, start_qpos)
        self.start = start_qpos.copy()
        self.config = mink.Configuration(model, start_qpos)
        self.pelvis = mink.FrameTask("pelvis", "body", position_cost=[s.pelvis_cost, s.pelvis_cost, s.pelvis_height_cost], orientation_cost=s.pelvis_cost)
        self.feet = [mink.FrameTask(f, "body", position_cost=s.foot_cost, orientation_cost=s.foot_cost) for f in FEET_LR]
        posture = mink.PostureTask(model, cost=s.posture_cost * posture_scale(model))
        for task in (self.pelvis, *self.feet, posture):
            task.set_target_from_configuration(self.config)
        self.tasks = [self.pelvis, *self.feet, posture]
        self.limits = [mink.ConfigurationLimit(model), TwistLimit(model, twist_limits(model, start_qpos))]
        data = self.config.data
        self.start_feet = np.stack([data.xpos[model.body(f).id].copy() for f in FEET_LR])
        self._rot = {t: t.transform_target_to_world.rotation() for t in (self.pelvis, *self.feet)}

    def solve_plan(self, plan: StepPlan) -> np.ndarray:
        """(T, nq) poses of the plan, each frame warm-started from the last."""
        self.config.update(self.start)
        out = []
        for i in range(len(plan.time)):
            self.pelvis.set_target(mink.SE3.from_rotation_and_translation(self._rot[self.pelvis], plan.pelvis[i]))
            for side, task in enumerate(self.feet):
                task.set_target(mink.SE3.from_rotation_and_translation(self._rot[task], plan.feet[i, side]))
            for _ in range(self.settings.iterations):
                dq = mink.solve_ik(self.config, self.tasks, 1.0, "daqp", damping=self.settings.damping, limits=self.limits)
                self.config.integrate_inplace(dq, 1.0)
                if np.max(np.abs(dq)) < self.settings.tolerance:
                    break
            out.append(self.config.q.copy())
        return np.stack(out)


def step_quality(model: mujoco.MjModel, qpos: np.ndarray, plan: StepPlan, gait: StepGait) -> dict:
    """How the poses meet the plan: largest pelvis and foot errors (m), largest slide of a planted
    foot between frames (m), lowest point of any geom but the feet (m), the narrowest sideways gap
    between the foot bodies (m, left minus right), the largest pelvis yaw (deg), and the mean
    pelvis velocity (m/s, heading frame) over the frames at full speed."""
    kin = body_states(model, qpos, np.zeros((len(qpos), model.nv)))
    pelvis = kin.body_pos[:, model.body("pelvis").id - 1]
    foot = kin.body_pos[:, [model.body(f).id - 1 for f in FEET_LR]]
    w, x, y, z = kin.body_quat[:, model.body("pelvis").id - 1].T
    yaw = np.degrees(np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))
    low = lowest_geom_z(model, qpos, [model.body(b).name for b in range(1, model.nbody) if model.body(b).name not in FEET_LR]).min()
    planted = plan.contact[1:] & plan.contact[:-1]
    slide = np.linalg.norm(np.diff(foot[..., :2], axis=0), axis=-1)[planted]
    steady = plan.speed_scale > 0.999
    velocity = np.diff(pelvis[:, :2], axis=0) * gait.fps
    return {
        "pelvis_error_m": float(np.linalg.norm(pelvis[:, :2] - plan.pelvis[:, :2], axis=-1).max()),
        "pelvis_drop_m": float((plan.pelvis[:, 2] - pelvis[:, 2]).max()),
        "foot_error_m": float(np.linalg.norm(foot - plan.feet, axis=-1).max()),
        "planted_slide_m": float(slide.max(initial=0.0)),
        "lowest_body_m": float(low),
        "min_foot_gap_m": float((foot[:, 0, 1] - foot[:, 1, 1]).min()),
        "max_yaw_deg": float(np.abs(yaw).max()),
        "steady_velocity": velocity[steady[1:]].mean(axis=0).round(4).tolist(),
    }


def synthesize_steps(
    character: Character,
    start: StandingStart,
    kinds: tuple[str, ...],
    speeds: tuple[float, ...],
    settings: StepIKSettings | None = None,
    mirror: bool = True,
) -> tuple[list[MotionClip], list[dict]]:
    """Clips (and their mirrors) of each kind at each speed from one standing start, and a report
    entry per clip (its gait and step_quality; `kept`)."""
    model = character.model()
    ik = StepIK(character, canonical_start(start.clip.qpos[start.frame]), settings)
    licence = start.clip.licence or licence_of(start.clip.source)
    clips, report = [], []
    for kind in kinds:
        for speed in speeds:
            gait = gait_for(kind, speed)
            plan = plan_steps(gait, ik.start[:3], ik.start_feet)
            qpos = ik.solve_plan(plan)
            name = f"{SKILLS[kind]}{SKILL_SEPARATOR}synth_step_{kind}_{speed:.1f}".replace(".", "p")
            source = f"{start.label}: synthesized {kind} steps at {speed:.2f} m/s, pelvis facing +x"
            clip = MotionClip(name, qpos, gait.fps, False, character.name, source, licence=licence)
            quality = step_quality(model, qpos, plan, gait)
            kept = quality["pelvis_error_m"] <= TRACK_TOLERANCE and quality["foot_error_m"] <= TRACK_TOLERANCE and quality["lowest_body_m"] >= 0.0
            entry = {"name": name, "kind": kind, "speed": speed, "cycle_s": round(gait.cycle_s, 3), "swing_s": round(gait.swing_s, 3),
                     "seconds": round(clip.duration, 2), "kept": kept, **quality}
            report.append(entry)
            if kept:
                clips.append(clip)
                if mirror:
                    clips.append(mirror_clip(clip, character))
    return clips, report

"""Full-body goals from a motion clip, chosen by motion matching: a prior that shows the BFM the
clip's own future, turned toward a commanded direction.

Why: the root-only priors (tasks/priors.py: a planar velocity, heading and pelvis height) leave
BFM v4 at about 2.6 m/s, while with full-body goals from the clips it tracks the MIT jog (2.9
m/s) and run (3.7 m/s) clips in 100% and 92% of 10 s episodes (checkpoints/bfm_v4/eval_1450.json).
So for fast commands the prior hands the BFM what it was distilled on: every conditionable body
and the root pseudo-body, both channels, in every goal frame, from the clip frame whose pose and
velocities are nearest the character's (motion matching on the proprioception), as if the
character were exactly at that frame; each goal frame is then turned about the root by the
heading change toward the commanded direction (turning at TURN_RATE, as the root priors do).

Stateless (a function of the proprioception and the task observation, like every prior), so it
runs in the policy, batched, with no per-environment state. Frames and goals are precomputed once
per clip from its forward kinematics (:func:`clip_goal_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tasktokens.envs.goals import GOAL_FEATURES, TRANS, apply_goal_mask, goal_frame_from_reference
from tasktokens.envs.observations import compute_proprioception
from tasktokens.motion.motion_lib import MotionLib
from tasktokens.tasks.config import GaitOptions
from tasktokens.tasks.priors import turn_limited

Tensor = torch.Tensor


@dataclass
class ClipGoalTable:
    """Per frame of a clip, sampled at the control rate: matching features and goal frames."""

    features: Tensor
    """(M, D) matching features (match_features of the frame's proprioception)."""
    goals: Tensor
    """(M, F, E, GOAL_FEATURES) unmasked goal frames of a character exactly at the frame."""


def root_velocity_column(num_bodies: int) -> int:
    """Where the root's linear velocity _h starts in the proprioception (envs/observations.py
    layout: root height, non-root body positions, 6-D rotations, then linear velocities)."""
    return 1 + 3 * (num_bodies - 1) + 6 * num_bodies


def match_features(proprio: Tensor, num_bodies: int, velocity_weight: float = 0.3) -> Tensor:
    """(N, D) from proprioception (N, P): root height, the non-root body positions relative to the
    root _h, and velocity_weight times the body linear velocities _h (m and m/s: a weight of 0.3
    makes 1 m/s count as 0.3 m)."""
    pos = proprio[:, : 1 + 3 * (num_bodies - 1)]
    lin_start = root_velocity_column(num_bodies)
    lin = proprio[:, lin_start : lin_start + 3 * num_bodies]
    return torch.cat([pos, velocity_weight * lin], dim=-1)


def clip_goal_table(lib: MotionLib, clip: int, goal_times: Tensor, dt: float, body_idx: Tensor) -> ClipGoalTable:
    """Frames every dt s over one duration of a clip (a looping clip continues past its end with
    its root displacement), with the goal frames goal_times (F,) s ahead of each."""
    times = torch.arange(0.0, float(lib.duration[clip]), dt)
    ids = torch.full_like(times, clip, dtype=torch.long)
    cur = lib.state(ids, times)
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    frames = []
    for t in goal_times.tolist():
        ref = lib.state(ids, times + t)
        frames.append(goal_frame_from_reference(cur.body_pos[:, 0], cur.body_quat[:, 0], ref.body_pos, ref.body_quat, ref.body_lin_vel[:, 0], body_idx))
    return ClipGoalTable(match_features(proprio, cur.body_pos.shape[1]), torch.stack(frames, dim=1))


def turn_goal_frames(frames: Tensor, angle: Tensor) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES) turned about the root's vertical axis by angle (N, F)
    rad: body translations, the xy parts of both 6-D rotation axes and the root velocity rotate;
    the root heading change grows by angle. (The root row's translation is (vx, vy, height).)"""
    c, s = torch.cos(angle)[..., None], torch.sin(angle)[..., None]  # (N, F, 1)

    def turn(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return c * x - s * y, s * x + c * y

    bodies, root = frames[:, :, :-1], frames[:, :, -1]
    tx, ty = turn(bodies[..., 0], bodies[..., 1])
    ax, ay = turn(bodies[..., TRANS + 0], bodies[..., TRANS + 1])
    nx, ny = turn(bodies[..., TRANS + 3], bodies[..., TRANS + 4])
    bodies = torch.stack([tx, ty, bodies[..., 2], ax, ay, bodies[..., TRANS + 2], nx, ny, bodies[..., TRANS + 5]], dim=-1)
    vx, vy = turn(root[..., 0:1], root[..., 1:2])
    hc, hs = turn(root[..., TRANS : TRANS + 1], root[..., TRANS + 1 : TRANS + 2])
    root = torch.cat([vx, vy, root[..., 2:3], hc, hs, root[..., TRANS + 2 :]], dim=-1)
    assert bodies.shape[-1] == GOAL_FEATURES and root.shape[-1] == GOAL_FEATURES
    return torch.cat([bodies, root[:, :, None]], dim=2)


JOG_CLIP = "humanoid3d_jog"
"""The clip whose goals the direction and steering gait shows (MIT, motions/deepmimic/clips)."""
GAIT_RATES = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.4, 2.8)
"""How many times further ahead than real time the goal frames show the clip."""
GAIT_SPEEDS = (2.02, 2.10, 2.32, 2.94, 3.40, 3.61, 3.70, 3.84)
"""Planar root speed (m/s) BFM v4 reaches under the jog clip's goals at each of GAIT_RATES, heading
straight (benchmarks/clip_gait_speed.py: 32 environments, steps 60-199, upright 0.81-0.97; rates
2.4 and 2.8: 64 environments, upright 0.91 / 0.89; beyond, the speed stays below 3.95). The
BFM lags goals that are re-matched to it every step (real time: 2.0 m/s on a 2.8 m/s clip), so
the goals are shown ahead of time to ask for a speed."""
GAIT_MIN_SPEED = 2.0
"""Commands from this speed (m/s) get the clip's goals (the slowest GAIT_SPEEDS); slower ones
keep the root goals, which the BFM follows well up to 2 m/s."""
SPEED_FEEDBACK = 1.0
"""Default of GaitSpec.speed_feedback: the speed asked for is v* + SPEED_FEEDBACK (v* - s), s the
root's current speed along the command (prior only, direction, 64 episodes: success 0.308 without
it, 0.392 with it)."""


@dataclass(frozen=True)
class GaitSpec:
    """Which clip a gait shows and how far ahead: with several rates the speed asked for picks
    (interpolates) the rate whose calibrated speed matches it; with one rate the goals are
    that rate's whatever the speed."""

    clip: str
    """Clip file stem under motions/deepmimic/clips of the data folder."""
    rates: tuple[float, ...]
    """How many times further ahead than real time the goal frames show the clip."""
    speeds: tuple[float, ...]
    """Planar root speed (m/s) BFM v4 reaches at each rate (increasing)."""
    speed_feedback: float = SPEED_FEEDBACK
    """With several rates: the speed asked for is v* + speed_feedback (v* - s), s the root's
    current speed along the command, so a character that lags is shown goals further ahead."""


# GaitOptions, how the jog gait asks for speed (AdaptConfig.prior_gait_*), is in tasks/config.py.
LEGACY_GAIT = GaitOptions(top_rate=2.0, speed_feedback=SPEED_FEEDBACK)
"""The jog gait of tokens trained before GaitOptions existed."""
RUN_CLIP = "humanoid3d_run"
"""The clip of long_jump's run-up: its flights are 1.39-1.40 m from the take-off foot's last
contact to the landing foot (the jog clip's 1.07-1.10 m; benchmarks/clip_flights.py), and
success needs a landing 1.5 m past the line."""


def run_gait(rate: float, speed: float = 2.90) -> GaitSpec:
    """The run clip shown `rate` times ahead of real time, whatever the speed asked (speed: what
    BFM v4 reaches under it; 2.90 m/s mean along long_jump's run-up at rate 2.5, 256 episodes,
    benchmarks/long_jump_outcomes.py)."""
    return GaitSpec(RUN_CLIP, (rate,), (speed,))


class ClipGait:
    """Goals of one clip, matched to the character, at the speed asked for: the goal frames of
    clip_goal_table at each of the spec's rates, interpolated between the two rates whose
    calibrated speeds bracket it (one rate: that rate's), then turned toward the commanded
    direction."""

    def __init__(self, lib: MotionLib, clip: int, goal_times: Tensor, dt: float, body_idx: Tensor, num_bodies: int,
                 rates: tuple[float, ...] = GAIT_RATES, speeds: tuple[float, ...] = GAIT_SPEEDS, speed_feedback: float = SPEED_FEEDBACK):
        if len(rates) != len(speeds) or not rates or list(speeds) != sorted(speeds):
            raise ValueError(f"a gait needs one increasing calibrated speed per rate, got rates {rates}, speeds {speeds}")
        tables = [clip_goal_table(lib, clip, goal_times * r, dt, body_idx) for r in rates]
        self.features = tables[0].features  # the same frames at every rate
        self.goals = torch.stack([t.goals for t in tables])  # (R, M, F, E, GOAL_FEATURES)
        self.speeds = torch.tensor(speeds)
        self.goal_times, self.num_bodies = goal_times, num_bodies
        self.min_speed, self.speed_feedback = GAIT_MIN_SPEED, speed_feedback

    @classmethod
    def from_data(cls, character, goal_times: Tensor, dt: float, spec: GaitSpec) -> ClipGait:
        """The gait of spec's clip from the motion data folder (motion_lib.data_root)."""
        from tasktokens.motion.motion_lib import data_root

        path = data_root() / "motions" / "deepmimic" / "clips" / f"{spec.clip}.txt"
        if not path.exists():
            raise FileNotFoundError(f"{path}: the clip gait prior needs the MIT clip {spec.clip}; set TASKTOKENS_DATA to the data folder")
        body_idx = torch.tensor(character.body_indices(character.conditionable_bodies))
        return cls(MotionLib.from_paths([path], character), 0, goal_times, dt, body_idx, character.num_bodies, spec.rates, spec.speeds,
                   spec.speed_feedback)

    def _at_speed(self, idx: Tensor, asked: Tensor) -> Tensor:
        """Goal frames (N, F, E, GOAL_FEATURES) of table frames idx (N,) for the asked speeds (N,)."""
        goals = self.goals.to(asked.device)
        if goals.shape[0] == 1:
            return goals[0, idx]
        speeds = self.speeds.to(asked.device)
        x = asked.clamp(float(speeds[0]), float(speeds[-1]))
        hi = (speeds[None, :] < x[:, None]).sum(dim=-1).clamp(1, speeds.numel() - 1)  # searchsorted, which ONNX lacks
        w = ((x - speeds[hi - 1]) / (speeds[hi] - speeds[hi - 1]))[:, None, None, None]
        return goals[hi - 1, idx] + w * (goals[hi, idx] - goals[hi - 1, idx])

    def goal_frames(self, proprio: Tensor, direction_h: Tensor, speed: Tensor) -> Tensor:
        """(N, F, E, GOAL_FEATURES + 2) fully visible goal frames for proprioception (N, P), a
        commanded unit direction (N, 2) _h and speed (N,) m/s."""
        dev = proprio.device
        lin = root_velocity_column(self.num_bodies)
        along = (proprio[:, lin : lin + 2] * direction_h).sum(-1)
        asked = speed + self.speed_feedback * (speed - along)
        idx = torch.cdist(match_features(proprio, self.num_bodies), self.features.to(dev)).argmin(dim=-1)
        frames = self._at_speed(idx, asked)
        angle = turn_limited(torch.atan2(direction_h[:, 1], direction_h[:, 0]), self.goal_times.to(dev))
        frames = turn_goal_frames(frames, angle)
        return apply_goal_mask(frames, torch.ones(*frames.shape[:-1], 2, dtype=torch.bool, device=dev))

    def over_fast(self, frames: Tensor, proprio: Tensor, direction_h: Tensor, speed: Tensor) -> Tensor:
        """A root prior's goal frames (N, F, E, GOAL_FEATURES + 2) with those of commands of
        min_speed and more replaced by goal_frames."""
        fast = (speed >= self.min_speed)[:, None, None, None]
        return torch.where(fast, self.goal_frames(proprio, direction_h, speed), frames)

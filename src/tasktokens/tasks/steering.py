"""steering: move along a commanded direction while facing another commanded direction.

Paper definition: the direction task's command schedule, plus a facing direction drawn with the
same schedule. Observation: target direction (2) and speed (1) as in direction, and the target
facing (2), all in the root heading frame. Reward 0.7 r_direction + 0.3 max(0, cos facing error).
Success: after an 80-step grace period, facing error <= 45 degrees and |e_rel| <= 0.2 at every
step, e_rel from the root velocity averaged over the last 0.5 s as in direction. Speeds as in
direction (1.0-3.5 m/s), but scaled to the data where the motion is more than 45 degrees from the
facing: no clip steps sideways or backward faster than 1.66 / 1.59 m/s (0.5 s averages, MIT +
Reallusion, docs/data.md), so such a command's speed is mapped linearly from 1.0-3.5 onto
SteeringConfig.off_facing_speed_range (1.0-1.5 m/s; None: the unscaled schedule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from tasktokens.rotations import wrap_angle
from tasktokens.tasks import register_task
from tasktokens.tasks.direction import DirectionConfig, DirectionEnv, next_yaw_speed
from tasktokens.tasks.priors import steering_prior
from tasktokens.tasks.rewards import direction_errors, facing_cosine, steering_reward, step_ok_steering
from tasktokens.tasks.skill_priors import facing_steering_prior, side_steps

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import GaitOptions

Tensor = torch.Tensor


OFF_FACING_RAD = math.radians(45.0)
"""Beyond this angle between the commanded motion and facing a forward walk cannot pass (the
facing may be off by at most 45 degrees), so the command needs a side or backward step."""


@dataclass
class SteeringConfig(DirectionConfig):
    """steering task (direction's settings, and the speeds of side and backward commands)."""

    off_facing_speed_range: tuple[float, float] | None = (1.0, 1.5)
    """Commanded speeds (m/s) when the motion is more than 45 degrees from the facing: the
    schedule's speed mapped linearly from speed_range onto this range (side and backward steps in
    the clips top out at 1.66 / 1.59 m/s). None: speed_range at every angle, as before 2026-12-08."""

    def __post_init__(self) -> None:
        r = self.off_facing_speed_range
        if r is not None and not 0.0 < r[0] <= r[1]:
            raise ValueError(f"SteeringConfig.off_facing_speed_range {r}: give (low, high) m/s with 0 < low <= high, or None")


def off_facing_speed(
    speed: Tensor, motion_yaw: Tensor, facing_yaw: Tensor, speed_range: tuple[float, float], off_range: tuple[float, float] | None
) -> Tensor:
    """Commanded speed (K,) of steering commands: speed (K,) from direction's schedule, kept where
    the motion yaw (K,) is within OFF_FACING_RAD of the facing yaw (K,) (radians, world frame),
    else mapped linearly from speed_range onto off_range; a stop (0) stays a stop."""
    if off_range is None:
        return speed
    (lo, hi), (off_lo, off_hi) = speed_range, off_range
    off = wrap_angle(motion_yaw - facing_yaw).abs() > OFF_FACING_RAD
    scaled = off_lo + (speed - lo) * (off_hi - off_lo) / (hi - lo)
    return torch.where(off & (speed > 0), scaled, speed)


@register_task("steering", SteeringConfig)
class SteeringEnv(DirectionEnv):
    num_task_obs = 5
    grace_steps = 80

    def init_commands(self) -> None:
        super().init_commands()
        self.facing_yaw = torch.zeros(self.num_envs)
        self.schedule_speed = torch.zeros(self.num_envs)  # direction's schedule walks this; target_speed is it scaled

    def resample_commands(self, ids: Tensor) -> None:
        if ids.numel() == 0:
            return
        cfg, fresh = self.task_cfg, self.episode_length_buf[ids] == 0
        self.target_yaw[ids], self.schedule_speed[ids] = next_yaw_speed(self.target_yaw[ids], self.schedule_speed[ids], fresh, cfg, self.gen)
        self.facing_yaw[ids], _ = next_yaw_speed(self.facing_yaw[ids], self.schedule_speed[ids], fresh, cfg, self.gen)
        self.target_speed[ids] = off_facing_speed(
            self.schedule_speed[ids], self.target_yaw[ids], self.facing_yaw[ids], cfg.speed_range, cfg.off_facing_speed_range
        )

    @property
    def target_facing(self) -> Tensor:
        return torch.stack([torch.cos(self.facing_yaw), torch.sin(self.facing_yaw)], dim=-1)

    def task_obs(self) -> Tensor:
        f = torch.cat([self.target_facing, torch.zeros(self.num_envs, 1)], dim=-1)
        return torch.cat([super().task_obs(), self.to_heading(f)[:, :2]], dim=-1)

    def task_reward(self) -> Tensor:
        return steering_reward(self.root_velocity(), self.root_facing(), self.target_dir, self.target_speed, self.target_facing)

    def step_ok(self) -> Tensor:
        e_rel, _s, _t = direction_errors(self.root_velocity_window(), self.target_dir, self.target_speed)
        return step_ok_steering(e_rel, facing_cosine(self.root_facing(), self.target_facing))

    def markers(self) -> dict:
        """Direction arrow (yellow) and facing arrow (blue) at the root."""
        root, f = self.root_pos[0], self.target_facing[0]
        facing = ("arrow", [0.2, 0.5, 0.95, 1.0], [float(root[0]), float(root[1]), 0.0, float(f[0]), float(f[1]), 0.0])
        return super().markers() | {"facing": facing}

    def prior_fn(self, near_steps: tuple[int, ...], num_entities: int, skill_names: tuple[str, ...] = (), clip_gait: GaitOptions | None = None):
        """Hand-written goals: velocity, heading along it, gait skill; the facing is the token's
        (tasks/priors.py says why); with clip_gait the jog clip's goals for fast commands. A BFM
        with side and backward steps (tasks/skill_priors.py) is asked to face the facing command
        instead, with the step skill of the velocity relative to it."""
        if side_steps(skill_names) and clip_gait is None:
            return facing_steering_prior(near_steps, num_entities, self.dt, skill_names)
        return steering_prior(near_steps, num_entities, self.dt, skill_names, self.jog_gait(near_steps, clip_gait))

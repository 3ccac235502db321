"""direction: move along a commanded planar direction at a commanded speed.

Paper definition: a new command every 199 steps; with p=0.2 a fully random heading U[-pi, pi] and
speed, else heading += U[-1.57, 1.57] and speed += U[-0.3, 0.3]; with p=0.05 a stop (speed 0).
Observation: the target direction in the root heading frame (2) and the speed (1). Reward
exp(-(10 e_rel^2 + 0.1 t^2)), 0 when moving backwards (tasks/rewards.py). Success: after a
60-step grace period every step of the segment has |e_rel| <= 0.2, with the root velocity
averaged over the last 0.5 s (TaskEnvConfig.speed_window_steps; 1 gives the paper's per-step
velocity, which the walk clip itself fails: tasks/rewards.py VelocityWindow).

Speed range: 1.0-3.5 m/s, what the MIT clips cover (walks ~1.2 m/s, jog, run ~3.5 m/s), instead
of the paper's U[1.2, 6.0] for SMPL with more running data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from tasktokens.rotations import wrap_angle
from tasktokens.tasks import register_task
from tasktokens.tasks.base import TaskEnv, TaskEnvConfig
from tasktokens.tasks.priors import direction_prior
from tasktokens.tasks.rewards import direction_errors, direction_reward, step_ok_direction

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import GaitOptions

Tensor = torch.Tensor


@dataclass
class DirectionConfig:
    """direction task."""

    env: TaskEnvConfig = field(default_factory=TaskEnvConfig)
    speed_range: tuple[float, float] = (1.0, 3.5)
    """Commanded speeds (m/s)."""
    command_steps: int = 199
    """Steps between commands."""
    random_prob: float = 0.2
    """Probability of a fully random command (else a perturbation of the previous one)."""
    stop_prob: float = 0.05
    """Probability of a stop command."""


def next_yaw_speed(
    yaw: Tensor, speed: Tensor, fresh: Tensor, cfg: DirectionConfig, gen: torch.Generator
) -> tuple[Tensor, Tensor]:
    """The paper's command schedule for K environments; fresh (K,) bool forces a random command."""
    k = yaw.numel()
    lo, hi = cfg.speed_range
    rand = fresh | (torch.rand(k, generator=gen) < cfg.random_prob)
    new_yaw = torch.where(
        rand, (torch.rand(k, generator=gen) * 2 - 1) * torch.pi, yaw + (torch.rand(k, generator=gen) * 2 - 1) * 1.57
    )
    new_speed = torch.where(
        rand, lo + (hi - lo) * torch.rand(k, generator=gen), (speed + (torch.rand(k, generator=gen) * 2 - 1) * 0.3).clamp(lo, hi)
    )
    stop = torch.rand(k, generator=gen) < cfg.stop_prob
    return wrap_angle(new_yaw), torch.where(stop, torch.zeros_like(new_speed), new_speed)


@register_task("direction", DirectionConfig)
class DirectionEnv(TaskEnv):
    num_task_obs = 3
    grace_steps = 60
    reads_speed_window = True  # step_ok judges the windowed velocity (steering inherits it)

    def __init__(self, cfg: DirectionConfig, motion_lib=None):
        self.task_cfg = cfg
        super().__init__(cfg.env, motion_lib)

    def init_commands(self) -> None:
        self.target_yaw = torch.zeros(self.num_envs)
        self.target_speed = torch.zeros(self.num_envs)

    def resample_commands(self, ids: Tensor) -> None:
        if ids.numel() == 0:
            return
        fresh = self.episode_length_buf[ids] == 0
        self.target_yaw[ids], self.target_speed[ids] = next_yaw_speed(
            self.target_yaw[ids], self.target_speed[ids], fresh, self.task_cfg, self.gen
        )

    def command_due(self) -> Tensor:
        return self.command_age >= self.task_cfg.command_steps

    @property
    def target_dir(self) -> Tensor:
        """(N, 2) planar unit direction of the command, world frame."""
        return torch.stack([torch.cos(self.target_yaw), torch.sin(self.target_yaw)], dim=-1)

    def task_obs(self) -> Tensor:
        d = torch.cat([self.target_dir, torch.zeros(self.num_envs, 1)], dim=-1)
        return torch.cat([self.to_heading(d)[:, :2], self.target_speed[:, None]], dim=-1)

    def task_reward(self) -> Tensor:
        return direction_reward(self.root_velocity(), self.target_dir, self.target_speed)

    def step_ok(self) -> Tensor:
        e_rel, _s, _t = direction_errors(self.root_velocity_window(), self.target_dir, self.target_speed)
        return step_ok_direction(e_rel)

    def markers(self) -> dict:
        """The commanded velocity as an arrow on the ground at the root (length 0.5 m + speed / 2)."""
        root, d = self.root_pos[0], self.target_dir[0] * (0.5 + 0.5 * float(self.target_speed[0]))
        return {
            "direction": ("arrow", [0.95, 0.75, 0.1, 1.0], [float(root[0]), float(root[1]), 0.0, float(d[0]), float(d[1]), 0.0])
        }

    def prior_fn(
        self,
        near_steps: tuple[int, ...],
        num_entities: int,
        skill_names: tuple[str, ...] = (),
        clip_gait: GaitOptions | None = None,
    ):
        """Hand-written goals: velocity, heading along it, pelvis upright, gait skill (tasks/priors.py);
        with clip_gait, the jog clip's full-body goals for fast commands (tasks/clip_prior.py)."""
        return direction_prior(near_steps, num_entities, self.dt, skill_names, self.jog_gait(near_steps, clip_gait))

"""long_jump: run up 20 m along a corridor and jump from the take-off line.

Paper definition: run-up of 20 m to a take-off line, corridor |y| <= 0.5 m, goal at 30 m.
Observation (4), in the root heading frame: the take-off line's centre relative to the root (x, y),
the goal's centre relative to the root (x), and whether the root is past the line. Reward per step:
clip(d_prev - d_cur, 0, 1) + 0.01 v_x + 0.1 z_root once past the line, + 30 L at the landing,
d = planar distance to the goal. The jump is the first flight (no foot on the ground) that lands
past the line; it counts when its take-off foot was not past the line, and L = landing foot x -
line x. The episode ends at that landing, on a fall, or on leaving the corridor. Success: L > 1.5 m
(the paper's threshold; this 1.62 m character is close to SMPL's 1.7 m, so it is kept).
Episodes start at x = 0 facing +x from locomotion reference states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from tasktokens.tasks import register_task
from tasktokens.tasks.base import TaskEnv, TaskEnvConfig
from tasktokens.tasks.priors import long_jump_prior
from tasktokens.tasks.skill_priors import LEAP_SKILL, has_skills, with_leap

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import GaitOptions

Tensor = torch.Tensor


@dataclass
class LongJumpConfig:
    """long_jump task."""

    env: TaskEnvConfig = field(default_factory=TaskEnvConfig)
    line_x: float = 20.0
    """Take-off line (m from the start)."""
    goal_x: float = 30.0
    """Goal (m from the start)."""
    corridor: float = 0.5
    """Half-width of the corridor (m)."""
    success_length: float = 1.5
    """Jump length for success (m)."""
    prior_speed: float = 3.0
    """Prior: running speed asked for along the corridor (m/s; the MIT run clip's mean is 3.56)."""
    prior_aim_ahead: float = 2.0
    """Prior: it steers toward the point of the corridor's centre line this far ahead (m)."""
    prior_hold_distance: float = 2.0
    """Prior: it holds its heading once the line is this close (m), and past it."""
    prior_leap_distance: float = 2.5
    """Prior, for a BFM with a "leap" skill label: the leap token is shown from this far before the
    line (m) until the line (about 0.8 s at 3 m/s: the leap clip's run-in)."""
    prior_gait_rate: float = 2.5
    """Prior with the clip gait (--prior-clips): how many times ahead of real time the run clip's
    goals are shown. Prior alone, 256 episodes (benchmarks/long_jump_outcomes.py): rate 2.0 ->
    success 0.000, landing L median 0.63 m; 2.5 -> 0.027, 0.80 m; 3.0 -> 0.031, 0.79 m; the jog
    clip's gait 0.000 (docs/bfm-and-task-tokens.md)."""


def long_jump_step_reward(d_prev: Tensor, d_cur: Tensor, vel_x: Tensor, root_z: Tensor, past_line: Tensor, landed_length: Tensor) -> Tensor:
    """clip(d_prev - d_cur, 0, 1) + 0.01 v_x + 0.1 z_root [past the line] + 30 L [at landing; L = 0 otherwise]."""
    return (d_prev - d_cur).clamp(0.0, 1.0) + 0.01 * vel_x + 0.1 * root_z * past_line.float() + 30.0 * landed_length


@register_task("long_jump", LongJumpConfig)
class LongJumpEnv(TaskEnv):
    num_task_obs = 4
    grace_steps = 0
    success_rule = "ever"
    face_x_at_start = True

    def __init__(self, cfg: LongJumpConfig, motion_lib=None):
        self.task_cfg = cfg
        self.feet = None
        super().__init__(cfg.env, motion_lib)

    def init_commands(self) -> None:
        n = self.num_envs
        self.feet = torch.tensor(self.character.body_indices(self.character.contact_bodies))
        self.d_prev = torch.zeros(n)
        self.was_airborne = torch.zeros(n, dtype=torch.bool)
        self.takeoff_ok = torch.zeros(n, dtype=torch.bool)
        self.last_contact_x = torch.zeros(n)
        self.jump_length = torch.zeros(n)
        self.landed = torch.zeros(n, dtype=torch.bool)

    def resample_commands(self, ids: Tensor) -> None:
        """A new episode: the jump state is cleared."""
        if ids.numel() == 0:
            return
        self.d_prev[ids] = self._goal_distance()[ids]
        self.was_airborne[ids] = False
        self.takeoff_ok[ids] = False
        self.last_contact_x[ids] = 0.0
        self.jump_length[ids] = 0.0
        self.landed[ids] = False

    def command_due(self) -> Tensor:
        return torch.zeros(self.num_envs, dtype=torch.bool)

    def _goal_distance(self) -> Tensor:
        goal = torch.tensor([self.task_cfg.goal_x, 0.0])
        return (self.root_pos[:, :2] - goal).norm(dim=-1)

    def update_jump(self, contact: Tensor, feet_x: Tensor) -> None:
        """Track flights from foot contacts (N, 2) bool and foot x positions (N, 2): take-off from
        the last foot contact, landing at the next contact past the line."""
        line = self.task_cfg.line_x
        on_ground = contact.any(dim=-1)
        contact_x = torch.where(contact, feet_x, torch.full_like(feet_x, float("inf"))).min(dim=-1).values
        landing = on_ground & self.was_airborne & (contact_x > line)
        self.jump_length = torch.where(landing & self.takeoff_ok, contact_x - line, torch.zeros_like(contact_x))
        self.landed = landing
        took_off = ~on_ground & ~self.was_airborne
        self.takeoff_ok = torch.where(took_off, self.last_contact_x <= line, self.takeoff_ok)
        self.last_contact_x = torch.where(on_ground, torch.where(contact, feet_x, -torch.full_like(feet_x, float("inf"))).max(dim=-1).values, self.last_contact_x)
        self.was_airborne = ~on_ground

    def task_obs(self) -> Tensor:
        c = self.task_cfg
        zeros = torch.zeros(self.num_envs)
        line = self.to_heading(torch.stack([c.line_x - self.root_pos[:, 0], -self.root_pos[:, 1], zeros], dim=-1))
        goal = self.to_heading(torch.stack([c.goal_x - self.root_pos[:, 0], -self.root_pos[:, 1], zeros], dim=-1))
        past = (self.root_pos[:, 0] > c.line_x).float()
        return torch.stack([line[:, 0], line[:, 1], goal[:, 0], past], dim=-1)

    def task_reward(self) -> Tensor:
        self.update_jump(self.sim.ground_contacts()[:, self.feet], self.sim.body_pos[:, self.feet, 0].float())
        d = self._goal_distance()
        past = self.root_pos[:, 0] > self.task_cfg.line_x
        r = long_jump_step_reward(self.d_prev, d, self.root_velocity()[:, 0], self.root_pos[:, 2], past, self.jump_length)
        self.d_prev = d
        return r

    def step_ok(self) -> Tensor:
        return self.jump_length > self.task_cfg.success_length

    def extra_termination(self) -> Tensor:
        """Leaving the corridor fails; a landing ends the episode (its success is step_ok's)."""
        return self.root_pos[:, 1].abs() > self.task_cfg.corridor

    def episode_over(self) -> Tensor:
        return self.landed

    def prior_fn(self, near_steps: tuple[int, ...], num_entities: int, skill_names: tuple[str, ...] = (), clip_gait: GaitOptions | None = None):
        """Hand-written goals: run along the corridor, steering back to its centre line (tasks/priors.py
        long_jump_prior); with clip_gait the run clip's full-body goals (clip_prior.run_gait)."""
        from tasktokens.tasks.clip_prior import run_gait

        c = self.task_cfg
        gait = self.clip_gait(near_steps, run_gait(c.prior_gait_rate)) if clip_gait is not None else None
        prior = long_jump_prior(near_steps, num_entities, self.dt, skill_names, c.prior_speed, c.prior_aim_ahead, c.prior_hold_distance,
                                c.goal_x - c.line_x, gait)
        if has_skills(skill_names, (LEAP_SKILL,)):  # a BFM distilled on a leap clip: its token before the line
            return with_leap(prior, skill_names, c.prior_leap_distance)
        return prior

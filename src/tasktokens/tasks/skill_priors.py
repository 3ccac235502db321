"""Priors for BFMs distilled on side steps, backward steps, standing reaches and a leap.

Which goals a prior may use depends on what the BFM learned, and its skill labels say so
(motion/labels.py: the labels of the clips it was distilled on). BFM v4 and v5 have none of these
labels, so their priors stay those of tasks/priors.py; a BFM with them (v6) gets:
- steering: the velocity command in every frame and the heading turning toward the facing
  command, with the step skill of the velocity relative to the facing (forward, sideways,
  backward; walking or running by speed);
- reach: standing (zero velocity, the current heading, pelvis upright) and the right hand at the
  target in every frame, with the "reach" skill token (the synthesized reach clips' label);
- long_jump: the run, then the "leap" skill token from `leap_distance` m before the line.
Frames: _h is the root heading frame; goal layout in envs/goals.py.
"""

from __future__ import annotations

import math

import torch

from tasktokens.models.bfm import Goals
from tasktokens.tasks.goal_helpers import entity_frames, goal_row, overlay
from tasktokens.tasks.priors import GAIT_SKILLS, goal_times, root_frames, turn_limited

Tensor = torch.Tensor
STEP_SKILLS = {"forward": ("walk", "run"), "sideways": ("walk_sideways", "run_sideways"), "backward": ("walk_backward", "run_backward")}
"""Step skill labels by the velocity's direction relative to the facing: (walking, running)."""
RUN_SPEED = GAIT_SKILLS[-1][1]
"""Commanded speed (m/s) from which the running label of a step skill is shown."""
REACH_SKILL, LEAP_SKILL = "reach", "leap"


def has_skills(skill_names: tuple[str, ...], labels) -> bool:
    """Whether the BFM has every label (so a prior shows them always or never)."""
    return all(label in skill_names for label in labels)


def side_steps(skill_names: tuple[str, ...]) -> bool:
    """The BFM has every step skill: the steering prior may face away from the velocity."""
    return has_skills(skill_names, [label for pair in STEP_SKILLS.values() for label in pair])


def step_skill_ids(skill_names: tuple[str, ...]) -> Tensor:
    """(3, 2) skill ids of STEP_SKILLS: rows forward, sideways, backward; columns walking, running."""
    return torch.tensor([[skill_names.index(label) for label in STEP_SKILLS[k]] for k in ("forward", "sideways", "backward")])


def step_skill(velocity_h: Tensor, facing_h: Tensor, ids: Tensor) -> Tensor:
    """(N,) skill ids (from step_skill_ids) of the step skill for velocities (N, 2) and facings
    (N, 2) in the same frame: forward within 45 degrees of the facing, backward beyond 135,
    sideways between; the running label from RUN_SPEED m/s."""
    cos = (velocity_h * facing_h).sum(-1) / (velocity_h.norm(dim=-1) * facing_h.norm(dim=-1)).clamp_min(1e-6)
    kind = torch.where(cos >= math.cos(math.pi / 4), 0, torch.where(cos <= -math.cos(math.pi / 4), 2, 1))
    running = (velocity_h.norm(dim=-1) >= RUN_SPEED).long()
    return ids.to(velocity_h.device)[kind, running]


def facing_steering_prior(near_steps: tuple[int, ...], num_entities: int, dt: float, skill_names: tuple[str, ...]):
    """steering for a BFM with side and backward steps: task = (direction (2) _h, speed (1),
    facing (2) _h); the velocity direction * speed in every goal frame, the heading turning toward
    the facing at TURN_RATE, the step skill of the velocity relative to the facing."""
    times_cpu, ids = goal_times(near_steps, dt), step_skill_ids(skill_names)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed, facing, times = task[:, :2], task[:, 2:3], task[:, 3:5], times_cpu.to(task.device)
        heading = turn_limited(torch.atan2(facing[:, 1], facing[:, 0]), times)
        velocity = (d * speed)[:, None, :].expand(-1, times.numel(), -1)
        return Goals(root_frames(velocity, heading, num_entities), times.expand(task.shape[0], -1), step_skill(d * speed, facing, ids))

    return prior


def standing_reach_prior(near_steps: tuple[int, ...], num_entities: int, dt: float, hand_entity: int, skill_names: tuple[str, ...]):
    """reach for a BFM distilled on standing reaches: task's first 3 entries = the target relative
    to the root, _h; every goal frame shows the root standing (zero velocity, the current heading,
    pelvis upright) and the hand at the target (translation), with the reach skill token."""
    times_cpu = goal_times(near_steps, dt)
    skill_id = skill_names.index(REACH_SKILL)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n, times = task.shape[0], times_cpu.to(task.device)
        f = times.numel()
        stand = root_frames(task.new_zeros(n, f, 2), task.new_zeros(n, f), num_entities)
        hand = entity_frames({hand_entity: goal_row(translation=task[:, :3])}, f, num_entities)
        return Goals(overlay(stand, hand), times.expand(n, -1), torch.full((n,), skill_id, device=task.device))

    return prior


def with_leap(prior, skill_names: tuple[str, ...], leap_distance: float):
    """long_jump: the run prior's goals, but the "leap" skill token while the take-off line (task's
    first entry: its x in the heading frame, m) is within leap_distance m ahead."""
    leap_id = skill_names.index(LEAP_SKILL)

    def leaping(proprio: Tensor, task: Tensor) -> Goals:
        goals = prior(proprio, task)
        near = (task[:, 0] >= 0.0) & (task[:, 0] <= leap_distance)
        skill = goals.skill if goals.skill is not None else torch.full_like(near, -1, dtype=torch.long)
        return Goals(goals.frames, goals.times, torch.where(near, torch.full_like(skill, leap_id), skill))

    return leaping

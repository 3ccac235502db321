"""Hand-written goals (priors) for hybrid control, through the BFM's own goal inputs.

A prior maps (proprioception (N, P), raw task observation (N, T)) to Goals; it sees only what the
policy sees. Goal layout: envs/goals.py (the root pseudo-body is the last entity; translation =
(planar velocity _h, root height), rotation = (cos, sin) of the heading change).
"""

from __future__ import annotations

import torch

from tasktokens.envs.goals import GOAL_FEATURES, TRANS
from tasktokens.models.bfm import Goals

Tensor = torch.Tensor
PELVIS_HEIGHT = 0.85
"""Pelvis height of the character walking upright (m), from the MIT walk clips."""


def place(row: Tensor, num_frames: int, num_entities: int, frame: int, entity: int) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES + 2) that are zero (masked) except one entity row
    (N, GOAL_FEATURES + 2) in one frame. Built without in-place writes so it exports to ONNX."""
    n, width = row.shape
    ent = [torch.zeros(n, entity, width), row[:, None, :], torch.zeros(n, num_entities - entity - 1, width)]
    filled = torch.cat(ent, dim=1)
    empty = torch.zeros(n, num_entities, width)
    return torch.stack([filled if f == frame % num_frames else empty for f in range(num_frames)], dim=1)


FAR_SECONDS = 1.0
"""How far ahead the far goal frame of a root prior is (distillation: 10-90 steps)."""
TURN_RATE = 2.0
"""Heading change per second a root prior asks for (rad/s): a goal heading is clamped to what a
walk turns in each frame's time, as the reference headings of the clips did."""


def goal_times(near_steps: tuple[int, ...], dt: float) -> Tensor:
    """(F,) seconds ahead of each goal frame: the BFM's near steps (BFMConfig.near_steps) times
    dt, then FAR_SECONDS. Distillation shows a mask in every near frame at once, so root priors
    fill all of them: a root goal in the first frame only never occurred in training (the v0 BFM
    fell in 73% of 200-step episodes under it at 1 m/s, 31% with all near frames filled;
    docs/bfm-and-task-tokens.md)."""
    return torch.tensor([k * dt for k in near_steps] + [FAR_SECONDS])


def turn_limited(angle: Tensor, times: Tensor) -> Tensor:
    """Heading change (N,) rad clamped to +-TURN_RATE * t for each frame time t (F,): (N, F)."""
    limit = TURN_RATE * times[None, :]
    return torch.minimum(torch.maximum(angle[:, None], -limit), limit)


def root_frames(velocity_h: Tensor, heading: Tensor, num_entities: int) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES + 2) showing only the root pseudo-body, both channels:
    planar velocity (N, F, 2) _h and pelvis height (translation), heading change (N, F) rad
    relative to the current heading (rotation). Built without in-place writes (ONNX export)."""
    n, f = heading.shape
    row = torch.cat([velocity_h, torch.full((n, f, 1), PELVIS_HEIGHT), torch.cos(heading)[..., None], torch.sin(heading)[..., None],
                     torch.zeros(n, f, GOAL_FEATURES - TRANS - 2), torch.ones(n, f, 2)], dim=-1)
    return torch.cat([torch.zeros(n, f, num_entities - 1, row.shape[-1]), row[:, :, None, :]], dim=2)


def direction_prior(near_steps: tuple[int, ...], num_entities: int, dt: float):
    """direction: in every goal frame, the commanded speed along a heading that turns toward the
    commanded direction at TURN_RATE; pelvis upright."""
    times = goal_times(near_steps, dt)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed = task[:, :2], task[:, 2:3]
        heading = turn_limited(torch.atan2(d[:, 1], d[:, 0]), times)
        velocity = speed[:, :, None] * torch.stack([torch.cos(heading), torch.sin(heading)], dim=-1)
        return Goals(root_frames(velocity, heading, num_entities), times.expand(task.shape[0], -1))

    return prior


def steering_prior(near_steps: tuple[int, ...], num_entities: int, dt: float):
    """steering: the commanded velocity in every goal frame, with a heading that turns toward the
    commanded facing at TURN_RATE."""
    times = goal_times(near_steps, dt)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed, facing = task[:, :2], task[:, 2:3], task[:, 3:5]
        heading = turn_limited(torch.atan2(facing[:, 1], facing[:, 0]), times)
        velocity = (d * speed)[:, None, :].expand(-1, times.numel(), -1)
        return Goals(root_frames(velocity, heading, num_entities), times.expand(task.shape[0], -1))

    return prior


def reach_prior(near_steps: tuple[int, ...], num_entities: int, dt: float, right_hand_entity: int):
    """reach: the right hand at the target (translation channel) in the far frame, FAR_SECONDS
    ahead; the near frames stay hidden."""
    times = goal_times(near_steps, dt)
    num_frames = times.numel()

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        bits = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)], dim=-1)  # translation only
        row = torch.cat([task[:, :3], torch.zeros(n, GOAL_FEATURES - TRANS), bits], dim=-1)
        frames = place(row, num_frames, num_entities, num_frames - 1, right_hand_entity)
        return Goals(frames, times.expand(n, -1))

    return prior

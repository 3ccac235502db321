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


def root_row(velocity_h: Tensor, heading_h: Tensor) -> Tensor:
    """Root pseudo-body row: planar velocity (N, 2) and pelvis height (translation), heading
    (N, 2 unit, heading frame) (rotation), both mask bits on."""
    n = velocity_h.shape[0]
    return torch.cat([velocity_h, torch.full((n, 1), PELVIS_HEIGHT), heading_h, torch.zeros(n, GOAL_FEATURES - TRANS - 2), torch.ones(n, 2)], dim=-1)


def direction_prior(num_frames: int, num_entities: int, dt: float):
    """direction: move at the commanded planar velocity, facing where it goes, pelvis upright."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed = task[:, :2], task[:, 2:3]
        frames = place(root_row(d * speed, d), num_frames, num_entities, 0, num_entities - 1)
        return Goals(frames, torch.full((task.shape[0], num_frames), dt))

    return prior


def steering_prior(num_frames: int, num_entities: int, dt: float):
    """steering: the commanded velocity with the heading of the commanded facing."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed, facing = task[:, :2], task[:, 2:3], task[:, 3:5]
        frames = place(root_row(d * speed, facing), num_frames, num_entities, 0, num_entities - 1)
        return Goals(frames, torch.full((task.shape[0], num_frames), dt))

    return prior


def reach_prior(num_frames: int, num_entities: int, dt: float, right_hand_entity: int, seconds: float = 1.0):
    """reach: the right hand at the target (translation channel) in the far frame, 1 s ahead."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        bits = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)], dim=-1)  # translation only
        row = torch.cat([task[:, :3], torch.zeros(n, GOAL_FEATURES - TRANS), bits], dim=-1)
        frames = place(row, num_frames, num_entities, num_frames - 1, right_hand_entity)
        times = torch.cat([torch.full((n, num_frames - 1), dt), torch.full((n, 1), seconds)], dim=-1)
        return Goals(frames, times)

    return prior

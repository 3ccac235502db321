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


def _empty(n: int, num_frames: int, num_entities: int) -> Tensor:
    return torch.zeros(n, num_frames, num_entities, GOAL_FEATURES + 2)


def root_goal(n: int, num_frames: int, num_entities: int, velocity_h: Tensor, heading_h: Tensor, frame: int = 0) -> Tensor:
    """Goal frames with only the root pseudo-body set in `frame`: planar velocity (N, 2) and pelvis
    height (translation), heading (N, 2 unit, heading frame) (rotation)."""
    g = _empty(n, num_frames, num_entities)
    root = g[:, frame, -1]
    root[:, 0:2] = velocity_h
    root[:, 2] = PELVIS_HEIGHT
    root[:, TRANS : TRANS + 2] = heading_h
    root[:, -2:] = 1.0
    return g


def direction_prior(num_frames: int, num_entities: int, dt: float):
    """direction: move at the commanded planar velocity, facing where it goes, pelvis upright."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        d, speed = task[:, :2], task[:, 2:3]
        frames = root_goal(n, num_frames, num_entities, d * speed, d)
        return Goals(frames, torch.full((n, num_frames), dt))

    return prior


def steering_prior(num_frames: int, num_entities: int, dt: float):
    """steering: the commanded velocity with the heading of the commanded facing."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        d, speed, facing = task[:, :2], task[:, 2:3], task[:, 3:5]
        frames = root_goal(n, num_frames, num_entities, d * speed, facing)
        return Goals(frames, torch.full((n, num_frames), dt))

    return prior


def reach_prior(num_frames: int, num_entities: int, dt: float, right_hand_entity: int, seconds: float = 1.0):
    """reach: the right hand at the target (translation channel) in the far frame, 1 s ahead."""

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        g = _empty(n, num_frames, num_entities)
        hand = g[:, -1, right_hand_entity]
        hand[:, :TRANS] = task[:, :3]
        hand[:, -2] = 1.0  # translation only
        times = torch.full((n, num_frames), dt)
        times[:, -1] = seconds
        return Goals(g, times)

    return prior

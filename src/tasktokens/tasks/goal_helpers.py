"""Helpers for writing priors: the proprioception read by body, partial goals (height only,
planar only), goal frames that keep the BFM's mask rule, and the check of that rule.

Proprioception (envs/observations.py compute_proprioception), B bodies, root first (body indices:
Character.body_index): root height (1) | non-root body positions relative to the root, _h
((B-1) x 3) | body 6-D rotations _h (B x 6) | body linear velocities _h (B x 3) | body angular
velocities _h (B x 3); P = 15 B - 2.

Goal row of one entity (envs/goals.py; entity indices: Character.conditionable_bodies, then the
root pseudo-body last): translation (3) | rotation (6) | mask bits (translation, rotation). A body's
translation is its target position relative to the current root, _h; the root pseudo-body's is
(target planar velocity _h (2), target root height (1)). A channel is all or nothing, so a partial
goal fills the components it leaves free from the current state (height_goal, planar_goal, ...).

The mask rule: distillation showed an entity's mask in every near frame at once (the far frame
has the same mask or none), so a prior must show an entity's channel in all near frames or in
none; check_near_frames raises on a prior that breaks it. Everything here builds its tensors
without in-place writes, so priors made of it export to ONNX.
"""

from __future__ import annotations

import torch

from tasktokens.envs.goals import GOAL_FEATURES, ROT, TRANS

Tensor = torch.Tensor


# --- the proprioception by body -------------------------------------------------------------------
def num_bodies(proprio: Tensor) -> int:
    """B, the bodies behind proprioception (N, P = 15 B - 2)."""
    p = proprio.shape[-1]
    if (p + 2) % 15:
        raise ValueError(f"proprioception of width {p} is not 15 B - 2 for any body count B (envs/observations.py)")
    return (p + 2) // 15


def root_height(proprio: Tensor) -> Tensor:
    """(N,) root (pelvis) height above the ground, m."""
    return proprio[:, 0]


def body_positions_h(proprio: Tensor) -> Tensor:
    """(N, B, 3) body positions relative to the root, _h (the root's row is zero)."""
    n, b = proprio.shape[0], num_bodies(proprio)
    rest = proprio[:, 1 : 1 + 3 * (b - 1)].reshape(n, b - 1, 3)
    return torch.cat([rest.new_zeros(n, 1, 3), rest], dim=1)


def body_heights(proprio: Tensor) -> Tensor:
    """(N, B) body heights above the ground, m (the heading frame keeps z)."""
    return root_height(proprio)[:, None] + body_positions_h(proprio)[..., 2]


def body_velocities_h(proprio: Tensor) -> Tensor:
    """(N, B, 3) body linear velocities, _h (m/s)."""
    n, b = proprio.shape[0], num_bodies(proprio)
    start = 1 + 3 * (b - 1) + 6 * b
    return proprio[:, start : start + 3 * b].reshape(n, b, 3)


def _per_env(value: float | Tensor, like: Tensor) -> Tensor:
    """value as (N,) on like's device and dtype: a number for every environment, or (N,) as is."""
    if isinstance(value, Tensor):
        return value.to(like).expand(like.shape[0])
    return like.new_full((like.shape[0],), float(value))


# --- partial goals: translations with the free components from the current state -------------------
def height_goal(proprio: Tensor, body: int, height: float | Tensor) -> Tensor:
    """(N, 3) translation _h of body (index in the proprioception's bodies): at height m above
    the ground (a number or (N,)), where it is now in the plane."""
    pos = body_positions_h(proprio)[:, body]
    return torch.cat([pos[:, :2], (_per_env(height, proprio) - root_height(proprio))[:, None]], dim=-1)


def planar_goal(proprio: Tensor, body: int, offset_xy_h: Tensor) -> Tensor:
    """(N, 3) translation _h of body: at the planar offset (N, 2) _h from the root, at its current
    height."""
    return torch.cat([offset_xy_h, body_positions_h(proprio)[:, body, 2:]], dim=-1)


def root_height_goal(proprio: Tensor, height: float | Tensor) -> Tensor:
    """(N, 3) root pseudo-body translation: root height m (a number or (N,)), the current planar
    velocity _h (go on as now)."""
    return torch.cat([body_velocities_h(proprio)[:, 0, :2], _per_env(height, proprio)[:, None]], dim=-1)


def root_planar_goal(proprio: Tensor, velocity_xy_h: Tensor) -> Tensor:
    """(N, 3) root pseudo-body translation: planar velocity (N, 2) _h, the current root height."""
    return torch.cat([velocity_xy_h, root_height(proprio)[:, None]], dim=-1)


# --- goal rows and frames ------------------------------------------------------------------------
def goal_row(translation: Tensor | None = None, rotation: Tensor | None = None) -> Tensor:
    """One entity's goal row (N, GOAL_FEATURES + 2) from its translation (N, 3) and/or rotation
    (N, 6) channel (6-D rotation _h; the root's: cos, sin of the heading change, then zeros); a
    channel left out is zero with its mask bit off."""
    like = translation if translation is not None else rotation
    if like is None:
        raise ValueError("goal_row needs a translation or a rotation channel")
    n = like.shape[0]
    trans = translation if translation is not None else like.new_zeros(n, TRANS)
    rot6 = rotation if rotation is not None else like.new_zeros(n, ROT)
    bits = [like.new_full((n, 1), float(c is not None)) for c in (translation, rotation)]
    return torch.cat([trans, rot6, *bits], dim=-1)


def entity_frames(rows: dict[int, Tensor], num_frames: int, num_entities: int, far: bool = True) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES + 2) showing each entity's row (N, GOAL_FEATURES + 2)
    (goal_row) in every near frame, and in the far frame (the last) when far; every other entity
    masked. Keeps the mask rule by construction."""
    like = next(iter(rows.values()))
    n, width = like.shape[0], GOAL_FEATURES + 2
    empty = like.new_zeros(n, width)
    frame = torch.stack([rows.get(e, empty) for e in range(num_entities)], dim=1)
    blank = torch.zeros_like(frame)
    return torch.stack([frame if f < num_frames - 1 or far else blank for f in range(num_frames)], dim=1)


def overlay(base: Tensor, top: Tensor) -> Tensor:
    """Goal frames (N, F, E, W): top's entity rows where they have a mask bit on, base's elsewhere
    (e.g. a root height goal over a hand goal)."""
    shown = top[..., -2:].sum(dim=-1, keepdim=True) > 0
    return torch.where(shown, top, base)


# --- the mask rule -------------------------------------------------------------------------------
def check_near_frames(frames: Tensor) -> None:
    """Raise ValueError when goal frames (N, F, E, W) (the near frames, then the far frame) show an
    entity's channel in some near frames but not in others: the BFM never saw such masks."""
    if frames.shape[1] < 3:
        return
    bits = frames[:, :-1, :, -2:] > 0  # (N, F - 1, E, 2)
    broken = bits.any(dim=1) & ~bits.all(dim=1)
    if not bool(broken.any()):
        return
    n, entity, channel = (int(i) for i in broken.nonzero()[0])
    on = bits[n, :, entity, channel].nonzero().squeeze(-1).tolist()
    raise ValueError(
        f"a prior's goals show entity {entity} (Character.conditionable_bodies order, the root pseudo-body last)'s "
        f"{('translation', 'rotation')[channel]} in near frames {on} but not in all {bits.shape[1]} (environment {n}): "
        "a goal must appear in every near frame or in none, as in distillation (docs/priors.md; tasks/goal_helpers.py "
        "entity_frames keeps the rule)"
    )

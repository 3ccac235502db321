"""Goal features of the BFM: per goal frame, one row per conditionable body plus a root
pseudo-body, each with a translation channel, a rotation channel and one mask bit per channel.

Layout of one goal frame, (E, GOAL_FEATURES) with E = len(conditionable bodies) + 1:
- bodies: translation = target body position relative to the current root, _h (3);
  rotation = target body rotation in the current heading frame, 6-D (6);
- root pseudo-body (last row): translation = (target planar root velocity _h (2), target root
  height (1)); rotation = (cos, sin) of the target heading relative to the current heading, then
  zeros (6).
Masked channels are zeroed; the mask bits say which channels are present.
"""

from __future__ import annotations

import torch

from tasktokens import rotations as rot

Tensor = torch.Tensor
TRANS, ROT = 3, 6
GOAL_FEATURES = TRANS + ROT  # per entity, before the two mask bits


def goal_frame_from_reference(cur_root_pos: Tensor, cur_root_quat: Tensor, ref_body_pos: Tensor, ref_body_quat: Tensor,
                              ref_root_lin_vel: Tensor, body_idx: Tensor) -> Tensor:
    """All channels of one goal frame from a reference state.

    cur_root_pos (N, 3) _w, cur_root_quat (N, 4) _w; ref_body_pos (N, B, 3) _w, ref_body_quat
    (N, B, 4) _w, ref_root_lin_vel (N, 3) _w; body_idx (C,) conditionable bodies.
    Returns (N, C + 1, GOAL_FEATURES), unmasked.
    """
    n = cur_root_pos.shape[0]
    c = body_idx.numel()
    heading_inv = rot.heading_quat_inverse(cur_root_quat)  # (N, 4)
    h = heading_inv[:, None, :].expand(n, c, 4)
    trans = rot.quat_rotate(h, ref_body_pos[:, body_idx] - cur_root_pos[:, None, :])
    rot6 = rot.quat_to_tan_norm(rot.quat_mul(h, ref_body_quat[:, body_idx]))
    vel_h = rot.quat_rotate(heading_inv, ref_root_lin_vel)
    root_trans = torch.stack([vel_h[:, 0], vel_h[:, 1], ref_body_pos[:, 0, 2]], dim=-1)
    dpsi = rot.heading_angle(ref_body_quat[:, 0]) - rot.heading_angle(cur_root_quat)
    root_rot = torch.cat([torch.cos(dpsi)[:, None], torch.sin(dpsi)[:, None], dpsi.new_zeros(n, 4)], dim=-1)
    bodies = torch.cat([trans, rot6], dim=-1)
    root = torch.cat([root_trans, root_rot], dim=-1)[:, None, :]
    return torch.cat([bodies, root], dim=1)


def apply_goal_mask(frame: Tensor, mask: Tensor) -> Tensor:
    """Zero the masked channels and append the mask bits.

    frame (..., E, GOAL_FEATURES); mask (..., E, 2) bool (translation, rotation).
    Returns (..., E, GOAL_FEATURES + 2)."""
    m = mask.to(frame.dtype)
    trans = frame[..., :TRANS] * m[..., :1]
    rotation = frame[..., TRANS:] * m[..., 1:]
    return torch.cat([trans, rotation, m], dim=-1)

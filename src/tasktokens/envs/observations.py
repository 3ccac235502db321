"""Observation functions: pure tensor maps from world-frame body states to policy inputs.

Suffixes: ``_w`` world frame, ``_h`` the root's heading frame (world rotated by the root's yaw,
origin at the root for positions). B = number of bodies, root first.
"""

from __future__ import annotations

import torch

from tasktokens import rotations as rot

Tensor = torch.Tensor


def proprioception_size(num_bodies: int) -> int:
    """1 (root height) + (B-1)*3 positions + B*6 rotations + B*3 lin vel + B*3 ang vel."""
    return 1 + (num_bodies - 1) * 3 + num_bodies * 12


def compute_proprioception(body_pos_w: Tensor, body_quat_w: Tensor, body_lin_vel_w: Tensor, body_ang_vel_w: Tensor) -> Tensor:
    """MaskedMimic-style proprioception in the root heading frame.

    Args: body_pos_w (N, B, 3), body_quat_w (N, B, 4) (w, x, y, z), body_lin_vel_w (N, B, 3),
    body_ang_vel_w (N, B, 3); body 0 is the root.
    Returns (N, proprioception_size(B)): root height; non-root body positions relative to the
    root, _h; body 6-D rotations _h; body linear and angular velocities _h.
    """
    n, b = body_pos_w.shape[:2]
    heading_inv = rot.heading_quat_inverse(body_quat_w[:, 0])  # (N, 4)
    h = heading_inv[:, None, :].expand(n, b, 4)
    root_h = body_pos_w[:, :1, 2]
    local_pos_h = rot.quat_rotate(h[:, 1:], body_pos_w[:, 1:] - body_pos_w[:, :1])
    quat_h = rot.quat_mul(h, body_quat_w)
    lin_h = rot.quat_rotate(h, body_lin_vel_w)
    ang_h = rot.quat_rotate(h, body_ang_vel_w)
    return torch.cat(
        [root_h, local_pos_h.reshape(n, -1), rot.quat_to_tan_norm(quat_h).reshape(n, -1), lin_h.reshape(n, -1), ang_h.reshape(n, -1)],
        dim=-1,
    )


def fall_detected(ground_contact: Tensor, allowed: Tensor) -> Tensor:
    """(N,) bool: some body other than the allowed ones (feet) touches the ground.

    ground_contact (N, B) bool; allowed (B,) bool."""
    return (ground_contact & ~allowed).any(dim=-1)

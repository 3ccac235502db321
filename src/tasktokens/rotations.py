"""Rotations as pure torch functions.

Quaternion order, for the whole project: **(w, x, y, z)**, scalar first, MuJoCo's order.
All functions broadcast over leading dimensions; the last dimension holds the quaternion (4),
vector (3) or 6-D rotation (6). World frame is z-up; "heading" is the yaw about world z.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor


def wrap_angle(angle: Tensor) -> Tensor:
    """Angles (radians, any shape) wrapped to [-pi, pi)."""
    return torch.remainder(angle + torch.pi, 2 * torch.pi) - torch.pi


def quat_normalize(q: Tensor) -> Tensor:
    """Unit quaternion, (..., 4) -> (..., 4)."""
    return q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def quat_conjugate(q: Tensor) -> Tensor:
    """Inverse of a unit quaternion, (..., 4)."""
    return torch.cat([q[..., :1], -q[..., 1:]], dim=-1)


def quat_mul(a: Tensor, b: Tensor) -> Tensor:
    """Hamilton product a * b (apply b, then a), (..., 4)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        dim=-1,
    )


def quat_rotate(q: Tensor, v: Tensor) -> Tensor:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4)."""
    w, u = q[..., :1], q[..., 1:]
    t = 2.0 * torch.linalg.cross(u, v, dim=-1)
    return v + w * t + torch.linalg.cross(u, t, dim=-1)


def quat_rotate_inverse(q: Tensor, v: Tensor) -> Tensor:
    """Rotate vectors v (..., 3) by the inverse of unit quaternions q (..., 4)."""
    return quat_rotate(quat_conjugate(q), v)


def quat_from_axis_angle(axis: Tensor, angle: Tensor) -> Tensor:
    """Quaternion of a rotation by angle (...,) about unit axis (..., 3)."""
    half = 0.5 * angle.unsqueeze(-1)
    return torch.cat([torch.cos(half), torch.sin(half) * axis], dim=-1)


def quat_from_yaw(yaw: Tensor) -> Tensor:
    """Rotation about world z by yaw (...,) radians, (..., 4)."""
    zeros = torch.zeros_like(yaw)
    half = 0.5 * yaw
    return torch.stack([torch.cos(half), zeros, zeros, torch.sin(half)], dim=-1)


def quat_to_rotvec(q: Tensor) -> Tensor:
    """Exponential-map (axis * angle, angle in [0, pi]) of unit quaternions, (..., 4) -> (..., 3)."""
    q = torch.where(q[..., :1] < 0, -q, q)  # shortest rotation
    sin_half = q[..., 1:].norm(dim=-1, keepdim=True)
    angle = 2.0 * torch.atan2(sin_half, q[..., :1])
    # angle / sin(angle/2) -> 2 as angle -> 0; use the series limit near zero.
    scale = torch.where(sin_half > 1e-8, angle / sin_half.clamp_min(1e-8), torch.full_like(angle, 2.0))
    return q[..., 1:] * scale


def rotvec_to_quat(r: Tensor) -> Tensor:
    """Unit quaternion of rotation vectors (axis * angle), (..., 3) -> (..., 4)."""
    angle = r.norm(dim=-1, keepdim=True)
    half = 0.5 * angle
    # sin(half)/angle -> 0.5 as angle -> 0.
    scale = torch.where(angle > 1e-8, torch.sin(half) / angle.clamp_min(1e-8), torch.full_like(angle, 0.5))
    return torch.cat([torch.cos(half), r * scale], dim=-1)


def quat_to_matrix(q: Tensor) -> Tensor:
    """Rotation matrices of unit quaternions, (..., 4) -> (..., 3, 3)."""
    w, x, y, z = q.unbind(-1)
    return torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    ).reshape(q.shape[:-1] + (3, 3))


def quat_to_tan_norm(q: Tensor) -> Tensor:
    """6-D rotation (first two columns of the rotation matrix: local x and z axes in the
    parent frame, as in MaskedMimic's tan/norm), (..., 4) -> (..., 6)."""
    m = quat_to_matrix(q)
    return torch.cat([m[..., :, 0], m[..., :, 2]], dim=-1)


def heading_angle(q: Tensor) -> Tensor:
    """Yaw of the body's local x axis projected on the ground plane, (..., 4) -> (...,)."""
    x_axis = quat_rotate(q, torch.tensor([1.0, 0.0, 0.0], dtype=q.dtype).expand(q.shape[:-1] + (3,)))
    return torch.atan2(x_axis[..., 1], x_axis[..., 0])


def heading_quat_inverse(q: Tensor) -> Tensor:
    """Rotation that takes world-frame vectors into the heading frame of q, (..., 4)."""
    return quat_from_yaw(-heading_angle(q))


def quat_slerp(q0: Tensor, q1: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation from q0 to q1 by fraction t (...,) along the shorter arc."""
    t = t.unsqueeze(-1)
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    theta = torch.acos(dot)
    sin_theta = torch.sin(theta)
    near = sin_theta < 1e-6  # almost equal: linear blend is exact to first order
    w0 = torch.where(near, 1.0 - t, torch.sin((1.0 - t) * theta) / sin_theta.clamp_min(1e-6))
    w1 = torch.where(near, t, torch.sin(t * theta) / sin_theta.clamp_min(1e-6))
    return quat_normalize(w0 * q0 + w1 * q1)


def quat_angle_between(a: Tensor, b: Tensor) -> Tensor:
    """Angle (radians, [0, pi]) of the rotation from a to b, (..., 4) -> (...,)."""
    dot = (a * b).sum(-1).abs().clamp(max=1.0)
    return 2.0 * torch.acos(dot)

"""Naturalness without a human study: how close short windows of a motion stay to the motion data.

Per frame (30 Hz): body positions relative to the root in the root heading frame and their
velocities, root height, root planar velocity in the heading frame and yaw rate. A window stacks W consecutive frames. The
score of a motion is the mean, over its windows, of the distance to the nearest window of the
motion data (features standardised by the data's mean and std). Lower is more natural; mocap
itself scores near 0, jittery or frozen motion clearly higher (tested).
"""

from __future__ import annotations

import torch

from tasktokens import rotations as rot
from tasktokens.motion.motion_lib import MotionLib

Tensor = torch.Tensor


def frame_features(body_pos_w: Tensor, body_quat_w: Tensor, dt: float) -> Tensor:
    """(T, N, B, 3) positions and (T, N, B, 4) rotations of a sequence -> (T - 1, N, F) features."""
    t, n, b = body_pos_w.shape[:3]
    root_q = body_quat_w[..., 0, :]
    heading_inv = rot.heading_quat_inverse(root_q)  # (T, N, 4)
    local = rot.quat_rotate(heading_inv[..., None, :].expand(t, n, b - 1, 4), body_pos_w[..., 1:, :] - body_pos_w[..., :1, :])
    root = body_pos_w[..., 0, :]
    vel_w = (root[1:] - root[:-1]) / dt
    vel_h = rot.quat_rotate(heading_inv[:-1], vel_w)[..., :2]
    yaw = rot.heading_angle(root_q)
    yaw_rate = rot.wrap_angle(yaw[1:] - yaw[:-1])
    local_vel = (local[1:] - local[:-1]) / dt  # how the limbs move relative to the root
    return torch.cat([local[:-1].flatten(-2), local_vel.flatten(-2), root[:-1, :, 2:3], vel_h, (yaw_rate / dt)[..., None]], dim=-1)


def windows(features: Tensor, size: int, stride: int = 1) -> Tensor:
    """(T, N, F) -> (num_windows * N, size * F)."""
    w = features.unfold(0, size, stride)  # (num_windows, N, F, size)
    return w.permute(0, 1, 3, 2).flatten(2).flatten(0, 1)


class NaturalnessScorer:
    """Nearest-neighbour distance of motion windows to the windows of a motion library."""

    def __init__(self, lib: MotionLib, window: int = 5, fps: float = 30.0, exclude: tuple[str, ...] = ()):
        self.window, self.dt = window, 1.0 / fps
        data = []
        for cid, clip in enumerate(lib.clips):
            if clip.name in exclude:
                continue
            times = torch.arange(0.0, float(lib.duration[cid]), self.dt)
            if times.numel() < window + 1:
                continue
            st = lib.state(torch.full_like(times, cid, dtype=torch.long), times)
            data.append(windows(frame_features(st.body_pos[:, None], st.body_quat[:, None], self.dt), window))
        db = torch.cat(data)
        self.mean, self.std = db.mean(0), db.std(0).clamp_min(1e-3)
        self.db = (db - self.mean) / self.std

    def distances(self, body_pos_w: Tensor, body_quat_w: Tensor) -> Tensor:
        """(num_windows * N,) nearest-neighbour distances of a (T, N, B, ·) motion's windows."""
        q = (windows(frame_features(body_pos_w, body_quat_w, self.dt), self.window) - self.mean) / self.std
        out = [torch.cdist(chunk, self.db).min(dim=1).values for chunk in q.split(2048)]
        return torch.cat(out) / q.shape[1] ** 0.5  # per-feature RMS scale

    def score(self, body_pos_w: Tensor, body_quat_w: Tensor) -> float:
        """Mean nearest-neighbour distance (lower is more natural)."""
        return float(self.distances(body_pos_w, body_quat_w).mean())

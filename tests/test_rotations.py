"""tasktokens.rotations against independent constructions (Rodrigues' formula, matrices)."""

from __future__ import annotations

import math

import pytest
import torch

from tasktokens import rotations as rot


@pytest.fixture(autouse=True)
def _float64():
    """Exact comparisons need double precision; restore the default afterwards."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def random_quats(n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return rot.quat_normalize(torch.randn(n, 4, generator=g, dtype=torch.float64))


def rodrigues(axis: torch.Tensor, angle: float) -> torch.Tensor:
    """Rotation matrix by angle about a unit axis, built without quaternions."""
    x, y, z = axis.tolist()
    k = torch.tensor([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return torch.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


def same_rotation(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-9) -> bool:
    """q and -q are the same rotation."""
    return bool(torch.all(torch.minimum((a - b).abs().amax(-1), (a + b).abs().amax(-1)) < atol))


def test_quaternion_order_is_wxyz_and_matches_rodrigues():
    axis = torch.tensor([1.0, 2.0, -0.5])
    axis = axis / axis.norm()
    q = rot.quat_from_axis_angle(axis, torch.tensor(0.7))
    assert q[0] == pytest.approx(math.cos(0.35))  # scalar first
    torch.testing.assert_close(rot.quat_to_matrix(q), rodrigues(axis, 0.7))
    # 90 degrees about z takes x to y
    qz = rot.quat_from_axis_angle(torch.tensor([0.0, 0.0, 1.0]), torch.tensor(math.pi / 2))
    torch.testing.assert_close(rot.quat_rotate(qz, torch.tensor([1.0, 0.0, 0.0])), torch.tensor([0.0, 1.0, 0.0]))


def test_quat_rotate_and_mul_agree_with_matrices():
    a, b = random_quats(64, 1), random_quats(64, 2)
    v = torch.randn(64, 3, generator=torch.Generator().manual_seed(3))
    ma, mb = rot.quat_to_matrix(a), rot.quat_to_matrix(b)
    torch.testing.assert_close(rot.quat_rotate(a, v), (ma @ v[..., None])[..., 0])
    torch.testing.assert_close(rot.quat_rotate_inverse(a, v), (ma.transpose(-1, -2) @ v[..., None])[..., 0])
    # a * b applies b first, then a
    torch.testing.assert_close(rot.quat_to_matrix(rot.quat_mul(a, b)), ma @ mb)
    torch.testing.assert_close(rot.quat_rotate(rot.quat_mul(a, b), v), rot.quat_rotate(a, rot.quat_rotate(b, v)))
    # conjugate is the inverse
    ident = rot.quat_mul(a, rot.quat_conjugate(a))
    torch.testing.assert_close(ident, torch.tensor([1.0, 0.0, 0.0, 0.0]).expand(64, 4))


def test_matrices_are_rotations():
    m = rot.quat_to_matrix(random_quats(32, 4))
    torch.testing.assert_close(m @ m.transpose(-1, -2), torch.eye(3).expand(32, 3, 3))
    torch.testing.assert_close(torch.linalg.det(m), torch.ones(32))


def test_rotvec_round_trip():
    q = random_quats(256, 5)
    r = rot.quat_to_rotvec(q)
    assert torch.all(r.norm(dim=-1) <= math.pi + 1e-9)  # shortest rotation
    assert same_rotation(rot.rotvec_to_quat(r), q)
    # rotation vectors of angle < pi come back unchanged, including tiny and zero ones
    g = torch.Generator().manual_seed(6)
    dirs = torch.nn.functional.normalize(torch.randn(100, 3, generator=g), dim=-1)
    angles = torch.cat([torch.zeros(1), torch.tensor([1e-10, 1e-6]), torch.rand(97, generator=g) * 3.1])
    r = dirs * angles[:, None]
    torch.testing.assert_close(rot.quat_to_rotvec(rot.rotvec_to_quat(r)), r)
    # and the rotation vector is axis * angle
    axis = torch.tensor([0.0, 0.6, 0.8])
    torch.testing.assert_close(rot.quat_to_rotvec(rot.quat_from_axis_angle(axis, torch.tensor(2.0))), 2.0 * axis)
    torch.testing.assert_close(rot.quat_to_rotvec(-rot.quat_from_axis_angle(axis, torch.tensor(2.0))), 2.0 * axis)


def test_slerp_endpoints_and_midpoint():
    q0, q1 = random_quats(50, 7), random_quats(50, 8)
    assert same_rotation(rot.quat_slerp(q0, q1, torch.zeros(50)), q0)
    assert same_rotation(rot.quat_slerp(q0, q1, torch.ones(50)), q1)
    mid = rot.quat_slerp(q0, q1, torch.full((50,), 0.5))
    total = rot.quat_angle_between(q0, q1)
    torch.testing.assert_close(rot.quat_angle_between(q0, mid), total / 2)
    torch.testing.assert_close(rot.quat_angle_between(mid, q1), total / 2)
    # shorter arc: the sign of q1 does not matter
    assert same_rotation(rot.quat_slerp(q0, -q1, torch.full((50,), 0.5)), mid)
    # about a fixed axis, slerp interpolates the angle
    axis = torch.tensor([0.0, 0.0, 1.0])
    a, b = rot.quat_from_axis_angle(axis, torch.tensor(0.2)), rot.quat_from_axis_angle(axis, torch.tensor(1.4))
    torch.testing.assert_close(rot.quat_slerp(a, b, torch.tensor(0.25)), rot.quat_from_axis_angle(axis, torch.tensor(0.5)))
    # (almost) equal quaternions do not produce NaN
    assert torch.isfinite(rot.quat_slerp(q0, q0, torch.full((50,), 0.3))).all()


def test_tan_norm_is_local_x_and_z_axes():
    torch.testing.assert_close(rot.quat_to_tan_norm(torch.tensor([1.0, 0.0, 0.0, 0.0])), torch.tensor([1.0, 0, 0, 0, 0, 1]))
    yaw90 = rot.quat_from_yaw(torch.tensor(math.pi / 2))
    torch.testing.assert_close(rot.quat_to_tan_norm(yaw90), torch.tensor([0.0, 1, 0, 0, 0, 1]))
    q = random_quats(20, 9)
    tn = rot.quat_to_tan_norm(q)
    torch.testing.assert_close(tn[:, :3], rot.quat_rotate(q, torch.tensor([1.0, 0, 0]).expand(20, 3)))
    torch.testing.assert_close(tn[:, 3:], rot.quat_rotate(q, torch.tensor([0.0, 0, 1]).expand(20, 3)))


def test_heading_of_yaw_only_and_tilted_quaternions():
    yaw = torch.linspace(-3.1, 3.1, 41)
    q = rot.quat_from_yaw(yaw)
    torch.testing.assert_close(rot.heading_angle(q), yaw)
    # a pitch or roll about the body's own axes (applied first) does not change the heading
    pitch = rot.quat_from_axis_angle(torch.tensor([0.0, 1.0, 0.0]), torch.tensor(0.4)).expand(41, 4)
    roll = rot.quat_from_axis_angle(torch.tensor([1.0, 0.0, 0.0]), torch.tensor(-0.7)).expand(41, 4)
    torch.testing.assert_close(rot.heading_angle(rot.quat_mul(q, rot.quat_mul(pitch, roll))), yaw)
    # the inverse heading rotation undoes the yaw
    ident = rot.quat_mul(rot.heading_quat_inverse(q), q)
    assert same_rotation(ident, torch.tensor([1.0, 0.0, 0.0, 0.0]).expand(41, 4))


def test_angle_between():
    axis = torch.tensor([0.0, 1.0, 0.0])
    a = rot.quat_from_axis_angle(axis, torch.tensor(0.3))
    b = rot.quat_from_axis_angle(axis, torch.tensor(1.0))
    assert float(rot.quat_angle_between(a, b)) == pytest.approx(0.7)
    assert float(rot.quat_angle_between(a, -a)) == pytest.approx(0.0, abs=1e-6)


def test_wrap_angle_by_hand():
    from tasktokens.rotations import wrap_angle

    angles = torch.tensor([0.0, 3.0, 3.5, -3.5, math.pi, -math.pi, 7.0, -20.0])
    expected = torch.tensor([0.0, 3.0, 3.5 - 2 * math.pi, 2 * math.pi - 3.5, -math.pi, -math.pi, 7.0 - 2 * math.pi, -20.0 + 6 * math.pi])
    assert torch.allclose(wrap_angle(angles), expected, atol=1e-6)
    assert torch.allclose(wrap_angle(torch.full((2, 3), 2 * math.pi)), torch.zeros(2, 3), atol=1e-6)

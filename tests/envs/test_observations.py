"""Proprioception (root heading frame) and fall detection."""

from __future__ import annotations

import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.envs.observations import compute_proprioception, fall_detected, proprioception_size
from tasktokens.sim.batch_sim import SimConfig


def yaw_about_z(qpos: torch.Tensor, qvel: torch.Tensor, yaw: float, shift: tuple[float, float]):
    """The same motion turned by yaw about world z and moved by shift in the ground plane.

    Free joint: position and world linear velocity rotate, the orientation is pre-multiplied, the
    local angular velocity stays; joint coordinates are unchanged."""
    q, v = qpos.clone(), qvel.clone()
    k = q.shape[0]
    r = rot.quat_from_yaw(torch.full((k,), yaw, dtype=q.dtype))
    q[:, :3] = rot.quat_rotate(r, q[:, :3]) + torch.tensor([shift[0], shift[1], 0.0], dtype=q.dtype)
    q[:, 3:7] = rot.quat_mul(r, q[:, 3:7])
    v[:, :3] = rot.quat_rotate(r, v[:, :3])
    return q, v


def test_proprioception_size():
    assert proprioception_size(15) == 1 + 14 * 3 + 15 * 6 + 15 * 3 + 15 * 3 == 223


def test_proprioception_of_an_upright_character_at_the_origin():
    b = 3
    pos = torch.tensor([[[0.0, 0.0, 0.9], [0.1, 0.0, 1.2], [0.0, -0.2, 0.5]]])
    quat = torch.tensor([1.0, 0.0, 0.0, 0.0]).expand(1, b, 4)
    lin = torch.tensor([[[1.0, 0.0, 0.0]] * b])
    ang = torch.zeros(1, b, 3)
    obs = compute_proprioception(pos, quat, lin, ang)
    assert obs.shape == (1, proprioception_size(b))
    assert obs[0, 0] == pytest.approx(0.9)  # root height
    torch.testing.assert_close(obs[0, 1:7], torch.tensor([0.1, 0.0, 0.3, 0.0, -0.2, -0.4]))
    # turned by 90 degrees: the same observation (heading frame)
    r = rot.quat_from_yaw(torch.tensor(math.pi / 2)).expand(1, b, 4)
    obs2 = compute_proprioception(rot.quat_rotate(r, pos), rot.quat_mul(r, quat), rot.quat_rotate(r, lin), ang)
    torch.testing.assert_close(obs2, obs)


@pytest.mark.parametrize("yaw", [0.7, -2.5, math.pi])
def test_proprioception_invariant_to_world_yaw_and_translation(character, small_lib, yaw):
    lib = small_lib
    ids = torch.tensor([0, 1, 2])
    ref = lib.state(ids, torch.tensor([0.3, 0.5, 0.9]))
    q, v = ref.qpos.double(), ref.qvel.double()
    q2, v2 = yaw_about_z(q, v, yaw, (3.0, -7.5))
    env = HumanoidEnv(character, SimConfig(num_envs=6, num_threads=1))
    env.reset_envs(torch.arange(6), torch.cat([q, q2]), torch.cat([v, v2]))
    obs = env.proprioception()
    assert obs.shape == (6, env.num_proprio) and env.num_proprio == 223 and obs.dtype == torch.float32
    torch.testing.assert_close(obs[3:], obs[:3], atol=2e-4, rtol=0)
    # the bodies did move in the world
    assert (env.sim.body_pos[3:] - env.sim.body_pos[:3]).abs().max() > 1.0


def test_proprioception_sees_tilt_and_speed(character, small_lib):
    """Not everything is invariant: a pitched root or another velocity changes the observation."""
    ref = small_lib.state(torch.tensor([0]), torch.tensor([0.3]))
    q, v = ref.qpos.double(), ref.qvel.double()
    tilted = q.clone()
    pitch = rot.quat_from_axis_angle(torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64))
    tilted[:, 3:7] = rot.quat_mul(tilted[:, 3:7], pitch[None])
    faster = v.clone()
    faster[:, 0] += 1.0
    env = HumanoidEnv(character, SimConfig(num_envs=3, num_threads=1))
    env.reset_envs(torch.arange(3), torch.cat([q, tilted, q]), torch.cat([v, v, faster]))
    obs = env.proprioception()
    assert (obs[1] - obs[0]).abs().max() > 0.1
    assert (obs[2] - obs[0]).abs().max() > 0.5


def test_fall_detected_with_hand_made_contacts(character):
    names = character.body_names
    allowed = torch.zeros(15, dtype=torch.bool)
    allowed[character.body_indices(["right_foot", "left_foot"])] = True
    contacts = torch.zeros(5, 15, dtype=torch.bool)
    contacts[1, names.index("right_foot")] = True  # one foot
    contacts[2, character.body_indices(["right_foot", "left_foot"])] = True  # both feet
    contacts[3, names.index("pelvis")] = True  # sitting
    contacts[4, [names.index("left_foot"), names.index("right_hand")]] = True  # a hand down
    assert fall_detected(contacts, allowed).tolist() == [False, False, False, True, True]

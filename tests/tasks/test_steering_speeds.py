"""steering: commands whose motion is more than 45 degrees off the facing get speeds scaled to what
the side and backward steps in the clips reach; the rest keep direction's schedule."""

import math

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.steering import SteeringConfig, off_facing_speed

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


def test_off_facing_speed_by_hand():
    speed = torch.tensor([1.0, 3.5, 2.25, 0.0, 3.5, 3.5, 2.25])
    facing = torch.zeros(7)
    # 0 / 90 / 180 / 90 (a stop) / 44 deg / -170 deg (wraps to 170) / 46 deg
    motion = torch.tensor([0.0, math.pi / 2, math.pi, math.pi / 2, math.radians(44), math.radians(-170) + 2 * math.pi, math.radians(46)])
    out = off_facing_speed(speed, motion, facing, (1.0, 3.5), (1.0, 1.5))
    # off-facing: 1.0 + (s - 1.0) * 0.5 / 2.5; 3.5 -> 1.5, 2.25 -> 1.25
    assert torch.allclose(out, torch.tensor([1.0, 1.5, 1.25, 0.0, 3.5, 1.5, 1.25]))
    assert torch.equal(off_facing_speed(speed, motion, facing, (1.0, 3.5), None), speed)


def _env(cfg: SteeringConfig, n: int):
    cfg.env = TaskEnvConfig(num_envs=n, num_threads=1, seed=3)
    return get_task("steering").env_cls(cfg, motion_lib=MotionLib.from_paths([WALK], HUMANOID3D))


def _angle(env) -> torch.Tensor:
    d = env.target_yaw - env.facing_yaw
    return torch.atan2(torch.sin(d), torch.cos(d)).abs()


def test_env_commands_side_and_backward_steps_at_the_scaled_speeds_and_walks_the_schedule_unscaled():
    env = _env(SteeringConfig(), 512)
    off = _angle(env) > math.radians(45)
    moving = env.target_speed > 0
    assert off.float().mean() > 0.6  # facing and motion are drawn independently: 3/4 of commands
    assert (env.target_speed[off & moving] >= 1.0).all() and (env.target_speed[off & moving] <= 1.5).all()
    assert env.target_speed[~off & moving].max() > 3.0  # forward commands keep the schedule's range
    assert torch.equal(env.target_speed[~off], env.schedule_speed[~off])
    # the next command perturbs the schedule's speed (by at most 0.3), not the scaled one
    env.task_cfg.random_prob, env.task_cfg.stop_prob = 0.0, 0.0
    env.episode_length_buf[:] = 10  # not an episode start: no fresh random command
    env.schedule_speed[:] = 3.4
    env.target_speed[:] = off_facing_speed(env.schedule_speed, env.target_yaw, env.facing_yaw, (1.0, 3.5), (1.0, 1.5))
    env.resample_commands(torch.arange(512))
    assert (env.schedule_speed >= 3.1 - 1e-6).all()
    off = _angle(env) > math.radians(45)
    assert torch.allclose(env.target_speed[off], 1.0 + (env.schedule_speed[off] - 1.0) * 0.2)
    assert torch.equal(env.target_speed[~off], env.schedule_speed[~off])


def test_unscaled_schedule_is_direction_s_at_every_angle():
    env = _env(SteeringConfig(off_facing_speed_range=None), 256)
    off = (_angle(env) > math.radians(45)) & (env.target_speed > 0)
    assert env.target_speed[off].max() > 3.0
    assert torch.equal(env.target_speed, env.schedule_speed)


@pytest.mark.parametrize("bad", [(1.5, 1.0), (0.0, 1.0)])
def test_a_bad_speed_range_is_refused_with_the_field_named(bad):
    with pytest.raises(ValueError, match="off_facing_speed_range"):
        SteeringConfig(off_facing_speed_range=bad)

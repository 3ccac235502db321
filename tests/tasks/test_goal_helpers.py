"""Prior helpers (tasks/goal_helpers.py): body positions read from the proprioception agree with
the simulator, partial goals fill their free components from the current state, frames keep the
near-frame rule and check_near_frames enforces it; root_frames' pelvis height is a parameter."""

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.envs.goals import GOAL_FEATURES, TRANS
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.goal_helpers import (
    body_heights,
    body_positions_h,
    body_velocities_h,
    check_near_frames,
    entity_frames,
    goal_row,
    height_goal,
    num_bodies,
    overlay,
    planar_goal,
    root_height,
    root_height_goal,
    root_planar_goal,
)
from tasktokens.tasks.priors import PELVIS_HEIGHT, direction_prior, reach_prior, root_frames

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


@pytest.fixture(scope="module")
def env():
    spec = get_task("direction")
    e = spec.env_cls(
        spec.config_cls(env=TaskEnvConfig(num_envs=3, num_threads=1)), motion_lib=MotionLib.from_paths([WALK], HUMANOID3D)
    )
    e.step(torch.zeros(3, e.num_actions))  # moving, turned: heading frame != world frame
    return e


def test_body_positions_heights_and_velocities_read_from_the_proprioception_match_the_simulator(env):
    proprio = env.env.proprioception()
    pos_w = env.sim.body_pos.float()
    assert num_bodies(proprio) == pos_w.shape[1] == env.character.num_bodies
    head = env.character.body_index("head")
    assert torch.allclose(body_positions_h(proprio)[:, head], env.to_heading(pos_w[:, head] - env.root_pos), atol=1e-5)
    assert torch.equal(body_positions_h(proprio)[:, 0], torch.zeros(3, 3))
    assert torch.allclose(body_heights(proprio), pos_w[..., 2], atol=1e-5) and torch.allclose(
        root_height(proprio), env.root_pos[:, 2]
    )
    assert torch.allclose(body_velocities_h(proprio)[:, 0], env.to_heading(env.root_velocity()), atol=1e-5)
    with pytest.raises(ValueError, match="not 15 B - 2"):
        num_bodies(proprio[:, :-1])


def test_partial_goals_keep_the_components_they_leave_free(env):
    proprio = env.env.proprioception()
    head = env.character.body_index("head")
    now = body_positions_h(proprio)[:, head]
    up = height_goal(proprio, head, 1.7)  # the head 1.7 m above the ground, where it is in the plane
    assert torch.allclose(up[:, :2], now[:, :2]) and torch.allclose(root_height(proprio) + up[:, 2], torch.full((3,), 1.7))
    heights = torch.tensor([1.0, 1.2, 1.4])
    assert torch.allclose(root_height(proprio) + height_goal(proprio, head, heights)[:, 2], heights)
    side = planar_goal(proprio, head, torch.tensor([[0.0, 0.5]]).expand(3, 2))
    assert torch.allclose(side, torch.cat([torch.tensor([[0.0, 0.5]]).expand(3, 2), now[:, 2:]], dim=-1))
    vel = body_velocities_h(proprio)[:, 0, :2]
    assert torch.allclose(root_height_goal(proprio, 0.7), torch.cat([vel, torch.full((3, 1), 0.7)], dim=-1))
    assert torch.allclose(
        root_planar_goal(proprio, torch.ones(3, 2)), torch.cat([torch.ones(3, 2), root_height(proprio)[:, None]], dim=-1)
    )


def test_goal_rows_and_frames_show_an_entity_in_every_near_frame():
    trans = torch.tensor([[1.0, 2.0, 3.0]])
    row = goal_row(translation=trans)
    assert row.shape == (1, GOAL_FEATURES + 2) and torch.equal(row[0, :TRANS], trans[0]) and row[0, -2:].tolist() == [1.0, 0.0]
    assert goal_row(rotation=torch.ones(1, 6))[0, -2:].tolist() == [0.0, 1.0]
    frames = entity_frames({2: row}, num_frames=4, num_entities=5)
    assert frames.shape == (1, 4, 5, GOAL_FEATURES + 2)
    assert frames[0, :, 2, -2:].tolist() == [[1.0, 0.0]] * 4 and frames[0, :, [0, 1, 3, 4]].abs().sum() == 0
    near_only = entity_frames({2: row}, num_frames=4, num_entities=5, far=False)
    assert near_only[0, :3, 2, -2].tolist() == [1.0] * 3 and near_only[0, 3].abs().sum() == 0
    both = overlay(near_only, entity_frames({4: goal_row(rotation=torch.ones(1, 6))}, 4, 5))
    assert both[0, :3, 2, -2].tolist() == [1.0] * 3 and both[0, :, 4, -1].tolist() == [1.0] * 4
    check_near_frames(both)


def test_near_frame_rule_passes_the_built_in_priors_and_names_the_entity_a_prior_breaks_it_for(env):
    proprio, task = env.env.proprioception(), env.task_obs()
    check_near_frames(direction_prior((1, 2, 4), 7, env.dt)(proprio, task).frames)
    check_near_frames(reach_prior((1, 2, 4), 7, env.dt, 3)(proprio, torch.ones(3, 3)).frames)  # far frame only: allowed
    frames = entity_frames({3: goal_row(translation=torch.ones(3, 3))}, 4, 7)
    broken = torch.cat([frames[:, :1], torch.zeros_like(frames[:, 1:2]), frames[:, 2:]], dim=1)
    with pytest.raises(ValueError, match=r"entity 3 .*translation in near frames \[0, 2\] but not in all 3"):
        check_near_frames(broken)


def test_root_frames_pelvis_height_is_a_parameter_that_defaults_to_upright():
    velocity, heading = torch.randn(2, 4, 2), torch.randn(2, 4)
    default = root_frames(velocity, heading, 7)
    assert torch.equal(default, root_frames(velocity, heading, 7, PELVIS_HEIGHT)) and PELVIS_HEIGHT == 0.85
    assert (default[:, :, -1, 2] == torch.tensor(0.85)).all()
    low = root_frames(velocity, heading, 7, torch.tensor([0.6, 0.7]))
    assert torch.allclose(low[:, :, -1, 2], torch.tensor([[0.6] * 4, [0.7] * 4]))
    assert torch.equal(low[..., [0, 1, 3, 4, 5, 6, 7, 8, 9, 10]], default[..., [0, 1, 3, 4, 5, 6, 7, 8, 9, 10]])

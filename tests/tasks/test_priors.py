"""Hand-written priors put the task command into the right goal channels."""

import math

import pytest
import torch

from tasktokens.envs.goals import TRANS
from tasktokens.models.bfm import BFM, BFMConfig
from tasktokens.tasks.priors import (
    PELVIS_HEIGHT,
    corridor_axis,
    direction_prior,
    gait_skill,
    long_jump_prior,
    reach_prior,
    steering_prior,
    strike_prior,
)


def test_direction_prior_fills_every_goal_frame_with_a_turn_limited_root_goal():
    task = torch.tensor([[0.0, 1.0, 2.0]])  # go left (+90 deg) at 2 m/s (heading frame)
    goals = direction_prior((1, 2, 4), 7, 1 / 30)(torch.zeros(1, 223), task)
    assert goals.visible()[0].tolist() == [True, True, True, True]  # like distillation: all near frames (+ far)
    assert torch.allclose(goals.times[0], torch.tensor([1 / 30, 2 / 30, 4 / 30, 1.0]))
    root = goals.frames[0, :, 6]  # (F, W)
    # near frames turn at TURN_RATE = 2 rad/s: 2/30, 4/30, 8/30 rad; the far frame (1 s) reaches 90 deg
    heading = torch.tensor([2 / 30, 4 / 30, 8 / 30, torch.pi / 2])
    assert torch.allclose(root[:, TRANS], torch.cos(heading), atol=1e-6) and torch.allclose(root[:, TRANS + 1], torch.sin(heading), atol=1e-6)
    assert torch.allclose(root[:, :2], 2.0 * torch.stack([torch.cos(heading), torch.sin(heading)], dim=-1), atol=1e-6)
    assert torch.allclose(root[:, 2], torch.full((4,), PELVIS_HEIGHT))
    assert (root[:, -2:] == 1).all()
    assert goals.frames[0, :, :6].abs().sum() == 0  # no body constrained


def test_steering_prior_keeps_the_velocity_and_turns_the_heading_along_it_not_toward_the_facing():
    task = torch.tensor([[0.0, -1.0, 1.5, 1.0, 0.0]])  # go right at 1.5 m/s, face forward
    root = steering_prior((1, 2, 4), 7, 1 / 30)(torch.zeros(1, 223), task).frames[0, :, 6]
    assert torch.allclose(root[:, :2], torch.tensor([0.0, -1.5]).expand(4, 2))
    assert torch.allclose(root[0, TRANS : TRANS + 2], torch.tensor([math.cos(2 / 30), -math.sin(2 / 30)]))
    assert torch.allclose(root[3, TRANS : TRANS + 2], torch.tensor([0.0, -1.0]), atol=1e-6)  # the far frame reaches -90 deg


SKILLS = ("crawl", "jog", "punch", "run", "walk")


def test_root_priors_show_the_walk_or_jog_skill_token_by_commanded_speed():
    task = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 0.0, 1.89], [1.0, 0.0, 1.9], [1.0, 0.0, 3.5]])
    goals = direction_prior((1, 2, 4), 7, 1 / 30, SKILLS)(torch.zeros(5, 223), task)
    assert goals.skill.tolist() == [4, 4, 4, 1, 1]  # walk below 1.9 m/s, jog from there (no run)
    steer = steering_prior((1, 2, 4), 7, 1 / 30, SKILLS)(torch.zeros(5, 223), torch.cat([task, torch.zeros(5, 2)], dim=-1))
    assert steer.skill.tolist() == [4, 4, 4, 1, 1]
    assert gait_skill(torch.tensor([1.0, 2.0]), ("jog", "run")) is None  # a BFM without walk: no skill token at all
    assert direction_prior((1, 2, 4), 7, 1 / 30)(torch.zeros(5, 223), task).skill is None  # no skill names: no skill token


def test_a_prior_skill_token_reaches_the_bfm_and_changes_its_action():
    torch.manual_seed(0)
    bfm = BFM(BFMConfig(d_model=32, num_layers=1, num_heads=2, num_skills=len(SKILLS), skill_names=SKILLS), 223, 7, 5, 28).eval()
    proprio, task = torch.randn(2, 223), torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    plain = bfm.act(proprio, direction_prior((1, 2, 4), 7, 1 / 30)(proprio, task), None)
    skilled = bfm.act(proprio, direction_prior((1, 2, 4), 7, 1 / 30, SKILLS)(proprio, task), None)
    assert not torch.allclose(plain, skilled)
    assert bfm.cfg.skill_id("walk") == 4
    with pytest.raises(ValueError, match="not one of this BFM's skills"):
        bfm.cfg.skill_id("backflip")


def test_priors_place_their_goals_at_the_near_steps_the_bfm_was_distilled_with():
    task = torch.tensor([[1.0, 0.0, 1.0]])
    goals = direction_prior((1, 3, 6, 9), 7, 0.05)(torch.zeros(1, 223), task)
    assert torch.allclose(goals.times[0], torch.tensor([0.05, 0.15, 0.30, 0.45, 1.0]))
    assert goals.frames.shape[1] == 5 and goals.visible()[0].all()


def test_a_bfm_config_with_near_steps_that_do_not_match_its_goal_frames_is_refused():
    with pytest.raises(ValueError, match="near_steps"):
        BFM(BFMConfig(num_goal_frames=4, near_steps=(1, 2)), num_proprio=10, num_entities=7, num_posterior_obs=5, num_actions=3)


def test_reach_prior_puts_the_hand_at_the_target_in_the_far_frame():
    task = torch.tensor([[0.4, -0.2, 1.1]])
    goals = reach_prior((1, 2, 4), 7, 1 / 30, right_hand_entity=2)(torch.zeros(1, 223), task)
    hand = goals.frames[0, 3, 2]
    assert torch.allclose(hand[:3], task[0]) and hand[-2:].tolist() == [1.0, 0.0]
    assert goals.visible()[0].tolist() == [False, False, False, True] and goals.times[0, 3] == 1.0


@pytest.mark.parametrize("make", [lambda: direction_prior((1, 2, 4), 7, 1 / 30, SKILLS), lambda: steering_prior((1, 2, 4), 7, 1 / 30, SKILLS),
                                  lambda: reach_prior((1, 2, 4), 7, 1 / 30, 2), lambda: strike_prior((1, 2, 4), 7, 1 / 30, SKILLS, near_skill="punch"),
                                  lambda: long_jump_prior((1, 2, 4), 7, 1 / 30, SKILLS)])
def test_priors_build_their_goals_on_the_device_of_the_observations(make):
    """`tasktokens adapt --device cuda` runs the prior on GPU observations: every goal tensor must
    follow the input's device (a CPU constant would fail there). The meta device stands in for a
    GPU here: mixing it with a CPU tensor raises just as CUDA does."""
    task = torch.zeros(3, 15, device="meta")
    goals = make()(torch.zeros(3, 223, device="meta"), task)
    assert goals.frames.device.type == "meta" and goals.times.device.type == "meta"
    assert goals.skill is None or goals.skill.device.type == "meta"


def test_strike_prior_walks_to_a_far_box_and_stops_facing_a_near_one_with_the_striking_skill():
    task = torch.zeros(2, 15)
    task[0, :3] = torch.tensor([3.0, 0.0, 0.9])  # 3 m ahead (heading frame)
    task[1, :3] = torch.tensor([0.0, 0.5, 0.9])  # 0.5 m to the left: within near_radius 1.0
    goals = strike_prior((1, 2, 4), 7, 1 / 30, SKILLS, speed=1.2, near_radius=1.0, near_skill="punch")(torch.zeros(2, 223), task)
    far, near = goals.frames[0, :, 6], goals.frames[1, :, 6]
    assert torch.allclose(far[:, :2], torch.tensor([1.2, 0.0]).expand(4, 2)) and torch.allclose(far[:, TRANS], torch.ones(4))
    assert near[:, :2].abs().max() == 0  # stop
    assert torch.allclose(near[0, TRANS : TRANS + 2], torch.tensor([math.cos(2 / 30), math.sin(2 / 30)]))  # turning left toward it
    assert goals.skill.tolist() == [SKILLS.index("walk"), SKILLS.index("punch")]
    assert strike_prior((1, 2, 4), 7, 1 / 30, ("walk",), near_skill="kick")(torch.zeros(2, 223), task).skill is None


def _long_jump_obs(x: float, y: float, heading: float) -> torch.Tensor:
    """The long_jump observation (tasks/long_jump.py) of a root at world (x, y) with this heading:
    line centre (20, 0) and goal (30, 0) rotated into the heading frame, written out by hand."""
    c, s = math.cos(heading), math.sin(heading)
    line = (c * (20 - x) + s * -y, -s * (20 - x) + c * -y)
    return torch.tensor([[line[0], line[1], c * (30 - x) + s * -y, float(x > 20)]])


@pytest.mark.parametrize("heading", [0.3, -0.3, 0.0, -1.0])
def test_corridor_axis_recovers_world_x_and_the_lateral_offset_from_the_observation(heading):
    obs = _long_jump_obs(5.0, 0.3, heading)
    axis, y = corridor_axis(obs[:, :2], obs[:, 2], 10.0)
    assert torch.allclose(axis[0], torch.tensor([math.cos(heading), -math.sin(heading)]), atol=1e-5)  # world +x seen from the root
    assert y.item() == pytest.approx(0.3, abs=1e-4)


def test_long_jump_prior_steers_back_to_the_centre_line_then_holds_its_heading_near_the_take_off_line():
    prior = long_jump_prior((1, 2, 4), 7, 1 / 30, speed=3.0, aim_ahead=2.0, hold_distance=2.0)
    on_axis = prior(torch.zeros(1, 223), _long_jump_obs(0.0, 0.0, 0.0)).frames[0, :, 6]
    assert torch.allclose(on_axis[:, :2], torch.tensor([3.0, 0.0]).expand(4, 2), atol=1e-6)  # straight down the corridor
    assert torch.allclose(on_axis[:, TRANS], torch.ones(4))
    left = prior(torch.zeros(1, 223), _long_jump_obs(5.0, 0.4, 0.0)).frames[0, :, 6]
    # 0.4 m left of the centre, facing +x: aim at (2, -0.4) _h, atan2(-0.4, 2) = -0.197 rad, reached in the far frame;
    # the near frames turn at TURN_RATE (2 rad/s): -2/30, -4/30 and (capped by the aim) -0.197 rad
    aim = math.atan2(-0.4, 2.0)
    expected = torch.tensor([-2 / 30, -4 / 30, aim, aim])
    assert torch.allclose(torch.atan2(left[:, TRANS + 1], left[:, TRANS]), expected, atol=1e-5)
    assert torch.allclose(left[:, :2].norm(dim=-1), torch.full((4,), 3.0))
    near = prior(torch.zeros(1, 223), _long_jump_obs(18.5, 0.4, 0.2)).frames[0, :, 6]  # 1.5 m before the line: hold the heading
    assert torch.allclose(near[:, TRANS + 1], torch.zeros(4), atol=1e-6) and torch.allclose(near[:, :2], torch.tensor([3.0, 0.0]).expand(4, 2))

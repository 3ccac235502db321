"""Priors for BFMs with side steps, standing reaches and a leap (tasks/skill_priors.py): goal
frames and skill tokens checked against hand-computed values."""

import math

import pytest
import torch

from tasktokens.envs.goals import GOAL_FEATURES
from tasktokens.models.bfm import Goals
from tasktokens.tasks.skill_priors import (
    facing_steering_prior,
    side_steps,
    standing_reach_prior,
    step_skill,
    step_skill_ids,
    with_leap,
)

V6 = ("idle", "jog", "leap", "reach", "run", "run_backward", "run_sideways", "walk", "walk_backward", "walk_sideways")
V4 = ("crawl", "jog", "kick", "long_walk", "punch", "run", "walk")
NEAR, E, DT = (1, 2, 4), 7, 1 / 30


def test_only_a_bfm_with_every_step_skill_gets_the_facing_prior():
    assert side_steps(V6) and not side_steps(V4)


def test_step_skill_by_direction_relative_to_the_facing_and_by_speed():
    facing = torch.tensor([[1.0, 0.0]] * 5)
    velocity = torch.tensor([[1.0, 0.1], [0.0, -1.0], [-1.0, 0.0], [3.0, 0.0], [0.0, 2.5]])
    names = [V6[i] for i in step_skill(velocity, facing, step_skill_ids(V6))]
    assert names == ["walk", "walk_sideways", "walk_backward", "run", "run_sideways"]


def test_steering_asks_for_the_velocity_while_turning_to_face_the_facing_command():
    prior = facing_steering_prior(NEAR, E, DT, V6)
    task = torch.tensor([[0.0, 1.0, 1.0, 1.0, 0.0]])  # move left at 1 m/s, face ahead
    goals = prior(torch.zeros(1, 223), task)
    root = goals.frames[0, :, -1]
    assert torch.allclose(root[:, :2], torch.tensor([0.0, 1.0]).expand(4, 2))  # sideways velocity in every frame
    assert torch.allclose(root[:, 3], torch.ones(4)) and root[:, 4].abs().max() < 1e-6  # keep facing ahead
    assert V6[int(goals.skill[0])] == "walk_sideways"
    behind = prior(torch.zeros(1, 223), torch.tensor([[1.0, 0.0, 1.0, -1.0, 0.0]]))  # face backward: turn limited
    far_turn = math.atan2(float(behind.frames[0, -1, -1, 4]), float(behind.frames[0, -1, -1, 3]))
    assert abs(far_turn) == pytest.approx(2.0)  # TURN_RATE x 1 s (far frame), not pi
    assert V6[int(behind.skill[0])] == "walk_backward"


def test_reach_stands_and_holds_the_hand_at_the_target_in_every_frame():
    prior = standing_reach_prior(NEAR, E, DT, 2, V6)
    goals = prior(torch.zeros(1, 223), torch.tensor([[0.4, -0.2, 0.3, 9.0]]))
    frames = goals.frames[0]
    assert torch.allclose(frames[:, 2, :3], torch.tensor([0.4, -0.2, 0.3]).expand(4, 3))
    assert frames[:, 2, -2:].tolist() == [[1.0, 0.0]] * 4  # translation only
    assert torch.allclose(frames[:, -1, :5], torch.tensor([0.0, 0.0, 0.85, 1.0, 0.0]).expand(4, 5))  # stand, face ahead
    others = [0, 1, 3, 4, 5]
    assert frames[:, others].abs().sum() == 0 and frames.shape[-1] == GOAL_FEATURES + 2
    assert V6[int(goals.skill[0])] == "reach"


def test_the_leap_token_is_shown_only_shortly_before_the_line():
    def run(proprio, task):
        return Goals(torch.zeros(task.shape[0], 4, E, GOAL_FEATURES + 2), torch.zeros(task.shape[0], 4), torch.full((task.shape[0],), 1))

    prior = with_leap(run, V6, 2.5)
    line_x = torch.tensor([[10.0], [2.0], [0.5], [-1.0]])  # the line ahead 10 m, 2 m, 0.5 m, behind
    skills = prior(None, torch.cat([line_x, torch.zeros(4, 3)], dim=-1)).skill.tolist()
    assert skills == [1, V6.index("leap"), V6.index("leap"), 1]

"""Hand-written priors put the task command into the right goal channels."""

import torch

from tasktokens.envs.goals import TRANS
from tasktokens.tasks.priors import PELVIS_HEIGHT, direction_prior, reach_prior, steering_prior


def test_direction_prior_sets_velocity_heading_and_height_of_the_root():
    task = torch.tensor([[0.0, 1.0, 2.0]])  # go left at 2 m/s (heading frame)
    goals = direction_prior(4, 7, 1 / 30)(torch.zeros(1, 223), task)
    root = goals.frames[0, 0, 6]
    assert torch.allclose(root[:3], torch.tensor([0.0, 2.0, PELVIS_HEIGHT]))
    assert torch.allclose(root[TRANS : TRANS + 2], torch.tensor([0.0, 1.0]))
    assert root[-2:].tolist() == [1.0, 1.0]
    assert goals.visible()[0].tolist() == [True, False, False, False]  # only the first goal token
    assert goals.frames[0, 0, :6].abs().sum() == 0  # no body constrained


def test_steering_prior_heading_is_the_facing_command():
    task = torch.tensor([[1.0, 0.0, 1.5, 0.0, -1.0]])  # go forward, face right
    root = steering_prior(4, 7, 1 / 30)(torch.zeros(1, 223), task).frames[0, 0, 6]
    assert torch.allclose(root[:2], torch.tensor([1.5, 0.0])) and torch.allclose(root[TRANS : TRANS + 2], torch.tensor([0.0, -1.0]))


def test_reach_prior_puts_the_hand_at_the_target_in_the_far_frame():
    task = torch.tensor([[0.4, -0.2, 1.1]])
    goals = reach_prior(4, 7, 1 / 30, right_hand_entity=2)(torch.zeros(1, 223), task)
    hand = goals.frames[0, 3, 2]
    assert torch.allclose(hand[:3], task[0]) and hand[-2:].tolist() == [1.0, 0.0]
    assert goals.visible()[0].tolist() == [False, False, False, True] and goals.times[0, 3] == 1.0

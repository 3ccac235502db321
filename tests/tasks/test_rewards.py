"""Task rewards and success rules at hand-made states, against hand-computed values."""

import math

import pytest
import torch

from tasktokens.tasks.rewards import (
    SegmentSuccess,
    VelocityWindow,
    direction_errors,
    direction_reward,
    reach_reward,
    steering_reward,
    step_ok_steering,
)

X = torch.tensor([[1.0, 0.0]])


def test_direction_reward_by_hand():
    on_target = direction_reward(torch.tensor([[1.5, 0.0, 0.3]]), X, torch.tensor([1.5]))
    assert torch.allclose(on_target, torch.tensor([1.0]))
    slow_and_drifting = direction_reward(torch.tensor([[1.2, 0.5, 0.0]]), X, torch.tensor([1.5]))
    assert torch.allclose(slow_and_drifting, torch.tensor([math.exp(-(10 * 0.2**2 + 0.1 * 0.5**2))]))
    backwards = direction_reward(torch.tensor([[-1.0, 0.0, 0.0]]), X, torch.tensor([1.5]))
    assert backwards.item() == 0.0


def test_stop_command_uses_the_speed_floor():
    e_rel, s, t = direction_errors(torch.tensor([[0.1, 0.0, 0.0]]), X, torch.tensor([0.0]))
    assert torch.allclose(e_rel, torch.tensor([-0.2])) and torch.allclose(s, torch.tensor([0.1]))


def test_steering_reward_by_hand():
    vel, speed = torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([2.0])
    facing_target = steering_reward(vel, torch.tensor([[0.0, 3.0]]), X, speed, torch.tensor([[0.0, 1.0]]))
    assert torch.allclose(facing_target, torch.tensor([1.0]))
    at_60_deg = steering_reward(vel, torch.tensor([[0.5, math.sqrt(3) / 2]]), X, speed, torch.tensor([[0.0, 1.0]]))
    assert torch.allclose(at_60_deg, torch.tensor([0.7 + 0.3 * math.cos(math.radians(30))]), atol=1e-6)
    facing_away = steering_reward(vel, torch.tensor([[0.0, -1.0]]), X, speed, torch.tensor([[0.0, 1.0]]))
    assert torch.allclose(facing_away, torch.tensor([0.7]))


def test_steering_step_rule():
    ok = step_ok_steering(
        torch.tensor([0.1, 0.1, 0.3]), torch.tensor([math.cos(math.radians(40)), math.cos(math.radians(50)), 1.0])
    )
    assert ok.tolist() == [True, False, False]


def test_reach_reward_by_hand():
    r = reach_reward(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.3, 0.4, 1.0]]))
    assert torch.allclose(r, torch.tensor([math.exp(-1.0)]))


def test_segment_success_counts_grace_and_falls():
    seg = SegmentSuccess(num_envs=3, grace_steps=2)
    rows = [[False, False, False], [False, False, True], [True, True, True], [True, False, True]]
    for row in rows:  # env 0 misses only inside the grace period; env 1 misses after it
        seg.update(torch.tensor(row))
    seg.close(torch.tensor([0, 1]))
    assert (seg.finished, seg.succeeded) == (2, 1)
    seg.update(torch.tensor([True, True, True]))
    seg.close(torch.tensor([0]), failed=torch.tensor([True]))  # a fall inside the grace period still fails
    assert (seg.finished, seg.succeeded) == (3, 1)
    seg.close(torch.tensor([2]))
    assert (seg.finished, seg.succeeded) == (4, 2) and seg.rate == 0.5
    # per environment: env 0 passed then fell, env 1 missed, env 2 passed
    assert seg.finished_env.tolist() == [2, 1, 1] and seg.succeeded_env.tolist() == [1, 0, 1]
    assert seg.rate_of(torch.tensor([0])) == 0.5 and seg.rate_of(torch.tensor([1])) == 0.0
    assert seg.rate_of(torch.tensor([False, True, True])) == 0.5
    # whole episodes: only env 2 succeeded in every segment it was judged on
    assert seg.judged_episodes == 3 and seg.episode_rate == pytest.approx(1 / 3)
    assert SegmentSuccess(num_envs=2, grace_steps=2).episode_rate == 0.0  # nothing judged yet


def test_segment_success_ever_rule():
    seg = SegmentSuccess(num_envs=2, grace_steps=0, rule="ever")
    seg.update(torch.tensor([False, False]))
    seg.update(torch.tensor([True, False]))  # env 0 topples the box once
    seg.update(torch.tensor([False, False]))
    seg.close(torch.tensor([0, 1]))
    assert (seg.finished, seg.succeeded) == (2, 1)


def test_segment_success_fraction_rule_counts_the_judged_steps():
    seg = SegmentSuccess(num_envs=2, grace_steps=2, rule=0.5)
    rows = [[False, False], [False, False], *[[True, True]] * 2, [True, False], [False, False], [False, False]]
    for row in rows:  # grace steps aside, env 0 meets 3 of 5 judged steps, env 1 2 of 5
        seg.update(torch.tensor(row))
    assert seg.judged_steps.tolist() == [5, 5] and seg.ok_steps.tolist() == [3, 2]
    seg.close(torch.tensor([0, 1]))
    assert seg.succeeded_env.tolist() == [1, 0] and seg.finished_env.tolist() == [1, 1]
    assert seg.judged_steps.tolist() == [0, 0] and seg.ok_steps.tolist() == [0, 0]  # the next segment starts afresh
    exact = SegmentSuccess(num_envs=1, grace_steps=0, rule=0.6)
    for ok in (True, True, True, False, False):  # 3 of 5 is 0.6 exactly (0.6 * 5 is 3.0000000000000004 in floats)
        exact.update(torch.tensor([ok]))
    exact.update(torch.tensor([True]))
    exact.close(torch.tensor([0]), failed=torch.tensor([True]))  # 4 of 6, but a fall fails the segment
    assert (exact.finished, exact.succeeded) == (1, 0)
    for ok in (True, True, True, False, False):
        exact.update(torch.tensor([ok]))
    exact.close(torch.tensor([0]))
    assert (exact.finished, exact.succeeded) == (2, 1)
    for rule in (0.0, 1.5, "most", True):
        with pytest.raises(ValueError, match="unknown success rule"):
            SegmentSuccess(num_envs=1, grace_steps=0, rule=rule)


def test_velocity_window_averages_a_stride_and_restarts_at_a_reset():
    w = VelocityWindow(num_envs=2, steps=4)
    w.fill(torch.tensor([0, 1]), torch.tensor([[1.0, 0, 0], [0.0, 0, 0]]))
    for v in (0.8, 1.25, 0.8, 1.25):  # a walk's pelvis speeding up and slowing down
        w.push(torch.tensor([[v, 0, 0], [2.0, 0, 0]]))
    assert torch.allclose(w.mean()[:, 0], torch.tensor([1.025, 2.0]))
    # per step, a 1.025 m/s command fails twice (e_rel -0.22 at 1.25); over the window it passes
    per_step = direction_errors(torch.tensor([[1.25, 0, 0]]), X, torch.tensor([1.025]))[0]
    assert per_step.abs().item() > 0.2
    assert direction_errors(w.mean()[:1], X, torch.tensor([1.025]))[0].abs().item() < 1e-6
    w.push(torch.tensor([[3.0, 0, 0], [2.0, 0, 0]]))  # the oldest step (0.8) leaves the window
    assert w.mean()[0, 0].item() == pytest.approx((1.25 + 0.8 + 1.25 + 3.0) / 4)
    w.fill(torch.tensor([1]), torch.tensor([[0.5, 0.5, 0]]))  # env 1 reset: its history is its new velocity
    assert torch.allclose(w.mean()[1], torch.tensor([0.5, 0.5, 0.0]))
    one = VelocityWindow(num_envs=1, steps=1)  # the paper's per-step rule
    one.push(torch.tensor([[1.25, 0, 0]]))
    assert one.mean()[0, 0].item() == 1.25
    with pytest.raises(ValueError, match="speed window"):
        VelocityWindow(1, 0)

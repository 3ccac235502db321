"""`tasktokens eval probes`: the pass rules on hand-made trajectories, the goal schedules' frames,
the starts, and one short run on a tiny random BFM for the JSON schema."""

import json
import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.envs.observations import proprioception_size
from tasktokens.eval import probes as P
from tasktokens.eval.probe_rollout import ProbeState, Trajectory, start_kinds, start_lib, start_states
from tasktokens.models.bfm import BFM, BFMConfig
from tasktokens.tasks.priors import PELVIS_HEIGHT
from tasktokens.train.checkpoint import save_weights, to_jsonable

DT = 1.0 / 30.0


def traj(seconds: float, xy=lambda t: (0.0, 0.0), yaw=lambda t: 0.0, fall_at: float | None = None, hand=None, target=(0.0, 0.0, 1.0),
         contact=None, foot_x=None) -> Trajectory:
    """One episode sampled every DT for `seconds`: root xy(t) and yaw(t); a fall from fall_at s."""
    ts = [k * DT for k in range(round(seconds / DT) + 1)]
    root = torch.tensor([[*xy(t), PELVIS_HEIGHT] for t in ts])[:, None]
    n = len(ts)
    hand_pos = torch.tensor([hand(t) for t in ts])[:, None] if hand else root.clone()
    contact = torch.tensor([contact(t) for t in ts])[:, None] if contact else torch.ones(n, 1, 2, dtype=torch.bool)
    feet = torch.zeros(n, 1, 2, 3)
    if foot_x:
        feet[..., 0] = torch.tensor([foot_x(t) for t in ts])[:, None]
    fallen = torch.tensor([fall_at is not None and t >= fall_at for t in ts])[:, None]
    return Trajectory(DT, root, torch.tensor([yaw(t) for t in ts])[:, None], hand_pos, feet, contact, fallen, torch.tensor([target]))


def passes(result) -> bool:
    return bool(result[0][0])


def test_stand_rule_drift_and_falls():
    assert passes(P.stand_rule(traj(12.0, xy=lambda t: (0.02 * t, 0.0))))  # 0.2 m over the 10 judged s
    assert not passes(P.stand_rule(traj(12.0, xy=lambda t: (0.04 * t, 0.0))))  # 0.4 m
    assert passes(P.stand_rule(traj(12.0, xy=lambda t: (min(t, 2.0), 0.0))))  # the walk start stops in the 2 s allowed
    assert not passes(P.stand_rule(traj(12.0, fall_at=8.0)))
    _ok, err = P.stand_rule(traj(12.0, xy=lambda t: (0.02 * t, 0.0)))
    assert err[0].item() == pytest.approx(0.2, abs=1e-4)


@pytest.mark.parametrize(("name", "direction"), [("side_step_left", (0.0, 1.0)), ("side_step_right", (0.0, -1.0)), ("walk_backward", (-1.0, 0.0))])
def test_velocity_probes(name, direction):
    rule = next(p for p in P.PROBES if p.name == name).rule

    def moving(speed, facing_deg=0.0, wobble=0.0):
        return traj(6.0, xy=lambda t: (speed * direction[0] * t, speed * direction[1] * t),
                    yaw=lambda t: math.radians(facing_deg) + wobble * math.sin(5 * t))

    assert passes(rule(moving(1.0)))
    assert passes(rule(moving(1.15, wobble=math.radians(15))))
    assert not passes(rule(moving(0.5)))
    assert not passes(rule(moving(1.0, facing_deg=40.0)))
    assert not passes(rule(moving(-1.0)))  # the opposite way
    assert not passes(rule(traj(6.0, xy=lambda t: (direction[0] * t, direction[1] * t), fall_at=5.9)))
    assert rule(moving(0.5))[1][0].item() == pytest.approx(0.5, abs=1e-3)


def test_turn_rules():
    def turning(angle_deg, rate=2.0, drift=0.0):
        return traj(4.0, xy=lambda t: (drift * max(t - 1.0, 0.0) / 3.0, 0.0), yaw=lambda t: P.wrap(torch.tensor(min(max(t - 1.0, 0.0) * rate, math.radians(angle_deg)))).item())

    turn90, turn180 = (next(p for p in P.PROBES if p.name == n).rule for n in ("turn_90", "turn_180"))
    assert passes(turn90(turning(90)))
    assert passes(turn90(turning(70)))
    assert not passes(turn90(turning(50)))
    assert not passes(turn90(turning(90, rate=0.3)))  # too slow: 52 deg after 3 s
    assert not passes(turn90(turning(90, drift=0.6)))
    assert passes(turn180(turning(180)))  # ends at -180 = 180
    assert passes(turn180(turning(200)))  # -160: 20 deg past
    assert turn180(turning(150))[1][0].item() == pytest.approx(30.0, abs=1e-3)


def test_reach_rule():
    target = (0.3, -0.3, 1.1)

    def reaching(final_error, fall_at=None):
        def hand(t):
            w = min(t / 1.5, 1.0)
            return (w * target[0], w * target[1] + (1 - w) * -0.2 + w * final_error, 0.9 + w * 0.2)
        return traj(4.0, hand=hand, target=target, fall_at=fall_at)

    assert passes(P.reach_rule(reaching(0.05)))
    assert not passes(P.reach_rule(reaching(0.15)))
    assert not passes(P.reach_rule(reaching(0.0, fall_at=3.0)))
    assert P.reach_rule(reaching(0.05))[1][0].item() == pytest.approx(0.05, abs=1e-4)


def test_run_stop_rule():
    def run_then(stop_at_speed, run_speed=3.0, stop_s=1.0):
        def x(t):
            if t <= 3.0:
                return run_speed * t
            d = min(t - 3.0, stop_s)
            return run_speed * 3.0 + run_speed * d - 0.5 * run_speed / stop_s * d * d + stop_at_speed * max(t - 3.0 - stop_s, 0.0)
        return traj(7.0, xy=lambda t: (x(t), 0.0))

    assert passes(P.run_stop_rule(run_then(0.0)))
    assert passes(P.run_stop_rule(run_then(0.0, run_speed=3.4)))
    assert not passes(P.run_stop_rule(run_then(0.5)))  # still moving 2 s after the stop
    assert not passes(P.run_stop_rule(run_then(0.0, run_speed=1.0)))  # never ran
    assert not passes(P.run_stop_rule(run_then(0.0, stop_s=2.5)))  # stops too late
    fell = traj(7.0, xy=lambda t: (3.0 * min(t, 3.0), 0.0), fall_at=6.5)
    assert not passes(P.run_stop_rule(fell))


def leaping(takeoff_t, landing_x, air_s=0.4, fall_at=None):
    """Both feet at x = 0 until a flight takes off at takeoff_t; they land at landing_x."""
    return traj(5.0, contact=lambda t: [not (takeoff_t <= t < takeoff_t + air_s)] * 2,
                foot_x=lambda t: [0.0, 0.0] if t < takeoff_t else [landing_x, landing_x + 0.1], fall_at=fall_at)


def test_leap_rule():
    assert passes(P.leap_rule(leaping(3.5, 1.6)))
    assert P.leap_rule(leaping(3.5, 1.6))[1][0].item() == pytest.approx(1.6)
    assert not passes(P.leap_rule(leaping(3.5, 1.2)))
    assert not passes(P.leap_rule(leaping(2.0, 1.6)))  # before the leap command: the run-up's
    assert not passes(P.leap_rule(leaping(3.5, 1.6, fall_at=4.5)))
    assert not passes(P.leap_rule(traj(5.0, contact=lambda t: [False, False])))  # airborne throughout: no take-off, no landing


def test_leap_lengths_take_off_from_the_front_foot_and_land_on_the_rear_one():
    contact = torch.tensor([[1, 1], [1, 0], [0, 0], [0, 0], [0, 1], [1, 1]], dtype=torch.bool)[:, None]
    foot_x = torch.tensor([[0.0, -0.5], [0.2, 0.9], [0.5, 1.0], [1.0, 1.2], [2.0, 1.5], [2.0, 1.5]])[:, None]
    lengths, takeoffs = P.leap_lengths(contact, foot_x)
    assert lengths[4, 0].item() == pytest.approx(1.3) and takeoffs[4, 0].item() == 2
    assert lengths.count_nonzero().item() == 1


def _state(n=2, yaw=0.0):
    return ProbeState(torch.zeros(n, 10), torch.tensor([[1.0, 2.0, 0.9]]).expand(n, 3), torch.full((n,), yaw), torch.zeros(n, 2),
                      torch.zeros(n, 3), torch.tensor([[1.3, 1.7, 1.1]]).expand(n, 3))


def test_goal_kit_puts_world_goals_in_the_heading_frame():
    kit = P.GoalKit(BFMConfig(), HUMANOID3D, DT)
    f = kit.times.numel()
    s = _state(yaw=math.pi / 2)  # facing world +y
    frames = kit.root(s, torch.tensor([0.0, 1.0]).expand(2, f, 2), torch.zeros(2, f), height=1.0)
    root = frames[0, 0, -1]
    assert torch.allclose(root[:3], torch.tensor([1.0, 0.0, 1.0]), atol=1e-6)  # ahead, at the asked height
    assert torch.allclose(root[3:5], torch.tensor([0.0, -1.0]), atol=1e-6)  # world +x is a right turn of 90 deg
    assert root[-2:].tolist() == [1.0, 1.0] and frames[..., :-1, :].abs().sum() == 0
    hand = kit.hand_frames(s, s.target[:, None].expand(2, f, 3))
    row = hand[0, -1, kit.hand]
    assert torch.allclose(row[:3], torch.tensor([-0.3, -0.3, 0.2]), atol=1e-6) and row[-2:].tolist() == [1.0, 0.0]
    assert hand.abs().sum() == hand[:, :, kit.hand].abs().sum()


def test_schedules_stop_turn_and_blend():
    kit = P.GoalKit(BFMConfig(), HUMANOID3D, DT)
    s = _state()
    s.start_velocity = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    stand = P.stand_schedule(kit)(0.0, s).frames[0, :, -1]
    assert stand[0, 0] > 0.9 and stand[-1, 0].abs() < 1e-6  # slows from the walk's 1 m/s to 0 in 1 s
    turn = P.turn_schedule(kit, math.pi)
    assert turn(0.5, s).frames[0, -1, -1, 4] == pytest.approx(math.sin(1.0), abs=1e-6)  # 0.5 s into the turn, 1 rad left
    assert turn(0.5, s).frames[0, 0, -1, 3] == pytest.approx(1.0)  # the near frames still face +x
    side = P.velocity_schedule(kit, (0.0, 1.0))(2.0, s).frames[0, :, -1, :2]
    assert torch.allclose(side, torch.tensor([0.0, 1.0]).expand_as(side))


def test_the_leap_window_shows_the_leap_skill_when_the_bfm_has_it():
    s = _state()
    with_leap = P.GoalKit(BFMConfig(num_skills=2, skill_names=("leap", "run")), HUMANOID3D, DT)
    goals = P.leap_schedule(with_leap)(3.1, s)  # inside the window (3.0-3.4 s)
    assert goals.skill.tolist() == [0, 0] and goals.frames[0, 0, -1, 2] == pytest.approx(1.1)  # leap id, pelvis up
    assert P.leap_schedule(P.GoalKit(BFMConfig(), HUMANOID3D, DT))(3.1, s).skill is None  # no label: no skill token


def test_starts_face_x_at_the_origin_and_stand_at_rest():
    kinds = start_kinds(("stand", "walk"), 5)
    assert kinds == ["stand", "stand", "stand", "walk", "walk"]
    qpos, qvel = start_states(start_lib(HUMANOID3D), kinds, torch.Generator().manual_seed(0))
    assert qpos[:, :2].abs().max() == 0 and rot.heading_angle(qpos[:, 3:7]).abs().max() < 1e-6
    assert qvel[:3].abs().max() == 0 and qvel[3:, 0].min() > 0.5  # standing at rest; walking forward along +x


def _tiny_bfm(path):
    torch.manual_seed(0)
    cfg = BFMConfig(d_model=16, num_layers=1, num_heads=2, latent_dim=4, num_skills=2, skill_names=("walk", "jog"), decoder_hidden=(16,),
                    posterior_hidden=(16,))
    sizes = {"num_proprio": proprioception_size(HUMANOID3D.num_bodies), "num_entities": len(HUMANOID3D.conditionable_bodies) + 1,
             "num_posterior_obs": 8, "num_actions": HUMANOID3D.num_dof}
    bfm = BFM(cfg, sizes["num_proprio"], sizes["num_entities"], sizes["num_posterior_obs"], sizes["num_actions"])
    save_weights(path, {f"bfm.{k}": v for k, v in bfm.state_dict().items()}, {}, HUMANOID3D, {"bfm": to_jsonable(cfg), **sizes})


def test_eval_probes_writes_every_probe_and_group(tmp_path):
    _tiny_bfm(tmp_path / "bfm.safetensors")
    out = tmp_path / "probes.json"
    P.ProbeEval(bfm=tmp_path / "bfm.safetensors", episodes=2, max_steps=3, json=out).run()
    report = json.loads(out.read_text())
    assert report["bfm"] == str(tmp_path / "bfm.safetensors") and report["num_probes"] == 9 and report["num_groups"] == 7
    assert list(report["probes"]) == [p.name for p in P.PROBES]
    for name, entry in report["probes"].items():
        assert isinstance(entry["passed"], bool) and 0.0 <= entry["pass_rate"] <= 1.0 and entry["episodes"] == 2, name
        assert entry["error"] is None or isinstance(entry["error"], float)
    assert set(report["groups"]) == {"stand", "side_step", "walk_backward", "turn", "reach", "run_stop", "leap"}
    assert report["groups_passed"] == sum(g["passed"] for g in report["groups"].values())
    with pytest.raises(ValueError, match="unknown probes"):
        P.ProbeEval(bfm=tmp_path / "bfm.safetensors", probes=("fly",)).run()

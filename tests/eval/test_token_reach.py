"""`tasktokens eval token-reach`: the command score on hand-made trajectories, and one short run
on the tiny BFM (a fitted token matches the goals' actions better than the zero token; JSON)."""

import json
import math

import pytest
import torch

from tasktokens.eval import token_reach as R
from tests.eval.test_probes import traj


def score(cmd: R.Command, **kw) -> float:
    return R.command_score(traj(4.0, **kw), cmd, 1.0)[0].item()


def test_command_score_judges_velocity_in_the_heading_frame_yaw_rate_and_falls():
    forward, side, turn = (next(c for c in R.COMMANDS if c.name == n) for n in ("forward_1", "side_left_1", "turn_left_1"))
    assert score(forward, xy=lambda t: (t, 0.0)) == 1.0
    assert score(forward, xy=lambda t: (1.2 * t, 0.0)) == 1.0  # within 0.3 m/s
    assert score(forward, xy=lambda t: (0.5 * t, 0.0)) == 0.0
    assert score(forward, xy=lambda t: (0.0, t), yaw=lambda t: math.pi / 2) == 1.0  # ahead of a character facing +y
    assert score(forward, xy=lambda t: (math.cos(0.6) * t, math.sin(0.6) * t), yaw=lambda t: 0.6 * (t > 0)) == 1.0  # facing: not judged
    turned = {"xy": lambda t: (-math.sin(0.6) * t, math.cos(0.6) * t), "yaw": lambda t: 0.6 * (t > 0)}
    assert score(side, **turned) == 0.0  # to the left, but 34 deg off the start's facing
    assert score(side, xy=lambda t: (0.0, t), yaw=lambda t: 0.3 * (t > 0)) == 1.0  # 17 deg off
    assert score(side, xy=lambda t: (0.0, t)) == 1.0 and score(side, xy=lambda t: (t, 0.0)) == 0.0
    half = score(forward, xy=lambda t: (t, 0.0), fall_at=2.5)  # judged 1-4 s: upright until 2.5 s
    assert half == pytest.approx(0.5, abs=0.03)
    spin = score(turn, yaw=lambda t: R.wrap(torch.tensor(1.0 * t)).item())  # 1 rad/s on the spot, across the +-pi wrap
    assert spin == 1.0 and score(turn) == 0.0
    assert score(turn, xy=lambda t: (t, 0.0), yaw=lambda t: 1.0 * t) == 0.0  # turning, but not on the spot
    assert R.smooth_score(traj(4.0, xy=lambda t: (t, 0.0)), forward, 1.0)[0].item() == pytest.approx(1.0)


def test_token_reach_fits_a_token_and_writes_the_schema(tiny_bfm, tmp_path):
    out = tmp_path / "reach.json"
    R.TokenReachEval(bfm=tiny_bfm, json=out, commands=("forward_1",), episodes=4, eval_episodes=4, seconds=1.5, rounds=2, iterations=10,
                     cem_iterations=1, cem_population=2, cem_episodes=1).run()
    report = json.loads(out.read_text())
    assert report["bfm"] == str(tiny_bfm) and list(report["commands"]) == ["forward_1"]
    entry = report["commands"]["forward_1"]
    assert isinstance(entry["metric"], str)
    for key in ("token", "goals", "zero_token", "cem"):
        assert 0.0 <= entry[key] <= 1.0, key
    assert set(entry["token_vectors"]) == {"token", "cem"} and len(entry["token_vectors"]["token"]) == len(entry["token_vectors"]["cem"])
    loss = entry["bc_loss"]
    assert loss["token"] < 0.5 * loss["zero_token"]  # the token expresses the goals' actions far better than the zero token
    with pytest.raises(ValueError, match="unknown commands"):
        R.TokenReachEval(bfm=tiny_bfm, commands=("fly",)).run()

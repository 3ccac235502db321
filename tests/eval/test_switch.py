"""`tasktokens eval switch`: the character's state carried from one task to the next, and which
segments each stage counts."""

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.eval.switch import TokenSwitch
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.checkpoint import CheckpointError

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


def _env(name, lib, n=4):
    spec = get_task(name)
    return spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=n, num_threads=1, seed=2)), motion_lib=lib)


@pytest.mark.parametrize("dst", ["strike", "long_jump"])
def test_a_switch_carries_the_motion_to_the_next_task(dst):
    lib = MotionLib.from_paths([WALK], HUMANOID3D)
    src = _env("direction", lib)
    for _ in range(5):  # leave the reference start: a state only the simulation produced
        src.step(torch.zeros(4, src.num_actions))
    qpos, qvel = src.character_state()
    env = _env(dst, lib)
    env.start_from(torch.arange(4), qpos, qvel)
    q, v = env.character_state()
    assert env.sim.qpos.shape[1] == q.shape[1] + (7 if dst == "strike" else 0)  # the box keeps its own state
    assert torch.equal(q[:, :2], torch.zeros(4, 2)) and torch.equal(q[:, 2], qpos[:, 2])  # at the origin, same height
    assert torch.equal(q[:, 7:], qpos[:, 7:]) and torch.equal(v[:, 3:], qvel[:, 3:])  # joints and body-frame rates as they were
    if dst == "long_jump":  # turned to face +x: the world velocity turns with it
        assert rot.heading_angle(q[:, 3:7]).abs().max() < 1e-9
        assert torch.allclose(v[:, :3].norm(dim=-1), qvel[:, :3].norm(dim=-1))
    else:
        assert torch.equal(q[:, 3:7], qpos[:, 3:7]) and torch.equal(v[:, :3], qvel[:, :3])
    # the policy sees the same proprioception (heading frame): a move and a turn about z are invisible to it
    assert torch.allclose(env.env.proprioception(), src.env.proprioception(), atol=1e-5)


def test_each_stage_judges_the_environments_still_running_at_its_start(tiny_bfm):
    # 100 steps: past the 60-step grace period and short of the 199-step command, so each
    # environment running at a stage's start gives exactly one judged segment (its fall, or
    # the switch), and one that fell before gives none
    report = TokenSwitch(tasks=("direction", "direction", "reach"), methods=("prior_only",), bfm=tiny_bfm, stage_steps=100, episodes=6).run()
    stages = report["stages"]
    assert stages[0]["running_at_start"] == 1.0 and stages[0]["running_at_end"] < 1.0  # the tiny BFM falls
    for before, after in zip(stages[:-1], stages[1:], strict=True):
        assert after["running_at_start"] == before["running_at_end"] and after["running_at_end"] <= after["running_at_start"]
    for stage in stages[:2]:
        assert stage["segments"] == round(6 * stage["running_at_start"])


def test_one_stage_is_the_task_evaluation():
    """The shipped direction hybrid: the same episodes, segments and success as `eval task`."""
    from tasktokens.eval.task import TaskEval

    stage = TokenSwitch(tasks=("direction",), stage_steps=150, episodes=8, seed=3).run()["stages"][0]
    single = TaskEval(task="direction", method="task_tokens_prior", episode_steps=150, episodes=8, seed=3).run()
    assert 0.0 < stage["success_rate"] == single["success_rate"] and stage["segments"] >= 6


def test_bad_stages_are_clear_errors(tiny_bfm):
    with pytest.raises(ValueError, match="different BFMs"):  # the shipped direction hybrid runs on BFM v4
        TokenSwitch(tasks=("direction", "direction"), methods=("prior_only", "task_tokens_prior"), bfm=tiny_bfm, episodes=2).run()
    with pytest.raises(ValueError, match="different BFMs.*bfm_v4.*bfm_v6"):  # the shipped hybrids of direction (v4) and reach (v6)
        TokenSwitch(tasks=("direction", "reach"), episodes=2).run()
    with pytest.raises(CheckpointError, match="no shipped task_tokens_prior policy for strike"):  # named before any rollout
        TokenSwitch(tasks=("direction", "strike"), episodes=2).run()
    with pytest.raises(ValueError, match="stage-steps >= 1"):
        TokenSwitch(tasks=("direction",), stage_steps=0, episodes=2).run()
    with pytest.raises(ValueError, match="one per stage"):
        TokenSwitch(tasks=("direction", "steering", "reach"), methods=("prior_only", "prior_only"), episodes=2).run()


def test_the_video_follows_environment_0_through_the_stages(tmp_path, tiny_bfm):
    import imageio.v2 as imageio

    out = tmp_path / "switch.gif"
    report = TokenSwitch(tasks=("direction", "strike"), methods=("prior_only",), bfm=tiny_bfm, stage_steps=3, episodes=2, video=out).run()
    assert [s["running_at_end"] for s in report["stages"]] == [1.0, 1.0]  # 0.1 s per stage: nobody falls
    frames = imageio.mimread(out)
    assert len(frames) == 6 and {f.shape[:2] for f in frames} == {(480, 640)}  # both scenes (strike's has the box)

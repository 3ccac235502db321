"""Derived clips: a window of a recorded clip ending in a held pose (motion/derive.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tasktokens.cli.main import main
from tasktokens.motion.clip import ClipError, load_clip
from tasktokens.motion.derive import hold_clip
from tasktokens.motion.labels import is_locomotion, skill_label
from tasktokens.motion.motion_lib import MotionLib


def test_hold_clip_frames(character, walk_file):
    """Walk (30 fps, 39 frames): 0.2-0.8 s is frames 6..24, then frame 24 held for 1 s (30 frames)."""
    walk = load_clip(walk_file, character)
    held = hold_clip(walk, 0.2, 0.8, 1.0)
    assert held.name == "humanoid3d_walk_hold" and not held.loop and held.fps == walk.fps
    assert held.num_frames == 19 + 30
    np.testing.assert_array_equal(held.qpos[:19], walk.qpos[6:25])
    np.testing.assert_array_equal(held.qpos[19:], np.repeat(walk.qpos[24:25], 30, axis=0))
    assert held.duration == pytest.approx(0.6 + 1.0, abs=1e-3)  # the walk is 30.001 fps


def test_held_pose_is_still_in_the_motion_library(character, walk_file):
    """Inside the hold the reference stands still: zero joint and body velocities, the end pose."""
    walk = load_clip(walk_file, character)
    lib = MotionLib(character, [hold_clip(walk, 0.0, 0.6, 2.0)])
    st = lib.state(torch.zeros(3, dtype=torch.long), torch.tensor([1.0, 1.5, 2.5]))
    assert st.qvel.abs().max() < 1e-6
    assert st.body_lin_vel.abs().max() < 1e-6 and st.body_ang_vel.abs().max() < 1e-6
    np.testing.assert_allclose(st.qpos[0, :3].numpy(), walk.qpos[18, :3], atol=1e-6)  # root at frame 18 (0.6 s)
    moving = lib.state(torch.zeros(1, dtype=torch.long), torch.tensor([0.3]))
    assert moving.body_lin_vel[0, 0].norm() > 0.5  # the walking part keeps its speed


def test_hold_clip_labels():
    assert skill_label("humanoid3d_long_walk3_mirror_hold") == "long_walk"
    assert skill_label("humanoid3d_long_walk3_hold") == "long_walk"
    assert is_locomotion("humanoid3d_long_walk3_hold")


@pytest.mark.parametrize(("start", "end", "hold"), [(0.8, 0.2, 1.0), (0.0, 5.0, 1.0), (-0.1, 0.5, 1.0), (0.0, 0.5, -1.0)])
def test_hold_clip_bad_window_names_the_file(character, walk_file, start, end, hold):
    walk = load_clip(walk_file, character)
    with pytest.raises(ClipError, match="humanoid3d_walk.txt"):
        hold_clip(walk, start, end, hold)


def test_motion_hold_command(character, walk_file, tmp_path):
    main(["motion", "hold", str(walk_file), "--start", "0.2", "--end", "0.8", "--hold-seconds", "1.0", "--out", str(tmp_path)])
    written = load_clip(tmp_path / "humanoid3d_walk_hold.npz", character)
    np.testing.assert_array_equal(written.qpos, hold_clip(load_clip(walk_file, character), 0.2, 0.8, 1.0).qpos)
    assert not written.loop

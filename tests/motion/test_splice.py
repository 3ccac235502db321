"""Transition clips (motion/splice.py) and the `motion splice|mirror` commands."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.cli.main import main
from tasktokens.motion.clip import ClipError, MotionClip, load_clip
from tasktokens.motion.derive import hold_clip
from tasktokens.motion.labels import skill_label
from tasktokens.motion.licences import REALLUSION
from tasktokens.motion.splice import Window, align_root, blend_qpos, splice_clips, unroll_loop


def yaw(qpos: np.ndarray) -> np.ndarray:
    return rot.heading_angle(torch.as_tensor(qpos[..., 3:7])).numpy()


def planar_speed(clip: MotionClip) -> np.ndarray:
    return np.linalg.norm(np.diff(clip.qpos[:, :2], axis=0), axis=1) * clip.fps


@pytest.fixture(scope="module")
def walk(character, walk_file):
    return load_clip(walk_file, character)


@pytest.fixture(scope="module")
def stand(character, walk_file):
    """The walk's frame 0 held still for 2 s: a standing clip at the walk's rate."""
    walk = load_clip(walk_file, character)
    return MotionClip("humanoid3d_walk_hold", np.repeat(walk.qpos[:1], 61, axis=0), walk.fps, False, "humanoid3d", walk.source)


def test_align_root_puts_the_first_frame_at_the_target_and_keeps_the_path_shape(walk):
    out = align_root(walk.qpos, np.array([3.0, -2.0]), 1.0)
    np.testing.assert_allclose(out[0, :2], [3.0, -2.0], atol=1e-12)
    assert yaw(out[:1])[0] == pytest.approx(1.0, abs=1e-9)
    step_in, step_out = np.diff(walk.qpos[:, :2], axis=0), np.diff(out[:, :2], axis=0)
    np.testing.assert_allclose(np.linalg.norm(step_out, axis=1), np.linalg.norm(step_in, axis=1), atol=1e-12)
    turn = yaw(out) - yaw(walk.qpos)  # every frame turned by the same angle
    np.testing.assert_allclose(np.angle(np.exp(1j * (turn - turn[0]))), 0.0, atol=1e-9)
    np.testing.assert_array_equal(out[:, 2], walk.qpos[:, 2])
    np.testing.assert_array_equal(out[:, 7:], walk.qpos[:, 7:])  # joints untouched


def test_blend_qpos_ends_are_the_inputs_and_quaternions_stay_unit(character, walk):
    a, b = walk.qpos[:5], walk.qpos[10:15]
    np.testing.assert_allclose(blend_qpos(a, b, np.zeros(5), character._model), a, atol=1e-12)
    np.testing.assert_allclose(blend_qpos(a, b, np.ones(5), character._model), b, atol=1e-9)
    mid = blend_qpos(a, b, np.full(5, 0.5), character._model)
    np.testing.assert_allclose(np.linalg.norm(mid[:, 3:7], axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(mid[:, 2], 0.5 * (a[:, 2] + b[:, 2]), atol=1e-12)


def test_unroll_loop_continues_each_cycle_where_the_last_ended(walk):
    assert walk.loop and walk.duration < 1.5
    long = unroll_loop(walk, 4.0)
    assert not long.loop and long.duration >= 4.0
    steps = np.linalg.norm(np.diff(long.qpos[:, :2], axis=0), axis=1)
    assert steps.max() < 1.5 * np.linalg.norm(np.diff(walk.qpos[:, :2], axis=0), axis=1).max()  # no jump at a seam
    assert long.qpos[-1, 0] - long.qpos[0, 0] > 3.0  # it walks on (~1 m/s along +x)
    assert unroll_loop(hold_clip(walk, 0.0, 0.5, 1.0), 10.0).num_frames == 16 + 30  # a clip that does not loop: as it is


def test_a_walk_spliced_into_a_stand_slows_to_a_halt_without_jumps(character, walk, stand):
    first, blend = unroll_loop(walk, 3.0), 0.8
    clip = splice_clips(first, Window(0.0, 2.0), stand, Window(), blend, character, skill="idle")
    n = round(blend * walk.fps)
    assert clip.name == "idle__walk_to_walk_hold" and skill_label(clip.name) == "idle" and not clip.loop
    assert clip.num_frames == 61 + stand.num_frames - n  # frames 0..60 of the walk, then the stand, overlapping n
    np.testing.assert_array_equal(clip.qpos[: 61 - n], first.qpos[: 61 - n])  # the walk before the overlap is untouched
    speed = planar_speed(clip)
    assert speed[:30].mean() == pytest.approx(planar_speed(first)[:30].mean(), rel=1e-6)
    assert speed[-20:].max() < 1e-9  # stands still at the end
    assert speed.max() < 1.2 * planar_speed(first).max()  # no jump where the windows meet
    assert (np.diff(clip.qpos[:, 0])[: 61 - 1] > -1e-9).all() and clip.qpos[-1, 0] >= clip.qpos[61 - n, 0]  # never pulled back
    np.testing.assert_allclose(clip.qpos[-1, 7:], stand.qpos[-1, 7:], atol=1e-12)  # ends in the stand's pose
    assert abs(yaw(clip.qpos[-1:])[0] - yaw(first.qpos[61 - n : 62 - n])[0]) < 1e-6  # facing where the overlap began


def test_splice_resamples_the_second_clip_and_keeps_the_stricter_licence(character, walk, stand):
    fast = MotionClip("fast_stand", np.repeat(stand.qpos[:1], 241, axis=0), 120.0, False, "humanoid3d", "x/reallusion/a.npy", REALLUSION)
    clip = splice_clips(unroll_loop(walk, 2.0), Window(0.0, 1.0), fast, Window(), 0.5, character)
    assert clip.fps == walk.fps and clip.num_frames == 31 + 61 - 15
    assert clip.licence == REALLUSION


@pytest.mark.parametrize(("window", "blend"), [(Window(0.5, 0.2), 0.3), (Window(0.0, 9.0), 0.3), (Window(0.0, 0.3), 0.6), (Window(0.0, 1.0), 0.0)])
def test_bad_windows_and_blends_name_the_file(character, walk, stand, window, blend):
    with pytest.raises(ClipError, match="humanoid3d_walk.txt"):
        splice_clips(walk, window, stand, Window(), blend, character)


def test_motion_splice_and_mirror_commands(character, walk_file, tmp_path):
    out = tmp_path / "t"
    main(["motion", "splice", str(walk_file), str(walk_file), "--first-window", "0", "2", "--second-window", "0", "1",
          "--blend", "0.5", "--hold", "1", "--skill", "idle", "--mirror", "--out", str(out)])
    clip = load_clip(out / "idle__walk_to_walk_hold.npz", character)
    mirrored = load_clip(out / "idle__walk_to_walk_hold_mirror.npz", character)
    assert clip.num_frames == 61 + 31 - 15 + 30 and np.abs(clip.qpos[-30:] - clip.qpos[-1]).max() == 0.0
    np.testing.assert_allclose(mirrored.qpos[:, 1], -clip.qpos[:, 1], atol=1e-12)
    main(["motion", "mirror", str(out), "--out", str(tmp_path / "m")])
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["idle__walk_to_walk_hold_mirror.npz"]  # *_mirror skipped

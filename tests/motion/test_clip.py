"""Clip loading: DeepMimic frames -> z-up qpos, every shipped clip, corrupt files, .npz."""

from __future__ import annotations

import json
import shutil

import mujoco
import numpy as np
import pytest

from tasktokens.motion.clip import ClipError, MotionClip, find_clip_files, load_clip, load_deepmimic, load_npz, save_npz
from tasktokens.motion.motion_lib import default_motion_paths, load_clips

MIT_CLIPS = 29


def qpos_of(model, joint: str) -> slice:
    j = model.joint(joint)
    adr = int(j.qposadr[0])
    width = {mujoco.mjtJoint.mjJNT_BALL: 4, mujoco.mjtJoint.mjJNT_HINGE: 1}[int(j.type[0])]
    return slice(adr, adr + width)


def test_walk_frame0_hand_converted(character, walk_file):
    """DeepMimic is y-up: root (x, y, z) -> (x, -z, y); quaternions (w, x, y, z) -> (w, x, -z, y)."""
    frame = json.loads(walk_file.read_text())["Frames"][0]
    clip = load_deepmimic(walk_file, character)
    m = character.model()
    q = clip.qpos[0]
    x, y, z = frame[1:4]
    np.testing.assert_allclose(q[0:3], [x, -z, y])

    def zup(wxyz):
        w, qx, qy, qz = wxyz
        v = np.array([w, qx, -qz, qy])
        return v / np.linalg.norm(v)

    np.testing.assert_allclose(q[3:7], zup(frame[4:8]), atol=1e-12)
    # layout after the root: chest 8:12, neck 12:16, right hip 16:20, right knee 20, ...
    np.testing.assert_allclose(q[qpos_of(m, "chest")], zup(frame[8:12]), atol=1e-12)
    np.testing.assert_allclose(q[qpos_of(m, "right_hip")], zup(frame[16:20]), atol=1e-12)
    assert q[qpos_of(m, "right_knee")][0] == pytest.approx(frame[20])
    np.testing.assert_allclose(q[qpos_of(m, "left_ankle")], zup(frame[35:39]), atol=1e-12)
    assert q[qpos_of(m, "left_elbow")][0] == pytest.approx(frame[43])
    assert clip.loop and clip.num_frames == 39 and clip.fps == pytest.approx(1 / frame[0])
    assert clip.duration == pytest.approx(38 * frame[0], rel=1e-4)


def test_all_mit_clips_load(character):
    clips, failed = load_clips(default_motion_paths(), character)
    assert failed == []
    assert len(clips) == MIT_CLIPS
    names = {c.name for c in clips}
    assert {"humanoid3d_walk", "humanoid3d_backflip", "humanoid3d_long_walk1_mirror", "humanoid3d_stealthy_walk1"} <= names
    m = character.model()
    quat_cols = [3] + [int(m.jnt_qposadr[j]) for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL]
    assert len(quat_cols) == 9
    for c in clips:
        assert c.qpos.shape == (c.num_frames, 43) and np.isfinite(c.qpos).all(), c.name
        for col in quat_cols:
            assert np.abs(np.linalg.norm(c.qpos[:, col : col + 4], axis=1) - 1).max() < 1e-9, c.name
        assert 15 <= c.fps <= 121 and c.duration > 0.5, c.name


def test_sie_clips_load(character, deepmimic_dir):
    clips, failed = load_clips([deepmimic_dir / "sie-noncommercial"], character)
    assert failed == []
    assert len(clips) == 50  # the folder's LICENSE is not a clip
    assert all(c.name.startswith("sie_humanoid3d_") for c in clips)


def test_find_clip_files_skips_the_character_file(deepmimic_dir, tmp_path):
    files = find_clip_files([deepmimic_dir])
    assert not any("character" in f.name for f in files)
    assert all(f.suffix in (".txt", ".npz") for f in files)
    with pytest.raises(FileNotFoundError):
        find_clip_files([tmp_path / "missing"])


def _corrupt_variants(walk: dict) -> dict:
    frames = walk["Frames"]
    nan = json.loads(json.dumps(frames))
    nan[3][10] = float("nan")
    zero_quat = json.loads(json.dumps(frames))
    zero_quat[2][8:12] = [0.0, 0.0, 0.0, 0.0]  # chest
    return {
        "invalid_json": '{"Loop": "wrap", "Frames": [[0.03, 1.0,',
        "wrong_width": json.dumps({"Loop": "wrap", "Frames": [f[:-1] for f in frames]}),
        "nan": json.dumps({"Loop": "wrap", "Frames": nan}),
        "zero_quaternion": json.dumps({"Loop": "wrap", "Frames": zero_quat}),
        "no_frames": json.dumps({"Loop": "wrap"}),
        "one_frame": json.dumps({"Loop": "wrap", "Frames": frames[:1]}),
        "ragged": json.dumps({"Loop": "wrap", "Frames": [frames[0], frames[1][:20]]}),
        "negative_duration": json.dumps({"Loop": "wrap", "Frames": [[-0.1] + f[1:] for f in frames]}),
    }


@pytest.mark.parametrize(
    "kind", ["invalid_json", "wrong_width", "nan", "zero_quaternion", "no_frames", "one_frame", "ragged", "negative_duration"]
)
def test_corrupt_deepmimic_clips_raise_clip_error_naming_the_file(character, walk_file, tmp_path, kind):
    text = _corrupt_variants(json.loads(walk_file.read_text()))[kind]
    path = tmp_path / f"bad_{kind}.txt"
    path.write_text(text)
    with pytest.raises(ClipError) as info:
        load_clip(path, character)
    assert str(path) in str(info.value)


def test_npz_round_trip(character, walk_file, tmp_path):
    clip = load_clip(walk_file, character)
    path = tmp_path / "walk.npz"
    save_npz(clip, path)
    back = load_clip(path, character)
    np.testing.assert_array_equal(back.qpos, clip.qpos)
    assert (back.name, back.fps, back.loop, back.character, back.source) == (
        clip.name,
        clip.fps,
        clip.loop,
        clip.character,
        clip.source,
    )


def test_npz_of_another_character_or_broken_npz_raise(character, walk_file, tmp_path):
    clip = load_clip(walk_file, character)
    other = MotionClip(clip.name, clip.qpos, clip.fps, clip.loop, "smpl", clip.source)
    path = tmp_path / "smpl_walk.npz"
    save_npz(other, path)
    with pytest.raises(ClipError, match="smpl") as info:
        load_npz(path, character)
    assert str(path) in str(info.value)
    narrow = MotionClip(clip.name, clip.qpos[:, :40], clip.fps, clip.loop, "humanoid3d", "")
    save_npz(narrow, tmp_path / "narrow.npz")
    with pytest.raises(ClipError, match="narrow.npz"):
        load_clip(tmp_path / "narrow.npz", character)
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file")
    with pytest.raises(ClipError, match="garbage.npz"):
        load_clip(tmp_path / "garbage.npz", character)
    with pytest.raises(ClipError, match="unknown clip format"):
        load_clip(tmp_path / "walk.bvh", character)


def test_uneven_frames_are_resampled_evenly(character, walk_file, tmp_path):
    frames = json.loads(walk_file.read_text())["Frames"][:3]
    frames[0][0], frames[1][0] = 0.1, 0.2  # frames at t = 0, 0.1, 0.3
    for i, f in enumerate(frames):
        f[1:4] = [float(i), 0.0, 0.0]  # root x = frame index
    path = tmp_path / "uneven.txt"
    path.write_text(json.dumps({"Loop": "none", "Frames": frames}))
    clip = load_clip(path, character)
    assert clip.fps == pytest.approx(1 / 0.15)  # median frame duration
    assert clip.num_frames == 3 and not clip.loop
    # t = 0.15 lies a quarter of the way from frame 1 (t = 0.1) to frame 2 (t = 0.3)
    np.testing.assert_allclose(clip.qpos[:, 0], [0.0, 1.25, 2.0])


def test_load_clips_reports_failures_and_keeps_the_good_ones(character, walk_file, tmp_path):
    shutil.copy(walk_file, tmp_path / walk_file.name)
    (tmp_path / "broken.txt").write_text("{")
    clips, failed = load_clips([tmp_path], character)
    assert [c.name for c in clips] == ["humanoid3d_walk"]
    assert len(failed) == 1 and failed[0]["path"] == str(tmp_path / "broken.txt") and "broken.txt" in failed[0]["error"]


def test_documents_in_a_clip_folder_are_skipped_with_a_note(walk_file, tmp_path, capsys):
    """A data folder's LICENSE.txt and README.txt are no clips: skipped, and said so."""
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(walk_file, folder / walk_file.name)
    (folder / "LICENSE.txt").write_text("MIT License\n")
    (folder / "README.original.txt").write_text("terms\n")
    assert find_clip_files([folder]) == [folder / walk_file.name]
    assert "skipping LICENSE.txt, README.original.txt" in capsys.readouterr().err

"""BVH: the CMU excerpt retargeted by IK (T-pose on the floor, pelvis height, `motion check`), the
writer's files parsed back and imported back (also scaled by 1.2), a map for another skeleton,
and the one-line refusal of a skeleton no map fits."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mujoco
import numpy as np
import pybvh
import pytest

from tasktokens.cli.main import main
from tasktokens.cli.motion import MotionCheck
from tasktokens.motion.bvh_export import Z_UP_TO_Y_UP, write_bvh
from tasktokens.motion.clip import ClipError, MotionClip, load_clip, save_npz
from tasktokens.motion.importers import ImportOptions, import_file
from tasktokens.motion.importers.skeleton_map import shipped_maps
from tasktokens.motion.kinematics import clip_kinematics, lowest_geom_z
from tasktokens.motion.licences import CMU
from tasktokens.motion.motion_lib import data_root

CMU_EXCERPT = data_root() / "motions" / "cmu-bvh-sample" / "127_04_excerpt.bvh"
RENAMED = {"Spine1": "Chest", "LeftUpLeg": "L_Thigh", "RightHand": "R_Wrist"}
"""CMU joints renamed: a skeleton no shipped map fits."""


@pytest.fixture(scope="module")
def walk_slice(character, walk_file) -> MotionClip:
    """The first 20 frames (0.63 s) of the MIT walk."""
    clip = load_clip(walk_file, character)
    return dataclasses.replace(clip, qpos=clip.qpos[:20])


def _standing_pelvis_height(character) -> float:
    """humanoid3d's pelvis height in its zero pose with the soles on the floor."""
    qpos = np.zeros((1, character._model.nq))
    qpos[0, 2], qpos[0, 3] = 1.0, 1.0
    return 1.0 - float(lowest_geom_z(character._model, qpos, character.contact_bodies)[0])


def _renamed_cmu(tmp_path: Path) -> Path:
    text = CMU_EXCERPT.read_text()
    for old, new in RENAMED.items():
        text = text.replace(f"JOINT {old}\n", f"JOINT {new}\n")
    path = tmp_path / "odd_skeleton.bvh"
    path.write_text(text)
    return path


def _body_positions(character, qpos: np.ndarray, fps: float) -> np.ndarray:
    return clip_kinematics(character._model, qpos, fps).body_pos


def test_cmu_tpose_frame_stands_on_the_floor_at_humanoid3d_height(character):
    clip, report = import_file(CMU_EXCERPT, character, ImportOptions(first_frame="keep"))
    assert report["skeleton"] == "cmu" and report["first_frame"] == "keep"
    assert 0.05 < report["scale_m_per_unit"] < 0.06  # the CMU README: about 0.0564 m per unit
    tpose = clip.qpos[:1]
    for foot in ("right_foot", "left_foot"):
        assert abs(lowest_geom_z(character._model, tpose, [foot])[0]) < 0.03, foot
    standing = _standing_pelvis_height(character)
    assert abs(tpose[0, 2] - standing) < 0.1 * standing


def test_cmu_standing_frames_import_and_pass_motion_check(character, tmp_path):
    out, log = tmp_path / "clips", tmp_path / "import.json"
    main(["motion", "import", str(CMU_EXCERPT), "--out", str(out), "--json", str(log)])
    (report,) = json.loads(log.read_text())["imported"]
    assert report["first_frame"] == "rest" and report["frames_in"] == 8 and report["fps"] == 30.0
    assert report["licence"] == CMU and report["ik_position_error_cm"]["mean"] < 5.0
    checked = MotionCheck(paths=(out,)).check()
    assert checked["loaded"] == 1 and checked["failed"] == []
    clip = load_clip(out / f"{report['name']}.npz", character)
    assert np.all(lowest_geom_z(character._model, clip.qpos, character.contact_bodies) < 0.03)  # feet down, not floating


def test_writer_output_parses_back_with_the_same_channels_and_frames(character, walk_slice, tmp_path):
    path = write_bvh(walk_slice, character, tmp_path / "walk.bvh")
    bvh = pybvh.read_bvh_file(path, world_up="+y")
    assert bvh.joint_names == list(character.body_names)
    assert bvh.root.pos_channels == ["X", "Y", "Z"] and all(o == "ZYX" for o in bvh.euler_orders)
    assert bvh.frame_count == walk_slice.num_frames and bvh.fps == pytest.approx(walk_slice.fps, rel=1e-4)
    # pybvh's own forward kinematics (y-up) puts every joint on its MuJoCo body origin
    fk = bvh.joint_positions() @ Z_UP_TO_Y_UP  # row vectors: v_zup = Y_UP_TO_Z_UP v_yup = v_yup Z_UP_TO_Y_UP
    assert np.abs(fk - _body_positions(character, walk_slice.qpos, walk_slice.fps)).max() < 1e-5


@pytest.mark.parametrize("scale, tolerance", [(1.0, 0.02), (1.2, 0.03)])
def test_a_written_clip_imports_back_to_its_poses(character, walk_slice, tmp_path, scale, tolerance):
    """Export, scale the file (offsets and root translations, with pybvh), import: every body of
    every frame within 2 cm of the clip (3 cm scaled), up to the floor shift."""
    npz = tmp_path / "walk.npz"
    save_npz(walk_slice, npz)
    bvh_path = tmp_path / "walk.bvh"
    main(["motion", "export", str(npz), "--out", str(bvh_path)])
    if scale != 1.0:
        pybvh.write_bvh_file(pybvh.read_bvh_file(bvh_path, world_up="+y").scale(scale), bvh_path)
    back, report = import_file(bvh_path, character, ImportOptions(fps=walk_slice.fps))
    assert report["skeleton"] == "humanoid3d" and report["scale_m_per_unit"] == pytest.approx(1.0 / scale, rel=1e-4)
    assert back.num_frames == walk_slice.num_frames
    got = _body_positions(character, back.qpos, back.fps)
    got[..., 2] -= report["floor_shift_m"]
    err = np.linalg.norm(got - _body_positions(character, walk_slice.qpos, walk_slice.fps), axis=-1)
    assert err.max() < tolerance, dict(zip(character.body_names, err.max(0).round(4), strict=True))


def test_unknown_joints_without_a_map_get_one_clear_error(character, tmp_path, capsys):
    path = _renamed_cmu(tmp_path)
    with pytest.raises(
        ClipError, match=r"odd_skeleton\.bvh: no shipped map .*\['Spine1', 'RightHand', 'LeftUpLeg'\] are not in the file"
    ):
        import_file(path, character, ImportOptions())
    with pytest.raises(SystemExit) as exit_:
        main(["motion", "import", str(path), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("tasktokens: error:") and "odd_skeleton.bvh" in last and "Traceback" not in err
    assert all(name in last for name in RENAMED)


def test_a_toml_map_imports_another_skeleton(character, tmp_path):
    """The renamed skeleton with a map naming its joints imports to the CMU file's poses."""
    text = shipped_maps()["cmu"].read_text()
    for old, new in RENAMED.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    toml = tmp_path / "odd.toml"
    toml.write_text(text)
    odd, odd_report = import_file(_renamed_cmu(tmp_path), character, ImportOptions(skeleton=str(toml)))
    cmu, _ = import_file(CMU_EXCERPT, character, ImportOptions())
    assert odd_report["skeleton"] == "cmu" and np.abs(odd.qpos - cmu.qpos).max() < 1e-9
    with pytest.raises(ClipError, match="humanoid3d map's joints"):
        import_file(CMU_EXCERPT, character, ImportOptions(skeleton="humanoid3d"))


def test_first_frame_as_motion_keeps_every_frame(character):
    """--first-frame motion: the file's zero pose is the rest pose and frame 0 stays in the clip."""
    clip, report = import_file(CMU_EXCERPT, character, ImportOptions(first_frame="motion", fps=120.0))
    assert report["first_frame"] == "motion" and clip.num_frames == 8
    data = mujoco.MjData(character._model)
    data.qpos[:] = clip.qpos[-1]
    mujoco.mj_kinematics(character._model, data)
    assert data.xmat[character._model.body("torso").id][8] > 0.8  # the trunk stands upright


def test_a_standing_frame_0_is_not_taken_for_the_rest_pose(character, tmp_path):
    """Without its T-pose frame the CMU excerpt starts standing with bent knees and elbows: the
    calibration would bend every frame by that much, so it is refused with the remedy."""
    lines = CMU_EXCERPT.read_text().splitlines()
    at = lines.index("MOTION")
    path = tmp_path / "no_tpose.bvh"
    path.write_text("\n".join([*lines[: at + 1], "Frames: 7", lines[at + 2], *lines[at + 4 :]]) + "\n")
    with pytest.raises(ClipError, match=r"no_tpose\.bvh: frame 0 is no rest pose: .* bent \d+ deg.*--first-frame motion"):
        import_file(path, character, ImportOptions())
    clip, report = import_file(path, character, ImportOptions(first_frame="motion"))
    assert report["ik_position_error_cm"]["max"] < 6.0

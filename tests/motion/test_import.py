"""`motion import` of SkeletonMotion files: the 25 Reallusion clips, forward kinematics against the
file's own, quaternion order, hinge projection, resampling, the floor, skills, licence, and the
refusals (code in a pickle, another skeleton, NaN, absurd heights, other units)."""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import mujoco
import numpy as np
import pytest
import torch

from tasktokens import rotations as R
from tasktokens.cli.main import main
from tasktokens.motion.clip import ClipError, load_clip
from tasktokens.motion.importers import ImportOptions, import_file
from tasktokens.motion.importers.safe_pickle import load_pickled_npy
from tasktokens.motion.importers.skeleton_motion import ase_skill, hinge_angle_and_swing
from tasktokens.motion.kinematics import lowest_geom_z
from tasktokens.motion.licences import REALLUSION, is_non_commercial
from tasktokens.motion.motion_lib import MotionLib, data_root

REALLUSION_DIR = data_root() / "motions" / "reallusion-sword-shield-noncommercial" / "clips"
WALK_LEFT = REALLUSION_DIR / "RL_Avatar_WalkLeft01_Motion.npy"


@pytest.fixture(scope="module")
def walk_left() -> dict:
    return load_pickled_npy(WALK_LEFT)


def _save(d: dict, path: Path) -> Path:
    np.save(path, np.array(d, dtype=object), allow_pickle=True)  # as poselib writes them: a pickled dict
    return path


def _skeleton_fk(d: dict) -> np.ndarray:
    """(T, nodes, 3) world positions from the file's own skeleton tree (no MuJoCo)."""
    rot = torch.tensor(d["rotation"]["arr"])[..., [3, 0, 1, 2]]
    root = torch.tensor(d["root_translation"]["arr"])
    tree = d["skeleton_tree"]
    parents, offsets = tree["parent_indices"]["arr"], torch.tensor(tree["local_translation"]["arr"]).double()
    glob_rot, glob_pos = [], []
    for i, p in enumerate(parents):
        if p < 0:
            glob_rot.append(rot[:, i])
            glob_pos.append(root)
        else:
            glob_rot.append(R.quat_mul(glob_rot[p], rot[:, i]))
            glob_pos.append(glob_pos[p] + R.quat_rotate(glob_rot[p], offsets[i].expand(len(root), 3)))
    return torch.stack(glob_pos, 1).numpy()


def test_all_reallusion_clips_import_and_pass_check(tmp_path):
    out, report = tmp_path / "clips", tmp_path / "import.json"
    main(["motion", "import", str(REALLUSION_DIR), "--out", str(out), "--json", str(report)])
    imported = json.loads(report.read_text())["imported"]
    assert len(imported) == 25 and len(list(out.glob("*.npz"))) == 25
    check = tmp_path / "check.json"
    main(["motion", "check", str(out), "--json", str(check)])
    checked = json.loads(check.read_text())
    assert checked["loaded"] == 25 and checked["failed"] == []
    by_name = {r["name"]: r for r in imported}
    assert by_name["idle__rl_idle_ready"]["dropped_bodies"] == ["sword", "shield"]
    assert set(by_name["leap__rl_atk_jump"]["hinge_swing_deg"]) == {"right_knee", "left_knee", "right_elbow", "left_elbow"}
    assert {r["skill"] for r in imported} >= {"walk_sideways", "walk_backward", "idle", "turn", "leap"}
    assert all(r["fps"] == 30.0 and abs(r["floor_shift_m"]) < 0.05 for r in imported)


def test_forward_kinematics_match_the_files_own(character, walk_left):
    """Every body of every frame where the file's skeleton puts it (hinges here carry no swing),
    up to the floor shift."""
    clip, report = import_file(WALK_LEFT, character, ImportOptions())
    assert report["hinge_swing_deg"]["right_knee"]["max"] < 0.01
    fk = _skeleton_fk(walk_left)
    names = walk_left["skeleton_tree"]["node_names"]
    model, data = character.model(), None
    data = mujoco.MjData(model)
    worst = 0.0
    for t in range(clip.num_frames):
        data.qpos[:] = clip.qpos[t]
        mujoco.mj_kinematics(model, data)
        for b in character.body_names:
            expected = fk[t, names.index(b)] + [0.0, 0.0, report["floor_shift_m"]]
            worst = max(worst, float(np.abs(data.xpos[model.body(b).id] - expected).max()))
    assert worst < 1e-4


def test_quaternion_order_is_converted(character, walk_left, tmp_path):
    """The files hold (x, y, z, w): a root yaw of 90 degrees stored as (0, 0, s, c) becomes the
    project's (c, 0, 0, s)."""
    d = copy.deepcopy(walk_left)
    s = math.sin(math.pi / 4)
    d["rotation"]["arr"][:, 0] = [0.0, 0.0, s, s]
    clip, _ = import_file(_save(d, tmp_path / "yaw.npy"), character, ImportOptions())
    np.testing.assert_allclose(clip.qpos[:, 3:7], np.tile([s, 0.0, 0.0, s], (clip.num_frames, 1)), atol=1e-12)


def test_hinge_projection_keeps_the_twist_and_reports_the_swing():
    axis = np.array([0.0, -1.0, 0.0])
    twist = R.quat_from_axis_angle(torch.tensor(axis), torch.tensor(-1.0, dtype=torch.float64))
    swing = R.quat_from_axis_angle(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), torch.tensor(math.radians(10.0), dtype=torch.float64))
    q = R.quat_mul(swing, twist).numpy()[None]
    angle, dropped = hinge_angle_and_swing(np.concatenate([q, -q]), axis)  # q and -q: the same rotation
    np.testing.assert_allclose(angle, [-1.0, -1.0], atol=1e-9)
    np.testing.assert_allclose(np.degrees(dropped), [10.0, 10.0], atol=1e-5)


def test_resampled_to_the_project_rate(character, walk_left, tmp_path):
    """A 60 Hz file becomes 30 Hz: every other frame. (The file says 29.9989 fps: imported at 30
    as it is.)"""
    d = copy.deepcopy(walk_left)
    d["fps"] = np.float64(60.0)
    clip, report = import_file(_save(d, tmp_path / "fast.npy"), character, ImportOptions(fps=30.0))
    source, _ = import_file(WALK_LEFT, character, ImportOptions(fps=30.0))  # the file's own frames
    T = source.num_frames
    assert report["fps_in"] == 60.0 and clip.fps == 30.0 and clip.num_frames == (T - 1) // 2 + 1
    every_other = source.qpos[: 2 * clip.num_frames - 1 : 2]
    np.testing.assert_allclose(clip.qpos[:, 3:], every_other[:, 3:], atol=1e-9)
    np.testing.assert_allclose(clip.qpos[:, :2], every_other[:, :2], atol=1e-9)
    height = clip.qpos[:, 2] - every_other[:, 2]  # the floor is found anew on the frames kept
    assert np.ptp(height) < 1e-9 and abs(height[0]) < 0.01


def test_lowest_foot_on_the_floor(character, walk_left, tmp_path):
    d = copy.deepcopy(walk_left)
    d["root_translation"]["arr"][:, 2] += 0.3
    clip, report = import_file(_save(d, tmp_path / "high.npy"), character, ImportOptions())
    low = lowest_geom_z(character._model, clip.qpos, character.contact_bodies)
    assert low.min() == pytest.approx(0.0, abs=1e-9)
    assert report["floor_shift_m"] == pytest.approx(-0.3 + import_file(WALK_LEFT, character, ImportOptions())[1]["floor_shift_m"], abs=1e-4)


def test_skills_licence_and_sampling_by_skill(character, tmp_path):
    names = [p.stem for p in sorted(REALLUSION_DIR.glob("*.npy"))]
    skills = {n: ase_skill(n) for n in names}
    assert None not in skills.values()
    assert skills["RL_Avatar_WalkLeft01_Motion"] == "walk_sideways" and skills["RL_Avatar_RunBackward_Motion"] == "run_backward"
    assert skills["RL_Avatar_TurnRight180_Motion"] == "turn" and skills["RL_Avatar_Atk_Jump_Motion"] == "leap"
    assert skills["RL_Avatar_Idle_Alert_Motion"] == "idle" and skills["RL_Avatar_Dodge_Backward_Motion"] == "dodge"
    out = tmp_path / "clips"
    main(["motion", "import", str(REALLUSION_DIR / "RL_Avatar_Idle_Ready_Motion.npy"), str(REALLUSION_DIR / "RL_Avatar_TurnLeft90_Motion.npy"),
          "--out", str(out)])
    clip = load_clip(out / "idle__rl_idle_ready.npz", character)
    assert clip.licence == REALLUSION and is_non_commercial(clip.licence) and clip.source.endswith("RL_Avatar_Idle_Ready_Motion.npy")
    lib = MotionLib.from_paths([out], character)
    assert lib.skills == ["idle", "turn"]
    drawn = lib.sample_clips(64, lib.skill_weights(["turn"]), torch.Generator().manual_seed(0))
    assert set(drawn.tolist()) == {1}
    with pytest.raises(KeyError, match="leap"):
        lib.skill_weights(["leap"])


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused(character, tmp_path):
    evil = _Evil()
    evil.marker = tmp_path / "ran"
    path = tmp_path / "evil.npy"
    np.save(path, np.array({"rotation": evil}, dtype=object), allow_pickle=True)
    with pytest.raises(ClipError, match=r"evil\.npy.*(system|posix).*refused"):
        import_file(path, character, ImportOptions())
    assert not evil.marker.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["skeleton_tree"]["local_translation"]["arr"].__setitem__(12, [0.0, 0.0, -0.5]), "another skeleton.*right_shin.*cm"),
        (lambda d: d["skeleton_tree"]["node_names"].__setitem__(2, "neck"), r"another skeleton.*\['head'\]"),
        (lambda d: d["rotation"]["arr"].__setitem__((5, 3), np.nan), "NaN"),
        (lambda d: d["root_translation"]["arr"].__setitem__((7, 2), 40.0), "root height 4.*frame 7"),
        (lambda d: d["root_translation"]["arr"].__imul__(100.0), "centimetres"),
        (lambda d: d.pop("skeleton_tree"), "not a SkeletonMotion"),
    ],
)
def test_bad_files_get_one_clear_error(character, walk_left, tmp_path, change, message):
    d = copy.deepcopy(walk_left)
    change(d)
    path = _save(d, tmp_path / "bad.npy")
    with pytest.raises(ClipError, match=message) as err:
        import_file(path, character, ImportOptions())
    assert str(path) in str(err.value)


def test_cli_keeps_the_good_clips_and_exits_2_on_a_bad_file(walk_left, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _save(copy.deepcopy(walk_left), folder / "a_good.npy")
    (folder / "b_truncated.npy").write_bytes(WALK_LEFT.read_bytes()[:500])
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["motion", "import", str(folder), "--out", str(out), "--skill", "walk_sideways"])
    assert exit_.value.code == 2
    assert "b_truncated.npy" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["walk_sideways__a_good.npz"]

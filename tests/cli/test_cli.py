"""The `tasktokens` command, called in-process through tasktokens.cli.main.main."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from tasktokens.cli.main import main
from tasktokens.motion.clip import load_clip
from tasktokens.motion.labels import skill_label
from tests.fresh_interpreter import modules_after


@pytest.fixture()
def clip_folder(walk_file, tmp_path) -> Path:
    """One good clip (a copy of the walk) and one corrupt file."""
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(walk_file, folder / walk_file.name)
    (folder / "corrupt.txt").write_text('{"Loop": "wrap", "Frames": [[0.1, 0.0')
    return folder


def test_motion_check_json(clip_folder, tmp_path, capsys):
    """A failed file: the report is printed and written, then the command exits 2 with one line."""
    out = tmp_path / "report" / "check.json"
    with pytest.raises(SystemExit) as exc:
        main(["motion", "check", str(clip_folder), "--json", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "loaded 1 clips, 1 failed" in err and "corrupt.txt" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("tasktokens: error: motion check: 1 of 2 files failed") and str(out) in last
    report = json.loads(out.read_text())
    assert set(report) == {"loaded", "failed", "clips"}
    assert report["loaded"] == 1
    assert report["clips"] == [
        {
            "name": "humanoid3d_walk",
            "frames": 39,
            "seconds": pytest.approx(1.2666, abs=1e-3),
            "fps": pytest.approx(30.0, abs=0.01),
        }
    ]
    assert len(report["failed"]) == 1
    failed = report["failed"][0]
    assert set(failed) == {"path", "error"}
    assert failed["path"] == str(clip_folder / "corrupt.txt") and "corrupt.txt" in failed["error"]


def test_motion_convert_writes_npz(clip_folder, character, walk_file, tmp_path):
    out = tmp_path / "npz"
    main(["motion", "convert", str(clip_folder), "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["humanoid3d_walk.npz"]
    np.testing.assert_array_equal(load_clip(out / "humanoid3d_walk.npz", character).qpos, load_clip(walk_file, character).qpos)


def test_motion_convert_skill_relabels_and_keeps_the_source(clip_folder, character, walk_file, tmp_path, capsys):
    """--skill jog: the walk is saved as jog__humanoid3d_walk, labelled jog, its source (and so its
    licence in model cards) still the original file."""
    out = tmp_path / "npz"
    main(["motion", "convert", str(clip_folder / walk_file.name), "--skill", "jog", "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["jog__humanoid3d_walk.npz"]
    clip = load_clip(out / "jog__humanoid3d_walk.npz", character)
    assert clip.name == "jog__humanoid3d_walk" and skill_label(clip.name) == "jog"
    assert clip.source == str(clip_folder / walk_file.name)
    np.testing.assert_array_equal(clip.qpos, load_clip(walk_file, character).qpos)
    with pytest.raises(SystemExit) as exc:  # a label holding the separator would not read back
        main(["motion", "convert", str(clip_folder / walk_file.name), "--skill", "a__b", "--out", str(out)])
    assert exc.value.code == 2 and "--skill 'a__b'" in capsys.readouterr().err


def test_bench_sim_json(tmp_path):
    out = tmp_path / "bench.json"
    main(["bench", "sim", "--seconds", "0.5", "--num-envs", "16", "--threads", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    assert {"env_steps_per_s", "raw_steps_per_s", "ratio"} <= set(result)
    assert result["num_envs"] == 16 and result["substeps"] == 4
    assert result["env_steps_per_s"] > 0 and result["raw_steps_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["env_steps_per_s"] * result["substeps"] / result["raw_steps_per_s"], rel=1e-9)


def test_play_motion_gif(tmp_path):
    out = tmp_path / "x.gif"
    main(["play-motion", "--clip", "humanoid3d_walk", "--out", str(out), "--seconds", "0.5"])
    frames = imageio.mimread(out)
    assert len(frames) == 15  # 0.5 s at 30 frames/s
    assert np.asarray(frames[0]).std() > 10


def test_play_motion_pd_mode_and_unknown_clip(walk_file, tmp_path, capsys):
    out = tmp_path / "pd.gif"
    main(
        [
            "play-motion",
            "--clip",
            "humanoid3d_walk",
            "--motions",
            str(walk_file),
            "--mode",
            "pd",
            "--out",
            str(out),
            "--seconds",
            "0.2",
        ]
    )
    assert len(imageio.mimread(out)) == 6
    with pytest.raises(SystemExit) as exc:
        main(["play-motion", "--clip", "no_such_clip", "--motions", str(walk_file), "--out", str(tmp_path / "y.gif")])
    assert exc.value.code == 2 and "no clip named 'no_such_clip'" in capsys.readouterr().err


def test_usage_and_unknown_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    usage = capsys.readouterr().err
    assert "motion check" in usage and "bench sim" in usage and "play-motion" in usage
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


def test_unknown_command_names_itself(capsys):
    with pytest.raises(SystemExit) as info:
        main(["motion", "chek", "--json", "x.json"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "tasktokens: error: unknown command 'motion chek'"


def test_every_command_resolves_to_a_class_with_run():
    """The lazy command table names modules and classes as strings: each must import, be a class
    with a run() method, and have a one-sentence description."""
    from tasktokens.cli.main import COMMANDS, command_class

    for words, (_, _, description) in COMMANDS.items():
        cls = command_class(words)
        assert isinstance(cls, type) and callable(getattr(cls, "run", None)), words
        assert description[:1].isupper() and description.endswith(".") and "\n" not in description, words


def _imports_after(code: str) -> set[str]:
    """Heavy modules imported by running `code` in a fresh interpreter."""
    heavy = ("torch", "mujoco", "rsl_rl", "onnx", "matplotlib", "tensorboard")
    return modules_after(code, timeout=120) & set(heavy)


def test_help_imports_no_heavy_module():
    """`tasktokens --help`, the bare command, an unknown command and `tasktokens adapt --help`
    answer without importing torch, MuJoCo, rsl_rl, ONNX, matplotlib or TensorBoard."""
    for argv in (["--help"], [], ["no-such-command"], ["adapt", "--help"]):
        code = f"from tasktokens.cli.main import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
        assert _imports_after(code) == set(), argv


def test_console_script_exit_status(walk_file, tmp_path):
    """The installed `tasktokens` entry point exits 0 after a successful command."""
    exe = Path(sys.executable).parent / "tasktokens"
    if not exe.exists():
        pytest.skip("tasktokens console script not installed in this environment")
    out = tmp_path / "check.json"
    proc = subprocess.run(
        [str(exe), "motion", "check", str(walk_file), "--json", str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["loaded"] == 1


def test_input_errors_are_one_line_and_exit_2(capsys, tmp_path):
    import pytest

    from tasktokens.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["eval", "tracker", "--checkpoint", str(tmp_path / "missing.safetensors"), "--episodes", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "missing.safetensors: no such checkpoint" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["adapt", "--task", "no_such_task"])
    assert exc.value.code == 2 and "unknown task 'no_such_task'" in capsys.readouterr().err

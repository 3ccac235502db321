"""Shipping a run: files copied, card with samples, licences and results."""

import json

from tasktokens.train.model_card import Ship, licence_of
from tests.train.test_runner import _config


def test_licences_by_folder():
    assert licence_of("/x/deepmimic/clips/humanoid3d_walk.txt").startswith("MIT")
    assert "BY-NC" in licence_of("/x/deepmimic/sie-noncommercial/sie_humanoid3d_run_left00.txt")


def test_a_derived_clip_has_the_licence_of_its_source(tmp_path):
    """ship takes each clip's licence from load_clip(...).source: a derived .npz records its source."""
    import numpy as np

    from tasktokens.character import HUMANOID3D
    from tasktokens.motion.clip import MotionClip, load_clip, save_npz

    held = tmp_path / "runs" / "clips_hold" / "humanoid3d_kick_hold.npz"  # a folder that names no licence
    held.parent.mkdir(parents=True)
    qpos = np.zeros((2, HUMANOID3D._model.nq))
    save_npz(MotionClip("humanoid3d_kick_hold", qpos, 30.0, False, "humanoid3d",
                        "../shared/data/motions/deepmimic/clips/humanoid3d_kick.txt [0.0-1.4 s + 6.0 s hold]"), held)
    assert licence_of(str(held)).startswith("unknown")
    assert licence_of(load_clip(held, HUMANOID3D).source).startswith("MIT")
    save_npz(MotionClip("humanoid3d_kick_hold", qpos, 30.0, False, "humanoid3d", ""), held)  # no recorded source: the path decides
    assert load_clip(held, HUMANOID3D).source == str(held)


def test_ship_writes_checkpoint_config_and_card(tmp_path):
    run = tmp_path / "run"
    _config(run, 32).run()
    report = {"success_rate": 0.5, "locomotion_success_rate": 0.75, "mpjpe_mm": 40.0, "per_clip": {"humanoid3d_walk": {"success_rate": 0.75, "mpjpe_mm": 40.0, "episodes": 4}}}
    (tmp_path / "eval.json").write_text(json.dumps(report))
    out = tmp_path / "shipped"
    card = Ship(run_dir=run, out=out, eval_json=tmp_path / "eval.json", eval_command="tasktokens eval tracker --episodes 4").run()
    text = card.read_text()
    assert (out / "checkpoint.safetensors").exists() and (out / "config.json").exists() and (out / "eval.json").exists()
    # the training state that continues these weights comes along (`adapt/pretrain --resume` from the shipped folder)
    assert (out / "train_state.json").read_bytes() == (run / "train_state.json").read_bytes()
    assert (out / "train_state.safetensors").read_bytes() == (run / "train_state.safetensors").read_bytes()
    assert "Trained for 32 environment steps" in text
    assert "MIT (DeepMimic)" in text and "BY-NC" not in text
    assert "| humanoid3d_walk | 0.75 | 40 | 4 |" in text
    assert "tasktokens eval tracker --episodes 4" in text
    assert "Data: 1 clips" in text  # the tracker's env names one clip
    assert "CPU cores" in text and "elsewhere" not in text  # this machine, unless the run moved
    moved = Ship(run_dir=run, out=out, eval_json=tmp_path / "eval.json", eval_command="e", machine="a GPU elsewhere").run().read_text()
    assert "of wall time on a GPU elsewhere." in moved


def test_card_of_a_distilled_bfm_lists_its_own_clips(tmp_path, teacher):
    from tests.train.conftest import _distill
    from tests.train.test_runner import CLIP

    run = _distill(tmp_path / "run", teacher, 32)
    run.motions = (CLIP.parent / "humanoid3d_run.txt", CLIP.parent / "humanoid3d_jog.txt")
    run.run()
    per_clip = {"humanoid3d_run": {"episodes": 4, "teacher_success": 0.75, "full_goal_success": 0.5, "mpjpe_mm": 61.4}}
    (tmp_path / "eval.json").write_text(json.dumps({"full_goal_success": 0.5, "per_clip": per_clip}))  # as `eval bfm` writes it
    text = Ship(run_dir=tmp_path / "run", out=tmp_path / "shipped", eval_json=tmp_path / "eval.json", eval_command="e").run().read_text()
    assert "Data: 2 clips" in text and "humanoid3d_run" in text and "humanoid3d_walk" not in text
    assert "| humanoid3d_run | 0.75 | 0.50 | 61 | 4 |" in text


def test_card_of_a_task_token_names_its_task_bfm_and_locomotion_clips(tmp_path, tiny_bfm):
    """... and a token through a BFM whose card says non-commercial says so first too."""
    import shutil

    from tests.train.test_adapt import _adapt

    bfm = tmp_path / "bfm" / "checkpoint.safetensors"
    bfm.parent.mkdir()
    shutil.copy2(tiny_bfm, bfm)
    _adapt(tmp_path / "run", bfm, task="reach").run()
    (tmp_path / "eval.json").write_text(json.dumps({"task": "reach", "success_rate": 0.25}))
    ship_card = Ship(run_dir=tmp_path / "run", out=tmp_path / "shipped", eval_json=tmp_path / "eval.json", eval_command="e").run
    text = ship_card().read_text()
    assert "Task `reach`, method `task_tokens`" in text and str(bfm) in text and "Non-commercial" not in text
    clips = text.split("## Clips")[1]
    assert "humanoid3d_walk" in clips and "humanoid3d_punch" not in clips and "humanoid3d_backflip" not in clips
    (bfm.parent / "MODEL_CARD.md").write_text("# a BFM\n\n**Non-commercial**: trained on clips licensed for non-commercial use only (x).\n")
    lines = ship_card().read_text().splitlines()
    assert lines[2].startswith("**Non-commercial**") and str(bfm) in lines[2]


def test_card_of_a_model_trained_on_non_commercial_clips_says_so_first(tmp_path):
    """A tracker trained on an imported Reallusion clip: the card's first line under the title
    names the restriction, and the clip's licence is among the data's."""
    import dataclasses

    from tasktokens.cli.main import main
    from tasktokens.motion.licences import REALLUSION
    from tasktokens.motion.motion_lib import data_root

    clips = tmp_path / "clips"
    main(["motion", "import", str(data_root() / "motions" / "reallusion-sword-shield-noncommercial" / "clips" / "RL_Avatar_Idle_Ready_Motion.npy"),
          "--out", str(clips)])
    cfg = _config(tmp_path / "run", 32)
    cfg.env = dataclasses.replace(cfg.env, motions=(clips / "idle__rl_idle_ready.npz",))
    cfg.run()
    (tmp_path / "eval.json").write_text(json.dumps({"success_rate": 0.5}))
    lines = Ship(run_dir=tmp_path / "run", out=tmp_path / "shipped", eval_json=tmp_path / "eval.json", eval_command="e").run().read_text().splitlines()
    assert lines[0].startswith("# ") and lines[2].startswith("**Non-commercial**") and REALLUSION in lines[2]
    assert any(line.startswith("- Data: 1 clips") and REALLUSION in line for line in lines)

"""Distillation: goal-mask sampling, teacher labels, a short DAgger run that saves and learns."""

import dataclasses

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.models.loading import load_bfm
from tasktokens.motion.labels import is_locomotion, skill_label
from tasktokens.train import distill
from tasktokens.train.checkpoint import WEIGHTS, load_weights
from tasktokens.train.distill import GoalMaskConfig, sample_goal_masks
from tasktokens.train.runner import RunnerConfig
from tests.train.conftest import _distill
from tests.train.test_runner import CLIP


def test_goal_masks_follow_the_recipe():
    cfg = GoalMaskConfig(root_only_prob=0.0)  # the paper's masks alone
    masks, far, skill = sample_goal_masks(20000, 3, 7, cfg, torch.Generator().manual_seed(0))
    near = masks[:, 0]  # (n, E, 2)
    active = near.any(-1).sum(-1)
    shown = active > 0
    assert active.max() <= 7 and active[shown].min() >= 1
    assert (1 - shown.float().mean()).item() == pytest.approx(cfg.no_goal_prob, abs=0.01)
    assert torch.equal(masks[:, 0], masks[:, 1]) and torch.equal(masks[:, 1], masks[:, 2])  # near frames share a mask
    assert (masks[:, -1] <= masks[:, 0]).all()  # the far frame shows a subset (all or nothing)
    far_shown = masks[:, -1].any(-1).any(-1)[shown].float().mean().item()
    assert far_shown == pytest.approx(cfg.far_prob, abs=0.02)
    assert far.min() >= 10 and far.max() <= 90
    both = (near.all(-1)).sum().item()
    trans_only = (near[..., 0] & ~near[..., 1]).sum().item()
    assert both == pytest.approx(trans_only, rel=0.1)  # the three channel choices are equally likely
    assert skill.float().mean().item() == pytest.approx(cfg.skill_prob, abs=0.02)


def test_root_only_masks_show_the_root_with_both_channels():
    cfg = GoalMaskConfig(root_only_prob=0.5, no_goal_prob=0.0)
    masks, _far, _skill = sample_goal_masks(20000, 3, 7, cfg, torch.Generator().manual_seed(0))
    near = masks[:, 0]
    root_only = near[:, -1].all(-1) & ~near[:, :-1].any(-1).any(-1)
    # 0.5 forced, plus the uniform masks that happen to pick the root alone with both channels (1/49 * 1/3)
    assert root_only.float().mean().item() == pytest.approx(0.5 + 0.5 / 147, abs=0.015)
    masks0, *_ = sample_goal_masks(20000, 3, 7, GoalMaskConfig(root_only_prob=0.0, no_goal_prob=0.0), torch.Generator().manual_seed(0))
    near0 = masks0[:, 0]
    assert (near0[:, -1].all(-1) & ~near0[:, :-1].any(-1).any(-1)).float().mean().item() < 0.02


def test_full_goal_masks_show_everything_in_every_frame():
    cfg = GoalMaskConfig(root_only_prob=0.4, full_prob=0.3)
    masks, _far, _skill = sample_goal_masks(20000, 3, 7, cfg, torch.Generator().manual_seed(0))
    full = masks.flatten(1).all(-1)  # every entity, both channels, near and far frames
    # chosen among the masks that are not root-only: 0.6 x 0.3, despite gaps and far-frame dropping
    assert full.float().mean().item() == pytest.approx(0.6 * 0.3, abs=0.015)
    root_only = masks[:, 0, -1].all(-1) & ~masks[:, 0, :-1].any(-1).any(-1)
    assert not (full & root_only).any() and root_only.float().mean().item() > 0.3
    masks0, *_ = sample_goal_masks(20000, 3, 7, GoalMaskConfig(), torch.Generator().manual_seed(0))
    assert masks0.flatten(1).all(-1).float().mean().item() < 0.002  # the uniform masks alone almost never do


def test_hand_masks_show_the_root_and_one_hands_translation():
    cfg = GoalMaskConfig(root_only_prob=0.4, hand_prob=0.5, no_goal_prob=0.0)
    hands = (2, 3)
    masks, _far, _skill = sample_goal_masks(20000, 3, 7, cfg, torch.Generator().manual_seed(0), hands)
    near = masks[:, 0]
    root_both = near[:, -1].all(-1)
    one_hand = near[:, list(hands), 0].sum(-1) == 1
    rest_off = ~near[:, :-1, 1].any(-1) & (near[:, :-1, 0].sum(-1) == 1)
    hand_mask = root_both & one_hand & rest_off
    # chosen among the 0.6 that are not root-only (uniform masks add about 0.03%)
    assert hand_mask.float().mean().item() == pytest.approx(0.6 * 0.5, abs=0.015)
    right = near[hand_mask][:, 2, 0].float().mean().item()
    assert right == pytest.approx(0.5, abs=0.03)  # right and left hands equally often
    assert torch.equal(masks[:, 0], masks[:, 2])  # every near frame
    with pytest.raises(ValueError, match="hands' entity rows"):
        sample_goal_masks(10, 3, 7, cfg, torch.Generator().manual_seed(0))
    base, *_ = sample_goal_masks(500, 3, 7, GoalMaskConfig(), torch.Generator().manual_seed(3))
    same, *_ = sample_goal_masks(500, 3, 7, GoalMaskConfig(), torch.Generator().manual_seed(3), hands)
    assert torch.equal(base, same)  # hand_prob 0 keeps the random stream of earlier runs


def test_bf16_updates_train_a_float32_student(tmp_path, teacher, monkeypatch):
    cfg = dataclasses.replace(_distill(tmp_path, teacher, 64), precision="bf16")
    monkeypatch.setattr(distill, "cpu_has_native_bf16", lambda: False)  # the warning, whatever this CPU is
    with pytest.warns(UserWarning, match="without native bf16.*--precision fp32"):
        runner = cfg.run()
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in runner.bfm.parameters())
    tensors, _meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert all(v.dtype == torch.float32 for k, v in tensors.items() if k.startswith("bfm.") and v.is_floating_point())


def test_skill_labels():
    assert skill_label("humanoid3d_long_walk2_mirror") == "long_walk"
    assert skill_label("sie_humanoid3d_run_left03") == "run_left"
    assert skill_label("run__sie_humanoid3d_run_left03") == "run"  # relabelled (motion convert --skill)
    assert skill_label("long_walk__humanoid3d_walk_mirror_hold") == "long_walk"
    assert skill_label("humanoid3d_dance_a") == "dance_a"
    assert is_locomotion("run__humanoid3d_punch") and not is_locomotion("punch__humanoid3d_walk")  # by the new label




def test_short_run_saves_a_loadable_bfm(tmp_path, teacher):
    runner = _distill(tmp_path, teacher, 64).run()
    assert runner.iteration == 2
    tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert meta["skills"] == ["walk"] and meta["bfm"]["num_goal_frames"] == 4 and meta["num_entities"] == 7
    assert meta["bfm"]["skill_names"] == ["walk"]  # priors pick skill tokens by name
    assert any(k.startswith("bfm.prior_transformer") for k in tensors)


def test_a_bfm_saved_before_skill_names_were_recorded_loads_them_from_its_skills_metadata():
    """BFMs v0-v4 name their skills only in the checkpoint's "skills" metadata."""
    from tasktokens.train.checkpoint import REPO_ROOT

    v4 = REPO_ROOT / "checkpoints" / "bfm_v4" / "checkpoint.safetensors"
    _tensors, meta = load_weights(v4, HUMANOID3D)
    assert "skill_names" not in meta["bfm"]
    bfm, _ = load_bfm(v4, HUMANOID3D)
    assert list(bfm.cfg.skill_names) == meta["skills"] and len(meta["skills"]) == bfm.cfg.num_skills
    assert bfm.cfg.skill_names[bfm.cfg.skill_id("jog")] == "jog"


def test_the_bfm_records_the_near_steps_of_its_teacher_not_the_config_default(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 32)
    cfg.bfm = dataclasses.replace(cfg.bfm, near_steps=(5, 6, 7))  # what priors would otherwise trust
    cfg.run()
    _tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    teacher_steps = load_weights(teacher, HUMANOID3D)[1]["config"]["env"]["future_steps"]
    assert meta["bfm"]["near_steps"] == list(teacher_steps) == [1, 2, 4]


def test_resume_takes_the_learning_rate_of_the_new_config(tmp_path, teacher):
    first = _distill(tmp_path, teacher, 32).run()
    cfg = _distill(tmp_path, teacher, 64)
    cfg.resume, cfg.learning_rate = True, 1e-5
    runner = cfg.run()
    assert runner.iteration == first.iteration + 1  # it continued (32 samples per iteration)
    assert runner.learning_rate == 1e-5
    assert runner.optimizer.state_dict()["state"]  # Adam moments restored, not reset


def test_motions_override_the_teachers_clips(tmp_path, teacher):
    run = _distill(tmp_path, teacher, 32)
    run.motions = (CLIP.parent / "humanoid3d_run.txt",)  # the teacher was trained on walk only
    run.run()
    _tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert meta["skills"] == ["run"]


def test_student_learns_the_teacher_labels(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 32)
    cfg.runner = RunnerConfig(max_samples=0)
    runner = cfg.run()  # builds everything, trains nothing
    runner.collect()
    buffer = list(runner._buffer)
    first = None
    for _ in range(60):
        runner._buffer = list(buffer)
        losses = runner.update()
        first = first if first is not None else losses["mse"]
    assert losses["mse"] < 0.5 * first


def test_teacher_labels_reproduce_the_teacher_targets(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 0)
    cfg.runner = RunnerConfig(max_samples=0)
    runner = cfg.run()
    obs = runner.env.get_observations()
    with torch.inference_mode():
        labels = runner.teacher_labels(obs)
        targets = runner.env.residual_targets(runner.teacher(obs))
        back = runner.env.sim.pd_targets(labels.double())
    assert labels.abs().max() <= 1.0
    # ball-joint targets come back exactly; hinge targets beyond the joint range come back at its limit
    lo = runner.env.sim.action_offset - runner.env.sim.action_scale
    hi = runner.env.sim.action_offset + runner.env.sim.action_scale
    assert torch.allclose(back, torch.maximum(torch.minimum(targets, hi), lo), atol=1e-5)


def test_eval_bfm_reports_the_four_numbers_and_a_per_clip_breakdown(tmp_path, teacher):
    from tasktokens.eval.bfm import BFMEval

    _distill(tmp_path / "bfm", teacher, 32).run()
    report = BFMEval(motions=(CLIP,), episodes=2, checkpoint=tmp_path / "bfm" / WEIGHTS,
                     num_envs=2, json=tmp_path / "eval.json").run()
    assert set(report) == {"teacher_success", "full_goal_success", "sparse_goal_success", "mpjpe_mm", "per_clip"}
    assert all(0.0 <= report[k] <= 1.0 for k in ("teacher_success", "full_goal_success", "sparse_goal_success"))
    assert report["mpjpe_mm"] > 0
    (clip,) = report["per_clip"].values()  # one clip: its breakdown is the whole evaluation
    assert clip["episodes"] == 2
    assert clip["full_goal_success"] == report["full_goal_success"] and clip["teacher_success"] == report["teacher_success"]
    assert abs(clip["mpjpe_mm"] - report["mpjpe_mm"]) < 1e-6


def test_per_clip_report_groups_episodes_by_clip():
    from tasktokens.eval.bfm import Episodes, per_clip_report

    eps = Episodes(clips=torch.tensor([0, 1, 0, 1]), ok=torch.tensor([True, False, False, False]),
                   err=torch.tensor([1.0, 2.0, 3.0, 4.0]), steps=torch.tensor([10.0, 10.0, 30.0, 10.0]))
    rep = per_clip_report(eps, ["a", "b", "c"], {"a": {"success_rate": 1.0}})
    assert set(rep) == {"a", "b"}  # clip c had no episode
    assert rep["a"] == {"episodes": 2, "teacher_success": 1.0, "full_goal_success": 0.5, "mpjpe_mm": 100.0}
    assert rep["b"]["full_goal_success"] == 0.0 and rep["b"]["teacher_success"] is None
    assert abs(rep["b"]["mpjpe_mm"] - 300.0) < 1e-4


def test_distance_to_path_and_sparse_masks():
    from tasktokens.eval.bfm import distance_to_path, sparse_goal_masks

    ref = torch.tensor([[[0.0, 0.0]], [[1.0, 0.0]], [[2.0, 0.0]]])  # (T=3, N=1, 2) a straight path
    cur = torch.tensor([[[0.0, 0.5]], [[2.0, 0.3]], [[5.0, 0.0]]])  # late but on the path, then off its end
    assert torch.allclose(distance_to_path(cur, ref)[:, 0], torch.tensor([0.5, 0.3, 3.0]))
    m = sparse_goal_masks(2, 4, 7)
    assert m[:, :3, 6].all() and not m[:, :3, :6].any() and not m[:, 3].any()


def test_train_prior_only_leaves_decoder_and_posterior_bitwise_unchanged(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 32)
    cfg.runner = RunnerConfig(max_samples=0)
    cfg.train_prior_only, cfg.prior_action_weight = True, 1.0
    runner = cfg.run()
    before = {k: v.clone() for k, v in runner.bfm.state_dict().items()}
    runner.collect()
    runner.update()
    after = runner.bfm.state_dict()
    frozen = ("decoder.", "posterior.", "posterior_norm.")
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith(frozen))
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("prior_transformer."))


def test_root_height_noise_shifts_only_the_root_height_goal_by_one_offset_per_environment(tmp_path, teacher):
    """--masks.root-height-noise: each environment's root height goal moves by its own offset in
    every frame, nothing else in the goals moves, and a new mask draws a new offset."""
    plain = _distill(tmp_path / "a", teacher, 64).build_runner()
    cfg = _distill(tmp_path / "b", teacher, 64)
    noisy = dataclasses.replace(cfg, masks=dataclasses.replace(cfg.masks, root_height_noise=0.05)).build_runner()
    assert plain.height_offset is None
    offset = noisy.height_offset.clone()
    assert offset.shape == (8,) and 0 < offset.abs().max() < 0.5
    noisy.masks = plain.masks.clone()  # the same masks and far frames, so only the offset differs
    noisy.far, noisy.show_skill = plain.far.clone(), plain.show_skill.clone()
    a, b = plain.goals().frames, noisy.goals().frames  # (N, F, E, features + 2 mask bits)
    shown = plain.masks[:, :, -1, 0]  # root translation visible: (N, F)
    assert shown.any() and not shown.all()  # both cases are checked
    diff = b - a
    expected = torch.where(shown, offset[:, None].expand_as(shown), torch.zeros_like(shown, dtype=offset.dtype))
    torch.testing.assert_close(diff[:, :, -1, 2], expected)
    diff[:, :, -1, 2] = 0
    assert diff.abs().max() == 0
    noisy._resample_masks(torch.tensor([0, 3]))
    changed = noisy.height_offset != offset
    assert changed[[0, 3]].all() and not changed[[1, 2, 4, 5, 6, 7]].any()

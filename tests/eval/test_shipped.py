"""The shipped checkpoints do what their model cards say on clips they were trained on
(regression tests of loading, observation layout and action conventions end to end)."""

from tasktokens.eval.tracker import SHIPPED_TRACKER, TrackerEval
from tasktokens.motion.motion_lib import data_root

CLIPS = data_root() / "motions" / "deepmimic" / "clips"


def test_shipped_tracker_follows_walk_and_run():
    assert SHIPPED_TRACKER.exists(), "checkpoints/tracker is part of the repository"
    report = TrackerEval(motions=(CLIPS / "humanoid3d_walk.txt", CLIPS / "humanoid3d_run.txt"), episodes=8, num_envs=8).run()
    assert report["success_rate"] == 1.0
    assert report["per_clip"]["humanoid3d_walk"]["mpjpe_mm"] < 60.0  # model card: 32 mm
    assert report["per_clip"]["humanoid3d_run"]["mpjpe_mm"] < 110.0  # model card: 70 mm


def test_shipped_bfm_follows_full_goals_on_walk_and_its_actions_depend_on_the_goals():
    import torch

    from tasktokens.character import HUMANOID3D
    from tasktokens.eval.bfm import SHIPPED_BFM, BFMEval
    from tasktokens.train.distill import load_bfm

    report = BFMEval(motions=(CLIPS / "humanoid3d_walk.txt",), episodes=8, num_envs=8).run()
    assert report["full_goal_success"] >= 0.75 and report["mpjpe_mm"] < 100.0  # model card run: 1.0, 47 mm
    # no posterior collapse: the prior's z carries the goals into the action
    bfm, _meta = load_bfm(SHIPPED_BFM, HUMANOID3D)
    z = torch.randn(64, bfm.cfg.latent_dim)
    proprio = bfm.proprio_norm._mean.expand(64, -1)  # the mean state
    with torch.no_grad():
        spread = (bfm.decode(proprio, z) - bfm.decode(proprio, torch.zeros_like(z))).pow(2).mean()
    assert spread > 1e-3

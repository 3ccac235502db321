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

"""The shipped checkpoints do what their model cards say on clips they were trained on
(regression tests of loading, observation layout and action conventions end to end)."""

import pytest

from tasktokens.eval.tracker import SHIPPED_TRACKER, TrackerEval
from tasktokens.motion.motion_lib import data_root
from tasktokens.train.checkpoint import REPO_ROOT

CLIPS = data_root() / "motions" / "deepmimic" / "clips"


def test_shipped_tracker_follows_walk_and_run():
    assert SHIPPED_TRACKER.exists(), "checkpoints/tracker_v1 is part of the repository"
    report = TrackerEval(motions=(CLIPS / "humanoid3d_walk.txt", CLIPS / "humanoid3d_run.txt"), episodes=8, num_envs=8).run()
    assert report["success_rate"] == 1.0
    assert report["per_clip"]["humanoid3d_walk"]["mpjpe_mm"] < 60.0  # model card: 28 mm (v0: 32 mm)
    assert report["per_clip"]["humanoid3d_run"]["mpjpe_mm"] < 110.0  # model card: 58 mm (v0: 70 mm)


BFM_V5 = REPO_ROOT / "checkpoints" / "bfm_v5" / "checkpoint.safetensors"  # shipped beside the default (v4)


@pytest.mark.parametrize("which", ["default", "v5"])
def test_shipped_bfm_follows_full_goals_on_walk_and_its_actions_depend_on_the_goals(which):
    import torch

    from tasktokens.character import HUMANOID3D
    from tasktokens.eval.bfm import SHIPPED_BFM, BFMEval
    from tasktokens.models.loading import load_bfm

    path = SHIPPED_BFM if which == "default" else BFM_V5
    report = BFMEval(motions=(CLIPS / "humanoid3d_walk.txt",), episodes=8, num_envs=8, checkpoint=path).run()
    assert report["full_goal_success"] >= 0.75 and report["mpjpe_mm"] < 100.0  # shipped v1: 1.0, 35 mm (v0: 1.0, 47 mm)
    # no posterior collapse: the prior's z carries the goals into the action
    bfm, _meta = load_bfm(path, HUMANOID3D)
    z = torch.randn(64, bfm.cfg.latent_dim)
    proprio = bfm.proprio_norm._mean.expand(64, -1)  # the mean state
    with torch.no_grad():
        spread = (bfm.decode(proprio, z) - bfm.decode(proprio, torch.zeros_like(z))).pow(2).mean()
    assert spread > 1e-3


def test_shipped_bfm_walks_where_a_hand_written_goal_says():
    """Issue 4: a constant heading/speed root goal (the direction prior, no task token) makes the
    shipped BFM walk that way without falling: a real rollout of 16 environments for 5 s."""
    import torch

    from tasktokens import rotations as rot
    from tasktokens.eval.bfm import SHIPPED_BFM
    from tasktokens.models.loading import load_bfm
    from tasktokens.models.task_tokens import TaskTokenActor
    from tasktokens.tasks import get_task
    from tasktokens.tasks.base import TaskEnvConfig

    n, steps = 16, 150
    spec = get_task("direction")
    cfg = spec.config_cls(env=TaskEnvConfig(num_envs=n, episode_steps=steps, seed=3), command_steps=10_000, speed_range=(1.0, 1.0), stop_prob=0.0)
    env = spec.env_cls(cfg)
    heading = torch.linspace(-0.5, 0.5, n)  # ahead, up to ~30 degrees either side of the start heading
    env.target_yaw[:] = rot.heading_angle(env.root_quat) + heading
    bfm, _meta = load_bfm(SHIPPED_BFM, env.character)
    actor = TaskTokenActor(env.get_observations(), bfm, None, env.prior_fn(bfm.cfg.near_steps, len(env.character.conditionable_bodies) + 1)).eval()
    obs, alive = env.get_observations(), torch.ones(n, dtype=torch.bool)
    start = env.root_pos[:, :2].clone()
    with torch.inference_mode():
        for _ in range(steps - 1):
            obs, _r, done, _e = env.step(actor(obs))
            alive &= ~done
    moved = env.root_pos[:, :2] - start
    along = (moved * env.target_dir).sum(-1)  # metres along the commanded direction
    assert alive.float().mean() >= 0.75
    assert along[alive].mean() > 3.0  # 1 m/s for 5 s, allowing for the start and the turn


TASKS = ("direction", "steering", "reach", "strike", "long_jump")


def test_every_task_has_a_shipped_token_that_runs_on_the_bfm_it_names():
    """`tasktokens eval task --task T` defaults to checkpoints/tokens/T: each loads on the BFM its
    config names (v1 or v4), steps its task, and is
    the token its card (eval.json) describes."""
    import json

    from tasktokens.eval.task import SHIPPED_TOKENS, TaskEval

    for task in TASKS:
        card = json.loads((SHIPPED_TOKENS / task / "eval.json").read_text())
        report = TaskEval(task=task, episodes=2, episode_steps=10).run()
        assert report["method"] == card["method"] == "task_tokens", task
        assert report["trainable_params"] == card["trainable_params"] <= 200_000, task
        assert report["samples_trained"] == card["samples_trained"] >= 2_500_000, task


def test_the_shipped_hybrid_tokens_load_with_their_prior_and_a_missing_one_names_the_fix():
    """`--method task_tokens_prior` defaults to checkpoints/tokens/<task>_prior (the token trained
    beside the prior); a method with no shipped policy says which `adapt` command makes one."""
    import json

    import pytest

    from tasktokens.eval.task import SHIPPED_TOKENS, TaskEval
    from tasktokens.train.checkpoint import CheckpointError

    for task in ("direction", "long_jump"):
        card = json.loads((SHIPPED_TOKENS / f"{task}_prior" / "eval.json").read_text())
        report = TaskEval(task=task, method="task_tokens_prior", episodes=2, episode_steps=10).run()
        assert report["method"] == card["method"] == "task_tokens_prior", task
        assert report["samples_trained"] == card["samples_trained"] >= 2_500_000, task
    with pytest.raises(CheckpointError, match=r"tasktokens adapt --task long_jump --method lora`"):
        TaskEval(task="long_jump", method="lora", episodes=2, episode_steps=10).run()


def test_every_shipped_checkpoint_names_an_upstream_checkpoint_that_is_shipped():
    """Shipped versions live side by side (a newer tracker or BFM goes to a new folder): the
    teacher of every shipped BFM and the BFM of every shipped token, as their saved configs name
    them, are checkpoints in the repository, so shipping a new version never orphans an old one."""
    import json

    from tasktokens.train.checkpoint import REPO_ROOT, resolve_saved_path

    shipped = REPO_ROOT / "checkpoints"
    links = [(cfg, "teacher") for cfg in shipped.glob("bfm*/config.json")]
    links += [(cfg, "bfm") for cfg in shipped.glob("tokens/*/config.json")]
    assert len(links) >= 6, links  # at least one BFM and the five tokens
    for cfg, key in links:
        upstream = resolve_saved_path(json.loads(cfg.read_text())[key]).resolve()
        assert upstream.is_file() and upstream.is_relative_to(shipped), (cfg, upstream)

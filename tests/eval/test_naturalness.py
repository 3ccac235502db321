"""Naturalness: mocap scores near the best; jittery and frozen motion score clearly worse."""

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.eval.naturalness import NaturalnessScorer
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths


@pytest.fixture(scope="module")
def lib():
    return MotionLib.from_paths(default_motion_paths(), HUMANOID3D)


def _playback(lib, name, seconds=3.0, start=0.0):
    cid = lib.clip_index(name)
    times = start + torch.arange(0.0, seconds, 1 / 30)
    st = lib.state(torch.full_like(times, cid, dtype=torch.long), times)
    return st.body_pos[:, None], st.body_quat[:, None]  # (T, 1, B, ·)


def test_mocap_near_best_jitter_and_freeze_worse(lib):
    # the mirrored long walk is scored against data without it: an unseen but natural motion
    scorer = NaturalnessScorer(lib, exclude=("humanoid3d_long_walk1_mirror",))
    pos, quat = _playback(lib, "humanoid3d_long_walk1_mirror", start=5.0)
    natural = scorer.score(pos, quat)
    jitter = pos + 0.04 * torch.randn(pos.shape, generator=torch.Generator().manual_seed(0))
    jittery = scorer.score(jitter, quat)
    # frozen: the first pose glides along the walk's root path without moving its limbs
    frozen = scorer.score(pos[:1] - pos[:1, :, :1] + pos[:, :, :1], quat[:1].expand_as(quat).clone())
    assert natural < 0.3
    assert jittery > 3 * natural and frozen > 2 * natural


def test_motion_in_the_data_scores_zero(lib):
    scorer = NaturalnessScorer(lib)
    pos, quat = _playback(lib, "humanoid3d_walk", seconds=1.0)
    assert scorer.score(pos, quat) < 1e-3

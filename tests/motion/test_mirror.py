"""Left/right mirroring of clips."""

from __future__ import annotations

import numpy as np

from tasktokens.motion.clip import load_clip
from tasktokens.motion.kinematics import clip_kinematics
from tasktokens.motion.mirror import mirror_clip


def test_mirror_of_long_walk1_is_the_shipped_mirror(character, deepmimic_dir):
    clip = load_clip(deepmimic_dir / "long" / "humanoid3d_long_walk1.txt", character)
    shipped = load_clip(deepmimic_dir / "long" / "humanoid3d_long_walk1_mirror.txt", character)
    mirrored = mirror_clip(clip, character)
    assert mirrored.name == shipped.name == "humanoid3d_long_walk1_mirror"
    assert mirrored.fps == shipped.fps and mirrored.loop == shipped.loop
    # quaternions q and -q are the same rotation: compare through the resulting body poses
    m = character.model()
    a = clip_kinematics(m, mirrored.qpos[::50], mirrored.fps / 50)
    b = clip_kinematics(m, shipped.qpos[::50], shipped.fps / 50)
    np.testing.assert_allclose(a.body_pos, b.body_pos, atol=1e-6)
    dots = np.abs(np.sum(a.body_quat * b.body_quat, axis=-1))
    np.testing.assert_allclose(dots, 1.0, atol=1e-6)
    np.testing.assert_allclose(mirrored.qpos, shipped.qpos, atol=1e-6)


def test_mirror_twice_is_identity_and_reflects_bodies(character, walk_file):
    clip = load_clip(walk_file, character)
    once = mirror_clip(clip, character)
    np.testing.assert_allclose(mirror_clip(once, character).qpos, clip.qpos, atol=1e-12)
    m = character.model()
    a = clip_kinematics(m, clip.qpos, clip.fps)
    b = clip_kinematics(m, once.qpos, once.fps)
    names = list(character.body_names)
    r, l_ = names.index("right_hand"), names.index("left_hand")
    np.testing.assert_allclose(b.body_pos[:, l_], a.body_pos[:, r] * [1, -1, 1], atol=1e-9)
    np.testing.assert_allclose(b.body_pos[:, 0], a.body_pos[:, 0] * [1, -1, 1], atol=1e-9)

"""Offscreen rendering to GIF and MP4."""

from __future__ import annotations

import imageio.v2 as imageio
import mujoco
import numpy as np
import pytest
import torch

from tasktokens.viz.video import VideoWriter, render_qpos_video


def read_frames(path) -> np.ndarray:
    if path.suffix == ".gif":
        return np.stack([f[..., :3] for f in imageio.mimread(path)])
    with imageio.get_reader(path, format="ffmpeg") as reader:
        return np.stack(list(iter(reader)))


@pytest.fixture(scope="module")
def walk_qpos(small_lib) -> np.ndarray:
    """5 states of the walk, 0.25 s apart."""
    cid = small_lib.clip_index("humanoid3d_walk")
    ref = small_lib.state(torch.full((5,), cid), torch.linspace(0.0, 1.0, 5))
    return ref.qpos.double().numpy()


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_render_clip_video(character, walk_qpos, tmp_path, suffix):
    path = render_qpos_video(character.model(), walk_qpos, tmp_path / f"walk{suffix}", fps=10, width=160, height=120)
    assert path.exists() and path.stat().st_size > 1000
    frames = read_frames(path)
    assert frames.shape == (5, 120, 160, 3)
    assert all(f.astype(float).std() > 10 for f in frames)  # not blank
    diffs = [np.abs(frames[i + 1].astype(float) - frames[i]).mean() for i in range(4)]
    assert min(diffs) > 0.5  # something changes every frame


def test_the_humanoid_moves_between_frames(character, walk_qpos, tmp_path):
    """With a fixed camera only the humanoid can change the picture: same pose, same picture;
    another pose, other pixels."""
    writer = VideoWriter(character.model(), tmp_path / "fixed.gif", width=160, height=120)
    writer.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    writer.camera.lookat[:] = [0.6, 0.0, 0.8]
    a = writer.add_qpos(walk_qpos[0])
    again = writer.add_qpos(walk_qpos[0])
    b = writer.add_qpos(walk_qpos[2])

    def changed(x, y):
        return (np.abs(x.astype(int) - y.astype(int)).sum(-1) > 30).mean()

    assert changed(a, again) == 0  # the software renderer may differ by a unit in a pixel, no more
    assert changed(a, b) > 0.01  # the pixels of a moved body
    writer.close()
    assert len(read_frames(tmp_path / "fixed.gif")) == 3


def test_video_writer_rejects_other_formats_and_empty_videos(character, tmp_path):
    with pytest.raises(ValueError, match=".avi"):
        VideoWriter(character.model(), tmp_path / "x.avi")
    writer = VideoWriter(character.model(), tmp_path / "empty.mp4", width=64, height=48)
    with pytest.raises(ValueError, match="no frames"):
        writer.close()


def test_task_markers_are_drawn_into_the_frame(character, walk_qpos, tmp_path):
    """A sphere and an arrow marker (TaskEnv.markers()) add two decoration geoms to the scene and
    change the pixels where they are; without markers the frame is as before."""
    from tasktokens.viz.video import add_marker_geoms

    writer = VideoWriter(character.model(), tmp_path / "markers.gif", width=320, height=240)
    writer.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    writer.camera.lookat[:] = [0.6, 0.0, 0.8]
    writer.camera.distance, writer.camera.elevation, writer.camera.azimuth = 4.0, -30.0, 90.0
    writer.data.qpos[:] = walk_qpos[0]
    mujoco.mj_kinematics(writer.model, writer.data)
    plain = writer.add_data(writer.data)
    ngeom = writer.renderer.scene.ngeom
    markers = {"target": ("sphere", [0.9, 0.2, 0.2, 1.0], [0.6, -1.0, 1.0, 0.0, 0.0, 0.0]),
               "direction": ("arrow", [0.95, 0.75, 0.1, 1.0], [0.0, 0.8, 0.0, 1.2, 0.0, 0.0])}
    marked = writer.add_data(writer.data, markers)
    assert writer.renderer.scene.ngeom == ngeom + 2
    changed = np.abs(marked.astype(int) - plain.astype(int)).sum(-1) > 30
    assert changed.mean() > 0.001
    r, g, b = (marked[..., i].astype(int) for i in range(3))
    red = (r > g + 80) & (r > b + 80)  # the sphere's colour
    yellow = (r > b + 80) & (g > b + 80)  # the arrow's
    assert (red & changed).sum() > 10 and (yellow & changed).sum() > 20
    again = writer.add_data(writer.data)
    assert (np.abs(again.astype(int) - plain.astype(int)).sum(-1) > 30).mean() == 0  # markers last one frame
    writer.close()
    scene = mujoco.MjvScene(character.model(), maxgeom=1)
    scene.ngeom = 1
    assert add_marker_geoms(scene, markers) == 0  # a full scene takes no more

"""Offscreen videos with MuJoCo's renderer (software EGL on a headless CPU machine: the package
sets MUJOCO_GL=egl on import), tracking camera on the root, written as MP4 (imageio-ffmpeg) or
GIF by the file's suffix."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import mujoco
import numpy as np


class VideoWriter:
    """Render states of a model and write them to MP4 or GIF."""

    def __init__(self, model: mujoco.MjModel, path: Path, fps: float = 30.0, width: int = 640, height: int = 480):
        self.path = Path(path)
        if self.path.suffix.lower() not in (".mp4", ".gif"):
            raise ValueError(f"{self.path}: video must end in .mp4 or .gif")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model, self.data = model, mujoco.MjData(model)
        self.renderer = mujoco.Renderer(model, height, width)
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_TRACKING
        self.camera.trackbodyid = 1  # the root
        self.camera.distance, self.camera.elevation, self.camera.azimuth = 4.0, -15.0, 135.0
        self.fps = fps
        self.frames: list[np.ndarray] = []
        # Shadows and reflections cost 3-5x on a software renderer (notes/dependencies.md).
        self.renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
        self.renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False

    def add_qpos(self, qpos: np.ndarray) -> np.ndarray:
        """Render one kinematic state (nq,) and keep the frame."""
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        return self.add_data(self.data)

    def add_data(self, data: mujoco.MjData, markers: dict | None = None) -> np.ndarray:
        """Render a full MjData (e.g. a simulation of the batch) and keep the frame. markers: a
        task's markers (TaskEnv.markers(): {name: (kind, rgba, [x, y, z, dx, dy, dz])}), drawn as
        the web viewer draws them."""
        self.renderer.update_scene(data, self.camera)
        for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION):
            self.renderer.scene.flags[flag] = False
        add_marker_geoms(self.renderer.scene, markers or {})
        frame = self.renderer.render().copy()
        self.frames.append(frame)
        return frame

    def close(self) -> Path:
        """Write the file; returns its path."""
        self.renderer.close()
        return write_frames(self.path, self.frames, self.fps)


MARKER_SPHERE_RADIUS = 0.06
"""Radius (m) of a "sphere" marker (the web viewer's)."""
MARKER_ARROW_WIDTH = 0.04
"""Shaft radius (m) of an "arrow" marker, drawn from (x, y) along (dx, dy) just above the ground."""
MARKER_ARROW_HEIGHT = 0.04
MARKER_EMISSION = 0.6


def add_marker_geoms(scene: mujoco.MjvScene, markers: dict) -> int:
    """Append task markers to a scene after update_scene (they are decorations: no physics). A
    "sphere" is a ball at (x, y, z); any other kind (an "arrow") an arrow on the ground from (x, y)
    along (dx, dy), as in viz/viewer. Returns the number of geoms added (fewer when the scene is
    full)."""
    added = 0
    for kind, rgba, value in markers.values():
        if scene.ngeom >= scene.maxgeom:
            break
        x, y, z, dx, dy, _dz = (float(v) for v in value)
        geom = scene.geoms[scene.ngeom]
        color = np.asarray(rgba, dtype=np.float32)
        if kind == "sphere":
            mujoco.mjv_initGeom(geom, mujoco.mjtGeom.mjGEOM_SPHERE, np.full(3, MARKER_SPHERE_RADIUS), np.array([x, y, z]), np.eye(3).ravel(), color)
        else:
            if np.hypot(dx, dy) < 1e-6:
                continue
            mujoco.mjv_initGeom(geom, mujoco.mjtGeom.mjGEOM_ARROW, np.zeros(3), np.zeros(3), np.eye(3).ravel(), color)
            start = np.array([x, y, MARKER_ARROW_HEIGHT])
            mujoco.mjv_connector(geom, mujoco.mjtGeom.mjGEOM_ARROW, MARKER_ARROW_WIDTH, start, start + np.array([dx, dy, 0.0]))
        geom.category = mujoco.mjtCatBit.mjCAT_DECOR
        geom.emission = MARKER_EMISSION  # their own colour under any light, as in the viewer
        scene.ngeom += 1
        added += 1
    return added


def write_frames(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """Write rendered frames (H, W, 3) to an .mp4 or .gif; returns the path. Frames of several
    writers (several models, e.g. the stages of `tasktokens eval switch`) can be joined."""
    path = Path(path)
    if not frames:
        raise ValueError(f"{path}: no frames rendered")
    if path.suffix.lower() == ".gif":
        imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
    else:
        imageio.mimsave(path, frames, fps=fps, macro_block_size=1)
    return path


def render_qpos_video(model: mujoco.MjModel, qpos: np.ndarray, path: Path, fps: float = 30.0, **kw) -> Path:
    """Kinematic playback of (T, nq) states."""
    writer = VideoWriter(model, path, fps=fps, **kw)
    for q in qpos:
        writer.add_qpos(q)
    return writer.close()


def record_rollout(env, policy, path: Path | None, max_steps: int, record: Path | None = None, label: str = "") -> Path | None:
    """Video (path) and/or viewer recording (record) of environment 0 of a batched environment
    driven by policy(obs) -> actions, until its first episode ends or max_steps; the frame rate is
    the control rate. Task markers come from env.markers() when the environment has them, drawn in
    the video and saved in the recording."""
    import torch

    from tasktokens.viz.recording import RecordingWriter

    fps = 1.0 / env.dt
    writer = VideoWriter(env.sim.model, path, fps=fps) if path is not None else None
    recorder = RecordingWriter(env.sim.model, fps, label) if record is not None else None
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(max_steps):
            data = env.sim.data_of(0)
            markers = env.markers() if hasattr(env, "markers") else None
            if writer is not None:
                writer.add_data(data, markers)
            if recorder is not None:
                recorder.add_data(data, markers)
            obs, _r, done, _e = env.step(policy(obs))
            if done[0]:
                break
    if recorder is not None:
        recorder.save(record)
    return writer.close() if writer is not None else None

"""Rollout recordings for the web viewer: the scene's shapes once, then every body's world pose
per frame, plus optional task markers. JSON, small enough for a few thousand frames.

Format: {"version": 1, "fps", "label", "bodies": [{"name", "geoms": [{"type": "sphere" |
"capsule" | "box", "size", "pos", "quat", "rgba"}]}], "frames": [[[x, y, z, qw, qx, qy, qz] per
body] per frame], "markers": [{"kind": "sphere" | "arrow", "color", "frames": [[x, y, z, dx, dy,
dz] per frame]}]}. Quaternions are (w, x, y, z), z is up.
"""

from __future__ import annotations

import json
from pathlib import Path

import mujoco
import numpy as np

GEOM_TYPES = {mujoco.mjtGeom.mjGEOM_SPHERE: "sphere", mujoco.mjtGeom.mjGEOM_CAPSULE: "capsule", mujoco.mjtGeom.mjGEOM_BOX: "box"}


def scene_bodies(model: mujoco.MjModel) -> list[dict]:
    """Shapes of every body but the world, in body coordinates."""
    bodies = []
    for b in range(1, model.nbody):
        geoms = []
        for g in range(model.body_geomadr[b], model.body_geomadr[b] + model.body_geomnum[b]):
            kind = GEOM_TYPES.get(int(model.geom_type[g]))
            if kind is None:
                continue
            geoms.append({"type": kind, "size": _r(model.geom_size[g]), "pos": _r(model.geom_pos[g]), "quat": _r(model.geom_quat[g]),
                          "rgba": _r(model.geom_rgba[g])})
        bodies.append({"name": model.body(b).name, "geoms": geoms})
    return bodies


def _r(a) -> list[float]:
    return [round(float(v), 4) for v in np.asarray(a).ravel()]


class RecordingWriter:
    """Collect frames of one simulation and write the JSON."""

    def __init__(self, model: mujoco.MjModel, fps: float, label: str = ""):
        self.model, self.fps, self.label = model, fps, label
        self.frames: list[list[list[float]]] = []
        self.markers: dict[str, dict] = {}

    def add(self, xpos: np.ndarray, xquat: np.ndarray, markers: dict | None = None) -> None:
        """World poses of all bodies (nbody, 3) and (nbody, 4), world first; markers:
        {name: (kind, color, [x, y, z, dx, dy, dz])}."""
        self.frames.append([_r(np.concatenate([p, q])) for p, q in zip(xpos[1:], xquat[1:], strict=True)])
        for name, (kind, color, value) in (markers or {}).items():
            m = self.markers.setdefault(name, {"kind": kind, "color": color, "frames": []})
            m["frames"].append(_r(value))

    def add_data(self, data: mujoco.MjData, markers: dict | None = None) -> None:
        self.add(data.xpos, data.xquat, markers)

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"version": 1, "fps": self.fps, "label": self.label, "bodies": scene_bodies(self.model), "frames": self.frames,
               "markers": list(self.markers.values())}
        path.write_text(json.dumps(doc, separators=(",", ":")))
        return path


def load_recording(path: Path) -> dict:
    """A recording, checked enough to fail with a clear message instead of a blank viewer."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable recording ({err}); make one with --record") from err
    if doc.get("version") != 1 or not doc.get("frames") or not doc.get("bodies"):
        raise ValueError(f"{path}: not a tasktokens recording (version 1 with bodies and frames)")
    if any(len(f) != len(doc["bodies"]) for f in doc["frames"]):
        raise ValueError(f"{path}: frames do not match the bodies")
    return doc

"""Viewer recordings and the viewer's server (the browser itself is tested by tests/browser/run.sh)."""

import json
import threading
import time
import urllib.request

import mujoco
import pytest

from tasktokens.character import HUMANOID3D
from tasktokens.viz.recording import RecordingWriter, load_recording
from tasktokens.viz.serve import View, find_recordings


def _record(path, frames=3):
    model = HUMANOID3D.model()
    data = mujoco.MjData(model)
    rec = RecordingWriter(model, 30.0, "test")
    for i in range(frames):
        data.qpos[0] = 0.1 * i
        mujoco.mj_kinematics(model, data)
        rec.add_data(data, {"target": ("sphere", [1, 0, 0, 1], [1.0, 2.0, 3.0, 0, 0, 0])})
    return rec.save(path)


def test_recording_holds_shapes_poses_and_markers(tmp_path):
    doc = load_recording(_record(tmp_path / "r.json"))
    assert len(doc["bodies"]) == 15 and doc["bodies"][0]["name"] == "pelvis"
    assert {g["type"] for b in doc["bodies"] for g in b["geoms"]} == {"sphere", "capsule", "box"}
    assert len(doc["frames"]) == 3 and len(doc["frames"][0]) == 15
    assert doc["frames"][2][0][0] - doc["frames"][0][0][0] == pytest.approx(0.2)
    assert doc["markers"][0]["frames"][1][:3] == [1.0, 2.0, 3.0]


def test_bad_recordings_are_refused_with_their_name(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        load_recording(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no recordings"):
        find_recordings([tmp_path / "empty"])


def test_server_endpoints(tmp_path):
    _record(tmp_path / "a.json")
    port = 8799
    t = threading.Thread(target=View(paths=(tmp_path / "a.json",), port=port, seconds=2.0).run, daemon=True)
    t.start()
    for _ in range(50):
        try:
            listing = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/recordings.json", timeout=1).read())
            break
        except OSError:
            time.sleep(0.05)
    assert listing == [{"url": "rec/0.json", "label": "a"}]
    doc = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/rec/0.json", timeout=1).read())
    assert doc["version"] == 1
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=1).read().decode()
    assert "viewer.js" in page
    t.join()

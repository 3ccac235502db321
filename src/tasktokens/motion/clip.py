"""Motion clips: a sequence of generalized positions (MuJoCo qpos) of one character.

Two formats load into a :class:`MotionClip`:
- DeepMimic ``.txt`` (JSON with "Loop" and "Frames"; y-up, joint quaternions local to the
  parent): converted to the character's z-up qpos; see ``character/humanoid3d.py`` for frames.
- The project's ``.npz`` (``save_npz``): qpos already in the character's layout.

Any problem with a file raises :class:`ClipError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from tasktokens.character import Character
from tasktokens.motion.licences import licence_of

CLIP_SUFFIXES = (".txt", ".npz")
NOT_CLIP_PREFIXES = ("license", "licence", "readme", "copying", "notice")
"""Files in a clip folder with a clip suffix that are documents, not clips (skipped in folders;
named one by one they are still read, and fail with their own error)."""


class ClipError(ValueError):
    """A clip that cannot be loaded; the message names the file and the problem."""


@dataclass
class MotionClip:
    """One clip of one character."""

    name: str
    """Clip name (file stem), unique within a motion library."""
    qpos: np.ndarray
    """(T, nq) generalized positions, MuJoCo layout of the character's model, z-up."""
    fps: float
    """Frames per second (frames are evenly spaced)."""
    loop: bool
    """Whether the clip wraps around (DeepMimic "Loop": "wrap")."""
    character: str
    """Name of the character whose qpos layout this is."""
    source: str = ""
    """File the clip came from."""
    licence: str = ""
    """Licence of the clip's data (motion/licences.py); empty: judged by the source's folder."""

    @property
    def num_frames(self) -> int:
        return self.qpos.shape[0]

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame."""
        return (self.num_frames - 1) / self.fps


def _yup_to_zup_quat(q: np.ndarray) -> np.ndarray:
    """(w, x, y, z) in DeepMimic's y-up frame -> MuJoCo z-up (conjugation by +90 deg about x)."""
    return np.stack([q[..., 0], q[..., 1], -q[..., 3], q[..., 2]], axis=-1)


def _yup_to_zup_vec(v: np.ndarray) -> np.ndarray:
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1)


def _normalize_quat(q: np.ndarray, path: Path, what: str) -> np.ndarray:
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(norm < 0.5) or np.any(norm > 1.5):
        raise ClipError(f"{path}: {what} quaternion far from unit length (norm {norm.min():.3g}); corrupt clip?")
    return q / norm


def deepmimic_frames_to_qpos(frames: np.ndarray, character: Character, path: Path) -> np.ndarray:
    """(T, 1 + 7 + joints) DeepMimic frames (duration first) -> (T, nq) qpos."""
    model = character._model
    qpos = np.zeros((frames.shape[0], model.nq))
    qpos[:, 0:3] = _yup_to_zup_vec(frames[:, 1:4])
    qpos[:, 3:7] = _normalize_quat(_yup_to_zup_quat(frames[:, 4:8]), path, "root")
    col = 8
    for name in character.deepmimic_joints:
        j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        adr = model.jnt_qposadr[j]
        if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            q = _normalize_quat(_yup_to_zup_quat(frames[:, col : col + 4]), path, name)
            qpos[:, adr : adr + 4] = q
            col += 4
        else:  # hinge: one angle; DeepMimic's +z axis is the MJCF's (0, -1, 0), same angle
            qpos[:, adr] = frames[:, col]
            col += 1
    return qpos


def expected_deepmimic_width(character: Character) -> int:
    model = character._model
    width = 1 + 3 + 4
    for name in character.deepmimic_joints:
        j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        width += 4 if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL else 1
    return width


def load_deepmimic(path: Path, character: Character) -> MotionClip:
    """Load a DeepMimic clip; raises ClipError naming the file on any problem."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ClipError(f"{path}: not a readable DeepMimic JSON clip ({err})") from err
    if not isinstance(data, dict) or "Frames" not in data:
        raise ClipError(f"{path}: no 'Frames' list; not a DeepMimic clip")
    width = expected_deepmimic_width(character)
    try:
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ClipError(f"{path}: frames are not all lists of {width} numbers ({err})") from err
    if frames.ndim != 2 or frames.shape[1] != width:
        raise ClipError(f"{path}: expected frames of {width} numbers for {character.name}, got shape {frames.shape}")
    if frames.shape[0] < 2:
        raise ClipError(f"{path}: a clip needs at least 2 frames, got {frames.shape[0]}")
    if not np.all(np.isfinite(frames)):
        raise ClipError(f"{path}: contains NaN or infinite values")
    durations = frames[:-1, 0]
    if np.any(durations <= 0):
        raise ClipError(f"{path}: frame durations must be positive")
    dt = float(np.median(durations))
    qpos = deepmimic_frames_to_qpos(frames, character, Path(path))
    if np.max(np.abs(durations - dt)) > 1e-3 * dt + 1e-6:  # a few clips have uneven frames
        qpos = resample_uniform(qpos, np.concatenate([[0.0], np.cumsum(durations)]), dt, character)
    loop = str(data.get("Loop", "none")).lower() == "wrap"
    return MotionClip(Path(path).stem, qpos, 1.0 / dt, loop, character.name, str(path))


def quaternion_addresses(model: mujoco.MjModel) -> list[int]:
    """qpos index of every quaternion: the free root joint's orientation and each ball joint."""
    addresses = []
    for j in range(model.njnt):
        if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
            addresses.append(int(model.jnt_qposadr[j]) + 3)
        elif model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            addresses.append(int(model.jnt_qposadr[j]))
    return addresses


def resample_uniform(qpos: np.ndarray, times: np.ndarray, dt: float, character: Character) -> np.ndarray:
    """Resample (T, nq) qpos taken at increasing times to an even spacing dt.

    Positions and hinge angles are interpolated linearly, quaternions (root and ball joints) by
    normalized lerp on the shorter arc, which is within 1e-4 rad of slerp at these frame rates.
    """
    model = character._model
    new_t = np.arange(0.0, times[-1] + 1e-9, dt)
    i1 = np.clip(np.searchsorted(times, new_t, side="right"), 1, len(times) - 1)
    i0 = i1 - 1
    w = ((new_t - times[i0]) / (times[i1] - times[i0]))[:, None]
    out = (1 - w) * qpos[i0] + w * qpos[i1]
    for adr in quaternion_addresses(model):
        q0, q1 = qpos[i0, adr : adr + 4], qpos[i1, adr : adr + 4]
        q1 = np.where(np.sum(q0 * q1, axis=-1, keepdims=True) < 0, -q1, q1)
        q = (1 - w) * q0 + w * q1
        out[:, adr : adr + 4] = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return out


def save_npz(clip: MotionClip, path: Path) -> None:
    """Write a clip in the project's format (qpos in the character's layout)."""
    np.savez_compressed(
        path, qpos=clip.qpos, fps=clip.fps, loop=clip.loop, character=clip.character, name=clip.name, source=clip.source,
        licence=clip.licence or licence_of(clip.source),
    )


def load_npz(path: Path, character: Character) -> MotionClip:
    """Load a project .npz clip; refuses one made for another character."""
    try:
        with np.load(path, allow_pickle=False) as f:
            qpos, fps, loop = f["qpos"], float(f["fps"]), bool(f["loop"])
            char, name, source = str(f["character"]), str(f["name"]), str(f["source"])
            licence = str(f["licence"]) if "licence" in f.files else ""  # older clips: judged by source
    except (OSError, KeyError, ValueError) as err:
        raise ClipError(f"{path}: not a tasktokens .npz clip ({err})") from err
    if char != character.name:
        raise ClipError(f"{path}: clip is for character {char!r}, not {character.name!r}; convert it for this character")
    nq = character._model.nq
    if qpos.ndim != 2 or qpos.shape[1] != nq or qpos.shape[0] < 2:
        raise ClipError(f"{path}: qpos shape {qpos.shape}, expected (T>=2, {nq})")
    if not np.all(np.isfinite(qpos)) or fps <= 0:
        raise ClipError(f"{path}: NaN/inf values or non-positive fps")
    return MotionClip(name, qpos, fps, loop, char, source or str(path), licence)


def load_clip(path: Path, character: Character) -> MotionClip:
    """Load a clip of either format by suffix."""
    path = Path(path)
    if path.suffix == ".npz":
        return load_npz(path, character)
    if path.suffix == ".txt":
        return load_deepmimic(path, character)
    raise ClipError(f"{path}: unknown clip format; expected one of {CLIP_SUFFIXES}")


def find_clip_files(paths, suffixes: tuple[str, ...] = CLIP_SUFFIXES) -> list[Path]:
    """Files with these suffixes under the given files or folders (recursively), sorted; skips
    the character file."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = [f for f in sorted(p.rglob("*")) if f.suffix.lower() in suffixes and "character" not in f.name]
            skipped = [f for f in files if f.name.lower().startswith(NOT_CLIP_PREFIXES)]
            if skipped:  # a data folder's LICENSE.txt or README.txt is no clip: every command skips it the same way
                print(f"note: skipping {', '.join(f.name for f in skipped)} in {p} (not clips)", file=sys.stderr)
            found += [f for f in files if f not in skipped]
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return found

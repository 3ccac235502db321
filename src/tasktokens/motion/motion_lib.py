"""MotionLib: many clips, sampled at many (clip, time) pairs at once, as torch tensors.

All clip frames are stored concatenated; a query interpolates between the two neighbouring
frames (linear for positions and velocities, slerp for rotations). Looping clips repeat with
their root displacement per cycle added, so a walk keeps walking forward. Non-looping clips hold
their last frame after the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import mujoco
import numpy as np
import torch

from tasktokens import rotations as rot
from tasktokens.character import Character
from tasktokens.motion.clip import ClipError, MotionClip, find_clip_files, load_clip
from tasktokens.motion.kinematics import clip_kinematics
from tasktokens.motion.labels import skill_label
from tasktokens.motion.mirror import mirror_clip

Tensor = torch.Tensor


@dataclass
class MotionState:
    """Reference states of N queries; bodies in Character.body_names order, world frame."""

    qpos: Tensor  # (N, nq)
    qvel: Tensor  # (N, nv) MuJoCo convention (free-joint angular velocity is local)
    body_pos: Tensor  # (N, B, 3)
    body_quat: Tensor  # (N, B, 4) (w, x, y, z)
    body_lin_vel: Tensor  # (N, B, 3)
    body_ang_vel: Tensor  # (N, B, 3)

    @property
    def root_pos(self) -> Tensor:
        return self.body_pos[:, 0]

    @property
    def root_quat(self) -> Tensor:
        return self.body_quat[:, 0]


def load_clips(paths, character: Character) -> tuple[list[MotionClip], list[dict]]:
    """Every clip under the paths, and ``[{"path", "error"}]`` for the files that failed."""
    clips, failed = [], []
    for path in find_clip_files(paths):
        try:
            clips.append(load_clip(path, character))
        except ClipError as err:
            failed.append({"path": str(path), "error": str(err)})
    return clips, failed


class MotionLib:
    """Clips of one character with precomputed MuJoCo kinematics."""

    def __init__(self, character: Character, clips: list[MotionClip], mirror: bool = False, device: str = "cpu"):
        if not clips:
            raise ClipError("a MotionLib needs at least one clip")
        if mirror:  # add mirrors the data does not already provide
            names = {c.name for c in clips}
            clips = clips + [mirror_clip(c, character) for c in clips if not c.name.endswith("_mirror") and c.name + "_mirror" not in names]
        self.character = character
        self.clips = clips
        model = character._model
        self._qw_cols = self._quat_columns(model)
        kin = [clip_kinematics(model, c.qpos, c.fps) for c in clips]
        cat = {f.name: torch.tensor(np.concatenate([getattr(k, f.name) for k in kin]), dtype=torch.float32, device=device) for f in fields(kin[0])}
        self._frames = MotionState(**cat)
        lengths = torch.tensor([c.num_frames for c in clips], device=device)
        self.num_frames = lengths
        self.start = torch.cumsum(lengths, 0) - lengths
        self.fps = torch.tensor([c.fps for c in clips], dtype=torch.float32, device=device)
        self.duration = (lengths - 1).float() / self.fps
        self.loop = torch.tensor([c.loop for c in clips], device=device)
        first, last = self.start, self.start + lengths - 1
        offset = self._frames.body_pos[last, 0] - self._frames.body_pos[first, 0]
        offset[:, 2] = 0.0
        self.cycle_offset = torch.where(self.loop[:, None], offset, torch.zeros_like(offset))
        self.device = device

    @classmethod
    def from_paths(cls, paths, character: Character, mirror: bool = False, device: str = "cpu") -> MotionLib:
        """Load every clip under the paths; a file that fails to load raises, naming it."""
        clips, failed = load_clips(paths, character)
        if failed:
            raise ClipError("; ".join(f["error"] for f in failed))
        return cls(character, clips, mirror=mirror, device=device)

    @staticmethod
    def _quat_columns(model: mujoco.MjModel) -> list[int]:
        """qpos columns where a quaternion starts (free-joint rotation, ball joints)."""
        cols = []
        for j in range(model.njnt):
            adr = int(model.jnt_qposadr[j])
            if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
                cols.append(adr + 3)
            elif model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                cols.append(adr)
        return cols

    @property
    def num_clips(self) -> int:
        return len(self.clips)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clips]

    def clip_index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no clip named {name!r}; known: {self.names}") from None

    @property
    def skills(self) -> list[str]:
        """Skill label of each clip (motion/labels.py skill_label), in clip order."""
        return [skill_label(n) for n in self.names]

    def skill_weights(self, skills) -> Tensor:
        """(C,) sampling weights for `sample_clips` that draw only clips of the given skills,
        in proportion to their duration; raises KeyError naming the skills the library has."""
        wanted = set(skills)
        missing = wanted - set(self.skills)
        if missing:
            raise KeyError(f"no clips of skill {sorted(missing)}; the library has {sorted(set(self.skills))}")
        mask = torch.tensor([s in wanted for s in self.skills], device=self.duration.device)
        return torch.where(mask, self.duration, torch.zeros_like(self.duration))

    def sample_clips(self, n: int, weights: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """n clip ids, by the given weights (default: proportional to duration)."""
        w = self.duration if weights is None else weights
        return torch.multinomial(w, n, replacement=True, generator=generator)

    def sample_times(self, clip_ids: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """A uniform time within each clip."""
        u = torch.rand(clip_ids.shape, generator=generator, device=clip_ids.device)
        return u * self.duration[clip_ids]

    def state(self, clip_ids: Tensor, times: Tensor) -> MotionState:
        """Interpolated reference state of each (clip, time) pair; (N,) long and (N,) float."""
        duration = self.duration[clip_ids]
        loop = self.loop[clip_ids]
        cycles = torch.where(loop, torch.floor(times / duration), torch.zeros_like(times))
        local_t = torch.where(loop, times - cycles * duration, times.clamp(0.0, None))
        local_t = torch.minimum(local_t, duration)
        f = local_t * self.fps[clip_ids]
        i0 = torch.floor(f).long().clamp(max=self.num_frames[clip_ids] - 1)
        i1 = (i0 + 1).clamp(max=self.num_frames[clip_ids] - 1)
        blend = (f - i0.float()).clamp(0.0, 1.0)
        g0, g1 = self.start[clip_ids] + i0, self.start[clip_ids] + i1
        fr = self._frames

        def lerp(x: Tensor) -> Tensor:
            b = blend.view(-1, *([1] * (x.dim() - 1)))
            return (1 - b) * x[g0] + b * x[g1]

        qpos = lerp(fr.qpos)
        for c in self._qw_cols:
            qpos[:, c : c + 4] = rot.quat_slerp(fr.qpos[g0, c : c + 4], fr.qpos[g1, c : c + 4], blend)
        body_quat = rot.quat_slerp(fr.body_quat[g0], fr.body_quat[g1], blend[:, None].expand(-1, fr.body_quat.shape[1]))
        shift = cycles[:, None] * self.cycle_offset[clip_ids]
        qpos[:, :3] += shift
        body_pos = lerp(fr.body_pos) + shift[:, None, :]
        return MotionState(qpos, lerp(fr.qvel), body_pos, body_quat, lerp(fr.body_lin_vel), lerp(fr.body_ang_vel))

    def frame_state(self, clip_id: int, frame: int) -> MotionState:
        """The stored (not interpolated) state of one frame, batch of 1."""
        g = int(self.start[clip_id]) + frame
        return MotionState(*(getattr(self._frames, f.name)[g : g + 1] for f in fields(MotionState)))


def data_root() -> Path:
    """Motion data folder: $TASKTOKENS_DATA, else ../shared/data beside the project checkout."""
    env = os.environ.get("TASKTOKENS_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"


def default_motion_paths() -> list[Path]:
    """The MIT-licensed DeepMimic clips (clips/ and long/)."""
    base = data_root() / "motions" / "deepmimic"
    return [base / "clips", base / "long"]

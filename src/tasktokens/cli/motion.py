"""`tasktokens motion check|convert` and `tasktokens play-motion`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import tyro
from rich.console import Console

from tasktokens.character import get_character
from tasktokens.eval.report import write_json
from tasktokens.motion.clip import ClipError, find_clip_files, load_clip, save_npz
from tasktokens.motion.derive import hold_clip
from tasktokens.motion.kinematics import clip_kinematics
from tasktokens.motion.labels import SKILL_SEPARATOR
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths, load_clips

console = Console(stderr=True)


@dataclass
class MotionCheck:
    """Load every clip under the paths, play it through the model's kinematics, report."""

    paths: tyro.conf.Positional[tuple[Path, ...]] = ()
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    json: Path | None = None
    """Write {"loaded", "failed": [{"path", "error"}], "clips": [{"name", "frames", "seconds", "fps"}]} here."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> dict:
        """check(), then exit with status 2 (one line, via the CLI's ClipError) when a file failed."""
        report = self.check()
        if report["failed"]:
            where = f"; the report is in {self.json}" if self.json else ""
            raise ClipError(f"motion check: {len(report['failed'])} of {len(report['failed']) + report['loaded']} files failed (listed above){where}")
        return report

    def check(self) -> dict:
        """Load and play the clips, print the result and write the JSON report; returns it."""
        char = get_character(self.character)
        clips, failed = load_clips(self.paths or default_motion_paths(), char)
        report_clips = []
        model = char.model()
        for clip in clips:
            try:  # play it: forward kinematics of every frame must give finite states
                kin = clip_kinematics(model, clip.qpos, clip.fps)
                if not np.isfinite(kin.body_pos).all() or not np.isfinite(kin.body_lin_vel).all():
                    raise ClipError(f"{clip.source}: kinematics produced NaN/inf")
            except ClipError as err:
                failed.append({"path": clip.source, "error": str(err)})
                continue
            report_clips.append({"name": clip.name, "frames": clip.num_frames, "seconds": round(clip.duration, 4), "fps": round(clip.fps, 4)})
        report = {"loaded": len(report_clips), "failed": failed, "clips": report_clips}
        console.print(f"loaded {len(report_clips)} clips, {len(failed)} failed")
        for f in failed:
            console.print(f"[red]failed[/red] {f['error']}")
        write_json(self.json, report)
        return report


@dataclass
class MotionConvert:
    """Convert clips (DeepMimic .txt) to the project's .npz format."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Clip files or folders."""
    out: Path = Path("motions_npz")
    """Output folder."""
    skill: str | None = None
    """Label the clips with this skill (names become SKILL__NAME, motion/labels.py), e.g. `run` so
    that a BFM distilled with a `run` skill can continue with more runs; default: by their names."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> None:
        if self.skill is not None and (not self.skill or SKILL_SEPARATOR in self.skill):
            raise ValueError(f"--skill {self.skill!r}: give a skill label without {SKILL_SEPARATOR!r}, e.g. --skill run")
        clips, failed = load_clips(self.paths, get_character(self.character))
        self.out.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            if self.skill:  # the source path stays the original file's, so model cards keep its licence
                clip = dataclasses.replace(clip, name=f"{self.skill}{SKILL_SEPARATOR}{clip.name}")
            save_npz(clip, self.out / f"{clip.name}.npz")
        console.print(f"wrote {len(clips)} clips to {self.out}; {len(failed)} failed")
        for f in failed:
            console.print(f"[red]failed[/red] {f['error']}")


@dataclass
class MotionImport:
    """Import motion from other formats (BVH, SkeletonMotion .npy, DeepMimic .txt) as .npz clips."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Motion files or folders (folders: every file with a known suffix, recursively)."""
    out: Path = Path("runs/clips_imported")
    """Output folder for the .npz clips."""
    format: str = "auto"
    """Reader: auto (by file suffix: .bvh bvh, .npy skeleton_motion, .txt deepmimic) or a registered reader's name."""
    skeleton: str | None = None
    """BVH: the joint map, `cmu`, `humanoid3d` (what `motion export` writes) or a MAP.toml naming a
    source joint for each body (docs/data.md); default: the first shipped map whose joints the file has."""
    first_frame: Literal["auto", "rest", "keep", "motion"] = "auto"
    """BVH: frame 0 is a T-pose used as the rest pose and dropped (rest) or kept (keep), or is
    motion with the file's zero pose as the rest pose (motion); auto: as the map says (cmu: rest)."""
    skill: str | None = None
    """Label every clip with this skill (names become SKILL__NAME); default: the reader's label
    (ASE motion names map to walk_sideways, walk_backward, idle, turn, leap, ...), else the name's."""
    fps: float = 30.0
    """Frame rate of the written clips (the control rate); sources at other rates are resampled."""
    json: Path | None = None
    """Write {"imported": [per-clip report], "failed": [{"path", "error"}]} here."""
    character: str = "humanoid3d"
    """Character the clips are for (same skeleton; other skeletons need retargeting)."""

    def run(self) -> dict:
        from tasktokens.motion.importers import ImportOptions, import_file, importable_suffixes

        if self.skill is not None and (not self.skill or SKILL_SEPARATOR in self.skill):
            raise ValueError(f"--skill {self.skill!r}: give a skill label without {SKILL_SEPARATOR!r}, e.g. --skill idle")
        if not self.fps > 0:
            raise ValueError(f"--fps {self.fps}: give a positive frame rate, e.g. --fps 30")
        char = get_character(self.character)
        options = ImportOptions(fps=self.fps, skill=self.skill, format=self.format, skeleton=self.skeleton, first_frame=self.first_frame)
        files = find_clip_files(self.paths, importable_suffixes(self.format))
        self.out.mkdir(parents=True, exist_ok=True)
        imported, failed = [], []
        for path in files:
            try:
                clip, report = import_file(path, char, options)
            except ClipError as err:
                failed.append({"path": str(path), "error": str(err)})
                continue
            save_npz(clip, self.out / f"{clip.name}.npz")  # written as it goes: a later bad file loses nothing
            imported.append(report)
            console.print(f"{clip.name}: {clip.num_frames} frames, {clip.duration:.2f} s, skill {report['skill']}, "
                          f"floor shift {report['floor_shift_m'] * 100:.1f} cm, {_conversion_note(report)}")
        result = {"imported": imported, "failed": failed}
        write_json(self.json, result)
        console.print(f"wrote {len(imported)} clips to {self.out}; {len(failed)} failed")
        if failed:
            for f in failed:
                console.print(f"[red]failed[/red] {f['error']}")
            raise ClipError(f"{len(failed)} of {len(files)} files failed to import (the {len(imported)} others are in {self.out}): {failed[0]['error']}")
        if not files:
            raise FileNotFoundError(f"no files with suffixes {importable_suffixes(self.format)} under {', '.join(map(str, self.paths))}")
        return result


def _conversion_note(report: dict) -> str:
    """What the reader changed, in a few words: the IK residual of a retargeted clip, else the dropped hinge swing."""
    if "ik_position_error_cm" in report:
        ik = report["ik_position_error_cm"]
        return (f"{report['skeleton']} map, scale {report['scale_m_per_unit']:.4g} m/unit, "
                f"IK error mean {ik['mean']:.1f} cm, max {ik['max']:.1f} cm ({ik['worst_body']})")
    swing = max((v["max"] for v in report.get("hinge_swing_deg", {}).values()), default=0.0)
    return f"hinge swing dropped <= {swing:.1f} deg"


@dataclass
class MotionExport:
    """Write clips as BVH files of the character's own skeleton (opens in Blender; imports back with `--skeleton humanoid3d`)."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Clip files (.npz, DeepMimic .txt) or folders."""
    out: Path = Path("runs/clips_bvh")
    """Output: a .bvh file (one clip) or a folder (one NAME.bvh per clip)."""
    format: Literal["bvh"] = "bvh"
    """Output format."""
    scale: float = 1.0
    """Length unit: metres times this (100: centimetres)."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> list[Path]:
        from tasktokens.motion.bvh_export import write_bvh

        if not self.scale > 0:
            raise ValueError(f"--scale {self.scale}: give a positive length scale, e.g. --scale 100 for centimetres")
        char = get_character(self.character)
        clips, failed = load_clips(self.paths, char)
        if failed:
            raise ClipError(f"motion export: {failed[0]['error']}")
        if not clips:
            raise FileNotFoundError(f"no clips (.npz, .txt) under {', '.join(map(str, self.paths))}")
        one_file = self.out.suffix.lower() == ".bvh"
        if one_file and len(clips) != 1:
            raise ValueError(f"--out {self.out}: a .bvh file takes one clip, got {len(clips)}; give a folder")
        written = []
        for clip in clips:
            written.append(write_bvh(clip, char, self.out if one_file else self.out / f"{clip.name}.bvh", self.scale))
            console.print(f"wrote {written[-1]} ({clip.num_frames} frames at {clip.fps:.4g} fps)")
        return written


@dataclass
class PlayMotion:
    """Play a clip through the simulator and write a video."""

    clip: str = "humanoid3d_walk"
    """Clip name (file stem) among --motions."""
    out: Path = Path("videos/motion.mp4")
    """Output .mp4 or .gif."""
    motions: tuple[Path, ...] = field(default_factory=tuple)
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    seconds: float | None = None
    """Length of the video (default: the clip's duration, at least 4 s for looping clips)."""
    mode: Literal["kinematic", "pd"] = "kinematic"
    """kinematic: reference states set in the simulator each frame; pd: start at the reference
    and let physics run with PD targets on the reference pose (open loop, it will drift)."""
    fps: float = 30.0
    """Video frame rate (= control rate)."""
    record: Path | None = None
    """Also write a viewer recording (JSON) here (see `tasktokens view`)."""
    character: str = "humanoid3d"

    def run(self) -> Path:
        from tasktokens.sim.batch_sim import BatchSim, SimConfig
        from tasktokens.viz.recording import RecordingWriter
        from tasktokens.viz.video import VideoWriter

        char = get_character(self.character)
        lib = MotionLib.from_paths(self.motions or default_motion_paths(), char)
        cid = lib.clip_index(self.clip)
        duration = float(lib.duration[cid])
        seconds = self.seconds or (max(duration, 4.0) if lib.clips[cid].loop else duration)
        times = torch.arange(0.0, seconds, 1.0 / self.fps)
        ref = lib.state(torch.full_like(times, cid, dtype=torch.long), times)
        sim = BatchSim(char, SimConfig(num_envs=1, num_threads=1, substeps=round(120 / self.fps)))
        writer = VideoWriter(sim.model, self.out, fps=self.fps)
        recorder = RecordingWriter(sim.model, self.fps, f"{self.clip} ({self.mode})") if self.record else None
        one = torch.zeros(1, dtype=torch.long)
        sim.reset(one, ref.qpos[:1].double(), ref.qvel[:1].double())
        for i in range(len(times)):
            if self.mode == "kinematic":
                sim.reset(one, ref.qpos[i : i + 1].double(), ref.qvel[i : i + 1].double())
            else:
                sim.step(sim.clamp_targets(char.pd_targets_from_qpos(ref.qpos[i : i + 1].double())))
            writer.add_data(sim.data_of(0))
            if recorder is not None:
                recorder.add_data(sim.data_of(0))
        if recorder is not None:
            recorder.save(self.record)
        path = writer.close()
        console.print(f"wrote {path} ({len(times)} frames)")
        return path


@dataclass
class MotionHold:
    """Derive clips that end in a held pose: a window of each clip, then its last frame held."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Clip files (each gets the same window), e.g. a clip and its mirror."""
    start: float
    """Start of the window (s into the clip)."""
    end: float
    """End of the window (s); this frame is held. Pick a frame where the clip stands still."""
    hold_seconds: float = 6.0
    """How long the last frame is held."""
    out: Path = Path("runs/clips_hold")
    """Output folder; clips are written as <name>_hold.npz."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> list[Path]:
        char = get_character(self.character)
        self.out.mkdir(parents=True, exist_ok=True)
        written = []
        for path in self.paths:
            clip = hold_clip(load_clip(path, char), self.start, self.end, self.hold_seconds)
            written.append(self.out / f"{clip.name}.npz")
            save_npz(clip, written[-1])
            console.print(f"wrote {written[-1]} ({clip.num_frames} frames, {clip.duration:.2f} s)")
        return written

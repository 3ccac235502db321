"""`tasktokens motion synth reach` and `motion synth steps`: synthesized standing reaches
(motion/synth_reach.py) and square-pelvis side and backward steps (motion/synth_step.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console

from tasktokens.character import Character, get_character
from tasktokens.cli.motion import MotionCheck
from tasktokens.eval.report import write_json
from tasktokens.motion.clip import ClipError, load_clip, save_npz
from tasktokens.motion.motion_lib import data_root
from tasktokens.motion.reach_ik import IKSettings
from tasktokens.motion.synth_reach import HOLD_TOLERANCE, SLIDE_TOLERANCE, StandingStart, draw_targets, synthesize_reaches
from tasktokens.motion.synth_step import synthesize_steps

console = Console(stderr=True)

DEFAULT_SOURCE = "motions/deepmimic/long/humanoid3d_long_walk3.txt@17.7"
"""Under the data folder: long_walk3 (MIT) has stopped by 17.7 s with both feet flat (at 17.4 s,
the frame scripts/hold_clips.sh holds, the right heel is still up)."""


@dataclass
class MotionSynthReach:
    """Synthesize standing reach clips: the right hand (and, mirrored, the left) reaches targets
    of the reach task with the feet planted, by IK; writes reach__*.npz and a quality report.

    Defaults (seed 0): 96 targets drawn, 28 beyond a planted stance's reach (rejected, with the
    reason); the other 68 give 68 right-hand clips and their 68 mirrors, 3.2-4.5 s each, 492 s
    (8.2 min) in all, in about 45 s on one CPU core. Each written clip holds its hand within 5 cm
    of the target with the feet within 2 cm of where they started; the report has the rest."""

    out: Path = Path("runs/clips_reach")
    """Output folder for the clips (reach__<source>_<index>[_mirror].npz); same-named files are
    replaced, other reach clips there are left (and named in a warning)."""
    sources: tuple[str, ...] = ()
    """Standing start poses as PATH[@SECONDS] (default: the last frame); the targets take them in
    turn. Default: long_walk3 at 17.7 s under the data folder. The imported Reallusion idles
    (runs/clips_reallusion/idle__rl_idle_*.npz) stand too, but are non-commercial."""
    targets: int = 96
    """Targets drawn from the reach task's distribution (xy U[-0.75, 0.75] m around the root,
    height U[0.05, 1.5] m), stratified."""
    seed: int = 0
    """Seed of the target draw."""
    mirror: bool = True
    """Also write each clip mirrored (the left hand reaching the target with y negated)."""
    ik_iterations: int = 30
    """IK steps per frame at most."""
    json: Path | None = None
    """Write the report here: every target (rejected with its reason, or its clips' hold error,
    foot slide and lowest point) and the totals."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> dict:
        t0 = time.perf_counter()
        char = get_character(self.character)
        starts = [parse_source(s, char) for s in (self.sources or (str(data_root() / DEFAULT_SOURCE),))]
        targets = draw_targets(np.random.default_rng(self.seed), self.targets)
        clips, report = synthesize_reaches(char, starts, targets, settings=IKSettings(iterations=self.ik_iterations), mirror=self.mirror)
        self.out.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            save_npz(clip, self.out / f"{clip.name}.npz")
        stale = sorted({p.name for p in self.out.glob("reach__*.npz")} - {f"{c.name}.npz" for c in clips})
        if stale:  # left by an earlier run: a motion library over the folder would load them too
            console.print(f"[yellow]{len(stale)} reach clips in {self.out} are not from this run[/yellow] (e.g. {stale[0]})")
        report = {"sources": [s.label for s in starts], "out": str(self.out), "seed": self.seed,
                  "summary": summarize(report, len(targets), time.perf_counter() - t0), **report}
        report["check"] = {k: v for k, v in MotionCheck(paths=(self.out,), character=self.character).check().items() if k != "clips"}
        print_summary(report["summary"])
        write_json(self.json, report)
        return report


def parse_source(text: str, character: Character) -> StandingStart:
    """PATH[@SECONDS] -> the clip and its frame (the last frame without @SECONDS)."""
    path, _, seconds = text.rpartition("@") if "@" in text else (text, "", "")
    clip = load_clip(Path(path), character)
    frame = clip.num_frames - 1 if not seconds else round(float(seconds) * clip.fps)
    if not 0 <= frame < clip.num_frames:
        raise ClipError(f"{path}: {seconds} s is not inside the clip (0-{clip.duration:.2f} s)")
    return StandingStart(clip, frame)


def summarize(report: dict, drawn: int, seconds: float) -> dict:
    """Totals over the targets kept by the envelope (each clip and its mirror count)."""
    measured, reasons = report["clips"], {}
    for r in report["rejected"]:
        key = r["reason"].split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    kept = [c for c in measured if c["kept"]]
    return {
        "targets_drawn": drawn,
        "targets_rejected": len(report["rejected"]),
        "rejected_by_reason": reasons,
        "clips_measured": len(measured),
        "clips_written": len(kept),
        "share_within_5cm": float(np.mean([c["hold_error_m"] <= HOLD_TOLERANCE for c in measured])) if measured else 0.0,
        "share_slide_within_2cm": float(np.mean([c["foot_slide_m"] <= SLIDE_TOLERANCE for c in measured])) if measured else 0.0,
        "max_hold_error_m": max((c["hold_error_m"] for c in measured), default=0.0),
        "max_foot_slide_m": max((c["foot_slide_m"] for c in measured), default=0.0),
        "lowest_body_m": min((c["lowest_body_m"] for c in measured), default=0.0),
        "written_seconds": round(sum(c["seconds"] for c in kept), 2),
        "relaxed_ik_steps": sum(c["relaxed_ik_steps"] for c in measured if c["hand"] == "right_hand"),
        "elapsed_s": round(seconds, 1),
    }


def print_summary(summary: dict) -> None:
    s = summary
    console.print(f"targets: {s['targets_drawn']} drawn, {s['targets_rejected']} rejected {s['rejected_by_reason']}")
    console.print(f"clips: {s['clips_measured']} measured, {s['clips_written']} written ({s['written_seconds']} s); "
                  f"hand within 5 cm: {s['share_within_5cm']:.1%} (max {s['max_hold_error_m'] * 100:.1f} cm); "
                  f"max foot slide {s['max_foot_slide_m'] * 1000:.1f} mm; lowest body point {s['lowest_body_m'] * 100:.1f} cm; "
                  f"{s['elapsed_s']} s")


@dataclass
class MotionSynthSteps:
    """Synthesize side steps and backward steps with the pelvis square to its facing (+x), by
    IK on a footstep plan (motion/step_plan.py, motion/synth_step.py): from a standing start the
    pelvis settles to 0.85 m, speeds up to a constant velocity sideways or backward, stops, and
    stands; writes walk_sideways__* and walk_backward__* clips and a quality report.

    Defaults: left steps and backward steps at 0.4-1.2 m/s, each mirrored (the mirror of a left
    step is a right step), 20 clips of 8.4 s, in about 5 s on one CPU core."""

    out: Path = Path("runs/clips_steps")
    """Output folder (<skill>__synth_step_<kind>_<speed>[_mirror].npz); same-named files are replaced."""
    source: str = ""
    """Standing start pose as PATH[@SECONDS]. Default: long_walk3 at 17.7 s under the data folder (MIT)."""
    kinds: tuple[str, ...] = ("left", "backward")
    """Directions of travel: left, right, backward, forward (motion/synth_step.py KINDS)."""
    speeds: tuple[float, ...] = (0.4, 0.6, 0.8, 1.0, 1.2)
    """Full speeds (m/s), one clip per kind and speed."""
    mirror: bool = True
    """Also write each clip mirrored (left <-> right)."""
    json: Path | None = None
    """Write the report here: each clip's gait and how its poses meet the plan."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> dict:
        t0 = time.perf_counter()
        char = get_character(self.character)
        start = parse_source(self.source or str(data_root() / DEFAULT_SOURCE), char)
        clips, entries = synthesize_steps(char, start, self.kinds, self.speeds, mirror=self.mirror)
        self.out.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            save_npz(clip, self.out / f"{clip.name}.npz")
        kept = [e for e in entries if e["kept"]]
        console.print(f"{len(clips)} clips written to {self.out} ({len(entries) - len(kept)} plans not met, not written); "
                      f"largest pelvis / foot error {max(e['pelvis_error_m'] for e in entries) * 100:.1f} / "
                      f"{max(e['foot_error_m'] for e in entries) * 100:.1f} cm; {time.perf_counter() - t0:.1f} s")
        report = {"source": start.label, "out": str(self.out), "clips": entries, "written": [c.name for c in clips]}
        write_json(self.json, report)
        return report

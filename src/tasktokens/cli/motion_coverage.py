"""`tasktokens motion coverage`: what a motion corpus covers, per skill and per task."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tyro
from rich.console import Console
from rich.table import Table

from tasktokens.character import get_character
from tasktokens.eval.report import write_json
from tasktokens.motion import coverage as cov
from tasktokens.motion.kinematics import clip_kinematics
from tasktokens.motion.labels import skill_label
from tasktokens.motion.motion_lib import default_motion_paths, load_clips
from tasktokens.tasks.direction import DirectionConfig
from tasktokens.tasks.long_jump import LongJumpConfig
from tasktokens.tasks.reach import ReachConfig

# the skill table is wide: give logs (not a terminal) room for it instead of rich's 80 columns
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

STRIKE_KEYWORDS = ("kick", "punch", "strike", "attack", "slash", "swing", "hit", "bash", "stab")
"""Skill names that count as strikes (a hand or foot hitting something)."""


@dataclass
class MotionCoverage:
    """What the clips cover, per skill and per task (standing, speeds, facing vs motion, turns, reach, leaps).

    Measured on the clips' MuJoCo forward kinematics (motion/coverage.py): standing, heading-frame
    root velocities, the facing-vs-motion angle, turns, the hand envelope when standing, flights
    and leaps; then what that offers each task. A rich table goes to stderr.

    JSON (seconds s, speeds m/s, yaw rates rad/s, lengths m; thresholds in "thresholds",
    motion/coverage.py defines them):
    {"clips": N, "seconds": S, "failed": [{"path", "error"}], "thresholds": {...},
     "skills": {SKILL: {"clips": n, "clip_names": [...], ...MEASURES}},
     "overall": {...MEASURES},
     "tasks": {"direction": {"command_speeds", "max_forward_speed", "seconds_by_speed",
                             "seconds_at_command_speeds" (facing within 30 deg of the motion),
                             "skills_at_command_speeds": {SKILL: s}, "standing_seconds", "turning"},
               "steering": {"seconds_by_facing_motion_angle", "seconds_sideways", "seconds_backward",
                            "max_lateral_speed", "max_backward_speed", "skills_sideways", "skills_backward"},
               "reach": {"target_box": {"lo", "hi"}, "standing_seconds", "skills_standing",
                         "hands_standing", "right_hand_all_frames_coverage": {RADIUS: share}},
               "strike": {"keywords", "skills": {SKILL: s}, "present"},
               "long_jump": {"needed_m", "longest_leap_m", "longest_leap_skill", "longest_foot_leap_m",
                             "longest_foot_leap_skill", "longest_flight_seconds", "longest_flight_skill",
                             "max_forward_speed", "enough" (the foot leap, as the task's L, beats needed_m)}}}
    MEASURES: "seconds", "standing_seconds", "speed": {"max_planar", "max_forward", "max_backward",
    "max_lateral"}, "seconds_sideways", "seconds_backward", "seconds_by_speed": {BIN: s},
    "seconds_by_facing_motion_angle": {BIN: s} (moving > 0.5 m/s), "turning": {"max_yaw_rate",
    "seconds_above", "seconds_on_the_spot"}, "seconds_heading_undefined",
    "hands_standing": {"right" | "left": {"min", "max" ([x, y, z]: x, y from the root in its heading
    frame, z above the floor), "coverage": {RADIUS: share of the reach target box's 5 cm cells whose
    centre is within RADIUS m of a hand position}}, "either": {"coverage"}}, "flight": {"count", "longest_seconds", "longest_leap_m" (root, last contact
    to first), "longest_foot_leap_m" (take-off foothold to landing foothold)}.
    """

    paths: tyro.conf.Positional[tuple[Path, ...]] = ()
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    json: Path | None = None
    """Write the report (schema above) here."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> dict:
        frames, failed = corpus_frames(self.paths or default_motion_paths(), self.character)
        by_skill: dict[str, list] = {}
        for name, fr in frames:
            by_skill.setdefault(skill_label(name), []).append((name, fr))
        report = corpus_report(by_skill, reach_box())
        report = {"clips": len(frames), "seconds": report["overall"]["seconds"], "failed": failed} | report
        print_report(report)
        write_json(self.json, report)
        return report


def corpus_frames(paths, character: str = "humanoid3d") -> tuple[list[tuple[str, cov.CoverageFrames]], list[dict]]:
    """[(clip name, its coverage measures)] of every clip under the paths, and the files that failed
    to load; raises ValueError when none loads."""
    char = get_character(character)
    clips, failed = load_clips(paths, char)
    if not clips:
        raise ValueError(f"no clip loaded from {[str(p) for p in paths]}: {failed}")
    model = char.model()
    geoms, feet, hands = cov.character_geoms(model), char.body_indices(char.contact_bodies), char.body_indices(("right_hand", "left_hand"))
    return [(c.name, cov.kinematics_frames(clip_kinematics(model, c.qpos, c.fps), c.fps, geoms, feet, hands)) for c in clips], failed


def reach_box() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The reach task's target box (lo, hi): x, y from the root, z height (tasks/reach.py)."""
    c = ReachConfig()
    return (-c.xy_range, -c.xy_range, c.height_range[0]), (c.xy_range, c.xy_range, c.height_range[1])


def corpus_report(by_skill: dict[str, list], box) -> dict:
    """{"thresholds", "skills", "overall", "tasks"} from {SKILL: [(clip name, CoverageFrames)]}."""
    frames = {s: cov.concat([f for _, f in clips]) for s, clips in sorted(by_skill.items())}
    skills = {s: {"clips": len(by_skill[s]), "clip_names": [n for n, _ in by_skill[s]]} | cov.summarize(f, box) for s, f in frames.items()}
    everything = cov.concat(list(frames.values()))
    overall = cov.summarize(everything, box)
    return {"thresholds": cov.thresholds(), "skills": skills, "overall": overall, "tasks": task_report(skills, overall, frames, everything, box)}


def _per_skill(skills: dict, value, minimum: float = 0.0) -> dict:
    """{SKILL: value(measures)} for the skills where it is above minimum, largest first."""
    out = {s: value(m) for s, m in skills.items()}
    return dict(sorted(((s, v) for s, v in out.items() if v > minimum), key=lambda sv: -sv[1]))


def _command_seconds(fr: cov.CoverageFrames, lo: float, hi: float) -> float:
    """Seconds moving at lo-hi m/s with the facing within 30 deg of the motion (what a direction command asks)."""
    angle = cov.facing_motion_angle(fr.v_h)
    ok = fr.heading_ok & (fr.speed >= lo) & (fr.speed <= hi) & (angle < 30.0)
    return round(float(fr.weight[ok].sum()), 3)


def _longest(skills: dict, key: str) -> tuple[float, str | None]:
    best = max(skills.items(), key=lambda sm: sm[1]["flight"][key], default=(None, {"flight": {key: 0.0}}))
    return best[1]["flight"][key], best[0] if best[1]["flight"][key] > 0 else None


def task_report(skills: dict, overall: dict, frames: dict, everything: cov.CoverageFrames, box) -> dict:
    """What the data offers each task (module docstring of tasks/TASK.py for the task's needs)."""
    lo, hi = DirectionConfig().speed_range
    leap, leap_skill = _longest(skills, "longest_leap_m")
    foot_leap, foot_leap_skill = _longest(skills, "longest_foot_leap_m")
    flight, flight_skill = _longest(skills, "longest_seconds")
    needed = LongJumpConfig().success_length
    right_all = everything.hands_h[:, 0]
    strikes = {s: m["seconds"] for s, m in skills.items() if any(k in s for k in STRIKE_KEYWORDS)}
    return {
        "direction": {"command_speeds": [lo, hi], "max_forward_speed": overall["speed"]["max_forward"],
                      "seconds_by_speed": overall["seconds_by_speed"], "seconds_at_command_speeds": _command_seconds(everything, lo, hi),
                      "skills_at_command_speeds": {s: v for s, v in ((s, _command_seconds(f, lo, hi)) for s, f in frames.items()) if v > 0},
                      "standing_seconds": overall["standing_seconds"], "turning": overall["turning"]},
        "steering": {"seconds_by_facing_motion_angle": overall["seconds_by_facing_motion_angle"],
                     "seconds_sideways": overall["seconds_sideways"], "seconds_backward": overall["seconds_backward"],
                     "max_lateral_speed": overall["speed"]["max_lateral"], "max_backward_speed": overall["speed"]["max_backward"],
                     "skills_sideways": _per_skill(skills, lambda m: m["seconds_sideways"]),
                     "skills_backward": _per_skill(skills, lambda m: m["seconds_backward"])},
        "reach": {"target_box": {"lo": list(box[0]), "hi": list(box[1])}, "standing_seconds": overall["standing_seconds"],
                  "skills_standing": _per_skill(skills, lambda m: m["standing_seconds"]), "hands_standing": overall["hands_standing"],
                  "right_hand_all_frames_coverage": {f"{r:g}": round(cov.reach_coverage(right_all, *box, r), 4) for r in (0.05, 0.1)}},
        "strike": {"keywords": list(STRIKE_KEYWORDS), "skills": strikes, "present": bool(strikes)},
        "long_jump": {"needed_m": needed, "longest_leap_m": leap, "longest_leap_skill": leap_skill, "longest_foot_leap_m": foot_leap,
                      "longest_foot_leap_skill": foot_leap_skill, "longest_flight_seconds": flight, "longest_flight_skill": flight_skill,
                      "max_forward_speed": overall["speed"]["max_forward"], "enough": foot_leap > needed},
    }


def _skill_row(name: str, m: dict) -> list[str]:
    sp, t, f = m["speed"], m["turning"], m["flight"]
    angles = "/".join(f"{v:.1f}" for v in m["seconds_by_facing_motion_angle"].values())
    return [name, str(m.get("clips", "")), f"{m['seconds']:.1f}", f"{m['standing_seconds']:.1f}",
            f"{sp['max_planar']:.2f}/{sp['max_forward']:.2f}/{sp['max_backward']:.2f}/{sp['max_lateral']:.2f}",
            f"{m['seconds_sideways']:.1f}", f"{m['seconds_backward']:.1f}", angles,
            f"{t['max_yaw_rate']:.1f}", f"{t['seconds_above']:.1f}/{t['seconds_on_the_spot']:.1f}", f"{f['longest_seconds']:.2f}", f"{f['longest_leap_m']:.2f}/{f['longest_foot_leap_m']:.2f}"]


def _task_lines(tasks: dict) -> list[tuple[str, str]]:
    d, s, r, k, j = (tasks[t] for t in ("direction", "steering", "reach", "strike", "long_jump"))
    cover = r["hands_standing"]["right"]["coverage"]
    return [
        ("direction", f"commands {d['command_speeds'][0]:g}-{d['command_speeds'][1]:g} m/s: {d['seconds_at_command_speeds']:.1f} s facing the motion "
                      f"at those speeds; top forward {d['max_forward_speed']:.2f} m/s; standing {d['standing_seconds']:.1f} s; "
                      f"turning > 1 rad/s {d['turning']['seconds_above']:.1f} s (max {d['turning']['max_yaw_rate']:.1f} rad/s)"),
        ("steering", "facing-motion angle s " + ", ".join(f"{b}: {v:.1f}" for b, v in s["seconds_by_facing_motion_angle"].items())
                     + f"; sideways {s['seconds_sideways']:.1f} s (max {s['max_lateral_speed']:.2f} m/s), backward {s['seconds_backward']:.1f} s "
                     f"(max {s['max_backward_speed']:.2f} m/s)"),
        ("reach", f"standing {r['standing_seconds']:.1f} s; right hand within 5/10 cm of {cover['0.05']:.0%}/{cover['0.1']:.0%} of the target box "
                  f"standing, {r['right_hand_all_frames_coverage']['0.1']:.0%} (10 cm) over all frames"),
        ("strike", ", ".join(f"{n} {v:.1f} s" for n, v in k["skills"].items()) or "no kick/punch/strike clips"),
        ("long_jump", f"longest leap foothold to foothold {j['longest_foot_leap_m']:.2f} m ({j['longest_foot_leap_skill']}), root "
                      f"{j['longest_leap_m']:.2f} m ({j['longest_leap_skill']}), longest flight {j['longest_flight_seconds']:.2f} s "
                      f"({j['longest_flight_skill']}); the task needs {j['needed_m']:g} m: {'enough' if j['enough'] else 'not enough'}"),
    ]


def print_report(report: dict) -> None:
    """The per-skill table and one line per task, on stderr."""
    table = Table(title=f"{report['clips']} clips, {report['seconds']:.1f} s", show_lines=False)
    for col in ("skill", "clips", "s", "standing s", "max v planar/fwd/back/lat", "sideways s", "backward s",
                "facing-motion s 0-30/30-60/60-120/120-180", "max yaw rate", "turn s / on spot", "flight s", "leap m root/feet"):
        table.add_column(col)
    for name, m in report["skills"].items():
        table.add_row(*_skill_row(name, m))
    table.add_row(*_skill_row("all", report["overall"] | {"clips": report["clips"]}), style="bold")
    console.print(table)
    tasks = Table(title="what the data offers each task", show_header=False)
    for name, line in _task_lines(report["tasks"]):
        tasks.add_row(name, line)
    console.print(tasks)
    for f in report["failed"]:
        console.print(f"[red]failed[/red] {f['error']}")

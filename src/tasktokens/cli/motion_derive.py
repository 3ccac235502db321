"""`tasktokens motion splice|mirror`: clips derived from others (transitions, left/right mirrors)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tyro
from rich.console import Console

from tasktokens.character import get_character
from tasktokens.motion.clip import find_clip_files, load_clip, save_npz
from tasktokens.motion.derive import hold_clip
from tasktokens.motion.mirror import mirror_clip
from tasktokens.motion.splice import Window, splice_clips, unroll_loop

console = Console(stderr=True)


@dataclass
class MotionSplice:
    """A transition clip: a window of FIRST, then a window of SECOND cross-faded in (motion/splice.py)."""

    first: tyro.conf.Positional[Path]
    """Clip the transition starts in (.npz or DeepMimic .txt; a looping clip is played on for its
    window, or for the blend and 3 s more when the window runs to its end)."""
    second: tyro.conf.Positional[Path]
    """Clip it ends in; turned and moved to continue where FIRST's overlap starts."""
    first_window: tuple[float, float] = (0.0, -1.0)
    """Seconds of FIRST to use (END < 0: to its end)."""
    second_window: tuple[float, float] = (0.0, -1.0)
    """Seconds of SECOND to use (END < 0: to its end)."""
    blend: float = 1.0
    """Seconds over which the windows overlap and are cross-faded (longer for larger changes of speed or stance)."""
    hold: float = 0.0
    """Seconds to hold the last frame (a transition into standing: the student sees standing on)."""
    skill: str = ""
    """Skill label (the name becomes SKILL__FIRST_to_SECOND); default: none, the name's own."""
    mirror: bool = False
    """Also write the transition mirrored left/right (<name>_mirror)."""
    out: Path = Path("runs/clips_transitions")
    """Output folder."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> list[Path]:
        char = get_character(self.character)
        # looping clips are played on: to the window's end, or (to their end) 3 s past the blend
        first = unroll_loop(load_clip(self.first, char), max(self.first_window[1], self.blend + 3.0))
        second = unroll_loop(load_clip(self.second, char), max(self.second_window[1], self.blend + 3.0))
        clip = splice_clips(first, Window(*self.first_window), second, Window(*self.second_window), self.blend, char, self.skill)
        if self.hold > 0:
            clip = hold_clip(clip, 0.0, clip.duration, self.hold)
        return _write([clip, mirror_clip(clip, char)] if self.mirror else [clip], self.out)


@dataclass
class MotionMirror:
    """Write each clip mirrored left/right (<name>_mirror.npz), e.g. to make one-sided data symmetric."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Clip files or folders; clips already named *_mirror are skipped."""
    out: Path = Path("runs/clips_mirrored")
    """Output folder."""
    character: str = "humanoid3d"
    """Character the clips are for."""

    def run(self) -> list[Path]:
        char = get_character(self.character)
        clips = [load_clip(f, char) for f in find_clip_files(self.paths)]
        return _write([mirror_clip(c, char) for c in clips if not c.name.endswith("_mirror")], self.out)


def _write(clips, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for clip in clips:
        written.append(out / f"{clip.name}.npz")
        save_npz(clip, written[-1])
        console.print(f"wrote {written[-1]} ({clip.num_frames} frames, {clip.duration:.2f} s, {clip.licence or 'licence by folder'})")
    return written

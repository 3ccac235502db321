"""Clips derived from recorded ones: a window of a clip ending in a held pose.

The MIT clips have almost no standing: long_walk3 (and its mirror) is the only walk that stops,
and it stands for about 2 s before the clip ends. A BFM distilled on them stops under a standing
root goal but then falls, unless it started standing (docs/bfm-and-task-tokens.md). `hold_clip` keeps a window of a recorded clip
(e.g. the walk slowing down and stopping) and holds its last frame for a while, so the teacher
and the student see standing still for as long as the hold lasts. The held frame is a recorded
pose, so it is one the character can balance in if the clip stands still there.
"""

from __future__ import annotations

import numpy as np

from tasktokens.motion.clip import ClipError, MotionClip
from tasktokens.motion.labels import HOLD_SUFFIX


def hold_clip(clip: MotionClip, start_s: float, end_s: float, hold_s: float) -> MotionClip:
    """Frames of `clip` from start_s to end_s (nearest frames), then the end frame repeated for
    hold_s seconds. Not looping; named `<clip name>_hold`. Raises ClipError naming the source
    file when the window is not inside the clip or the hold is negative."""
    if not 0.0 <= start_s < end_s <= clip.duration + 0.5 / clip.fps:
        raise ClipError(f"{clip.source}: window {start_s}-{end_s} s is not inside the clip (0-{clip.duration:.3f} s); pick --start < --end within it")
    if hold_s < 0.0:
        raise ClipError(f"{clip.source}: hold of {hold_s} s; it must be >= 0")
    i0, i1 = round(start_s * clip.fps), min(round(end_s * clip.fps), clip.num_frames - 1)
    held = np.repeat(clip.qpos[i1 : i1 + 1], round(hold_s * clip.fps), axis=0)
    qpos = np.concatenate([clip.qpos[i0 : i1 + 1], held])
    return MotionClip(clip.name + HOLD_SUFFIX, qpos, clip.fps, False, clip.character, f"{clip.source} [{start_s}-{end_s} s + {hold_s} s hold]", clip.licence)

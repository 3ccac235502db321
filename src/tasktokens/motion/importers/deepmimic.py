"""DeepMimic `.txt` clips through `motion import` (the same reader `motion convert` uses)."""

from __future__ import annotations

from pathlib import Path

from tasktokens.character import Character
from tasktokens.motion.clip import load_deepmimic
from tasktokens.motion.importers.registry import RawClip, register_reader


@register_reader("deepmimic", suffixes=(".txt",))
def read_deepmimic(path: Path, character: Character) -> RawClip:
    clip = load_deepmimic(path, character)
    return RawClip(clip.name, clip.qpos, clip.fps, loop=clip.loop)

"""Labels derived from clip names."""

from __future__ import annotations

LOCOMOTION_KEYWORDS = ("walk", "jog", "run", "zombie")
"""Walk, jog, run, stealthy/zombie walks and the long walks are locomotion."""


def is_locomotion(clip_name: str) -> bool:
    """Whether a clip is locomotion, by its name."""
    return any(k in clip_name for k in LOCOMOTION_KEYWORDS)

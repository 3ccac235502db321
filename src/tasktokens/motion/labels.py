"""Labels derived from clip names."""

from __future__ import annotations

LOCOMOTION_KEYWORDS = ("walk", "jog", "run", "zombie")
"""Walk, jog, run, stealthy/zombie walks and the long walks are locomotion."""
HOLD_SUFFIX = "_hold"
"""Name suffix of clips that end in a held pose (motion/derive.py); the skill is the source's."""
SKILL_SEPARATOR = "__"
"""A clip named SKILL__NAME is labelled SKILL (`tasktokens motion convert --skill`): clips from
another source can join a BFM's existing skill vocabulary, e.g. the SIE runs as `run`."""


def is_locomotion(clip_name: str) -> bool:
    """Whether a clip is locomotion, by its skill label (so a clip relabelled by `motion convert
    --skill` counts as its new skill; for other names the label holds the same keywords)."""
    words = skill_label(clip_name).split("_")  # by whole words: "turn" holds "run" but is no locomotion
    return any(k in words for k in LOCOMOTION_KEYWORDS)


def skill_label(clip_name: str) -> str:
    """Skill of a clip from its name: without the character prefix, a hold or mirror suffix or
    trailing take numbers (humanoid3d_long_walk2_mirror -> long_walk, sie_humanoid3d_run_left03 ->
    run_left, humanoid3d_long_walk3_mirror_hold -> long_walk: a held clip is its source's skill;
    run__sie_humanoid3d_run_left03 -> run: a relabelled clip is the skill before the separator)."""
    clip_name = clip_name.split(SKILL_SEPARATOR, 1)[0]
    name = clip_name.removesuffix(HOLD_SUFFIX).removesuffix("_mirror")
    for prefix in ("sie_humanoid3d_", "humanoid3d_"):
        name = name.removeprefix(prefix)
    return name.rstrip("0123456789").rstrip("_") or name


def skill_vocabulary(clip_names) -> list[str]:
    """Sorted distinct skill labels of the clips."""
    return sorted({skill_label(n) for n in clip_names})


def skill_balance(skills: list[str]):
    """(C,) weight of each clip, 1 / (number of clips of its skill): sampling by it draws every
    skill equally often (torch tensor)."""
    import torch

    count = {s: skills.count(s) for s in set(skills)}
    return torch.tensor([1.0 / count[s] for s in skills])

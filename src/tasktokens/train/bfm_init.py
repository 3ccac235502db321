"""Starting a distillation run from another BFM (`tasktokens pretrain bfm --init-from C`).

A BFM continued on a broadened clip set has another skill vocabulary (skill labels come from the
clip names, motion/labels.py), so its skill embedding has other rows than the source's; every other
weight and the normalisers' statistics carry over unchanged.
"""

from __future__ import annotations

from pathlib import Path

import torch

from tasktokens.models.bfm import BFM
from tasktokens.models.loading import bfm_config
from tasktokens.train.checkpoint import load_weights

SKILL_ROWS = "skill_embed.weight"


def remap_skill_rows(source: torch.Tensor, source_skills: tuple[str, ...], target_skills: tuple[str, ...]) -> torch.Tensor:
    """Skill embedding rows (len(target_skills), d) for the target vocabulary from the source's
    rows (len(source_skills), d): a shared label keeps its row; a new label gets the mean of the
    source's rows (no skill is favoured until the new one is learnt)."""
    mean = source.mean(dim=0)
    rows = [source[source_skills.index(s)] if s in source_skills else mean for s in target_skills]
    return torch.stack(rows)


def init_from_bfm(bfm: BFM, checkpoint: Path, character) -> dict[str, list[str]]:
    """Load checkpoint's weights into bfm (a new student, same sizes) in place, skills matched by
    label. Returns the skill labels kept, added and dropped. A size mismatch is an error naming
    the checkpoint and the tensor."""
    tensors, meta = load_weights(checkpoint, character)
    if "bfm" not in meta:
        raise ValueError(f"{checkpoint}: not a BFM checkpoint (no 'bfm' metadata); --init-from takes one written by `tasktokens pretrain bfm`")
    source_skills = bfm_config(meta).skill_names
    target_skills = bfm.cfg.skill_names
    state = {k[4:]: v for k, v in tensors.items() if k.startswith("bfm.")}
    own = bfm.state_dict()
    if SKILL_ROWS in own:
        if SKILL_ROWS in state and source_skills:
            state[SKILL_ROWS] = remap_skill_rows(state[SKILL_ROWS], source_skills, target_skills)
        else:  # a source without skill tokens: the new student's own initial rows
            state[SKILL_ROWS] = own[SKILL_ROWS]
    else:
        state.pop(SKILL_ROWS, None)
    for name, value in own.items():
        if name not in state or state[name].shape != value.shape:
            got = None if name not in state else tuple(state[name].shape)
            raise ValueError(f"{checkpoint}: --init-from needs a BFM of the same sizes; {name} is {got} there, {tuple(value.shape)} here "
                             f"(pass the source's --bfm.* sizes)")
    bfm.load_state_dict(state)
    return {"kept": [s for s in target_skills if s in source_skills], "added": [s for s in target_skills if s not in source_skills],
            "dropped": [s for s in source_skills if s not in target_skills]}

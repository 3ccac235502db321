"""Loading a distilled BFM from its checkpoint, for every user of a BFM (adaptation, evaluation,
benchmarks) without importing the distillation trainer (train/distill.py) that writes it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tasktokens.character import Character
from tasktokens.models.bfm import BFM, BFMConfig
from tasktokens.train.checkpoint import from_jsonable, load_weights


def bfm_config(meta: dict) -> BFMConfig:
    """The BFMConfig of a BFM checkpoint's metadata, with its skill names for checkpoints saved
    before BFMConfig recorded them (they were in the "skills" metadata)."""
    cfg = from_jsonable(BFMConfig, meta["bfm"])
    if not cfg.skill_names and meta.get("skills"):
        cfg = dataclasses.replace(cfg, skill_names=tuple(meta["skills"]))
    return cfg


def load_bfm(checkpoint: Path, character: Character) -> tuple[BFM, dict]:
    """A distilled BFM (eval mode) and its checkpoint metadata (skills, sizes, config)."""
    tensors, meta = load_weights(checkpoint, character)
    if "bfm" not in meta:
        raise ValueError(f"{checkpoint}: not a BFM checkpoint (no 'bfm' metadata); pass one written by `tasktokens pretrain bfm`")
    bfm = BFM(bfm_config(meta), meta["num_proprio"], meta["num_entities"], meta["num_posterior_obs"], meta["num_actions"])
    bfm.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("bfm.")})
    return bfm.eval(), meta

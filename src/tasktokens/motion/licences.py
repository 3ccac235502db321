"""Licences of motion clips, by the data folder they came from (../shared/data/README.md).

Every imported or derived clip records its source file (and `.npz` clips their licence), so a
model card can name the licence of every clip a model was trained on. A model trained on any
non-commercial clip is non-commercial.
"""

from __future__ import annotations

MIT = "MIT (DeepMimic)"
SIE = "CC BY-NC 4.0 (Sony Interactive Entertainment): research use only, non-commercial"
REALLUSION = "Reallusion sword-and-shield motions as shipped with NVIDIA ASE: research use only, non-commercial"
CMU = "CMU Graphics Lab Motion Capture Database: any use except reselling the data"
UNKNOWN = "unknown: check the clip's source"

_BY_FOLDER = (("sie-noncommercial", SIE), ("reallusion", REALLUSION), ("deepmimic", MIT), ("cmu", CMU))
"""(folder-name fragment, licence), checked in order: the SIE clips sit inside deepmimic/."""


def licence_of(source: str) -> str:
    """Licence of a clip by the folder its source file lies in; UNKNOWN for other folders."""
    for fragment, licence in _BY_FOLDER:
        if fragment in source:
            return licence
    return UNKNOWN


def is_non_commercial(licence: str) -> bool:
    """Whether a licence forbids commercial use (a model trained on such a clip inherits it)."""
    return "non-commercial" in licence.lower() or "BY-NC" in licence

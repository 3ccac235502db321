"""The readers that `tasktokens motion import` can use, one per source format.

A reader turns one file into a :class:`RawClip`: qpos in the character's layout at the file's own
frame rate, plus what the conversion lost. Resampling, putting the feet on the floor, sanity
checks, naming and the licence are the pipeline's (`importers.pipeline`), the same for every
format. A new format is one module that defines a reader and registers it::

    @register_reader("myformat", suffixes=(".ext",))
    def read_myformat(path: Path, character: Character) -> RawClip: ...

and is imported in `importers/__init__.py`. A reader that takes import options (the BVH reader's
`skeleton`, `first_frame`) names them in `options=`; the pipeline passes those fields of
`ImportOptions` to it as keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tasktokens.motion.clip import ClipError


@dataclass
class RawClip:
    """What a reader gives back for one file."""

    name: str
    """Clip name proposed by the reader (snake_case, no skill prefix)."""
    qpos: np.ndarray
    """(T, nq) generalized positions in the character's layout, z-up, metres."""
    fps: float
    """The file's frame rate."""
    loop: bool = False
    """Whether the clip wraps around."""
    skill: str | None = None
    """Skill label the reader proposes from what it knows of the file (None: from the name)."""
    report: dict = field(default_factory=dict)
    """What the conversion dropped or changed (e.g. bodies dropped, hinge swing in degrees)."""


Reader = Callable[..., RawClip]
"""read(path, character, **options) -> RawClip."""


@dataclass(frozen=True)
class ReaderSpec:
    name: str
    suffixes: tuple[str, ...]
    read: Reader
    options: tuple[str, ...] = ()
    """Fields of ImportOptions passed to `read` as keyword arguments."""


READERS: dict[str, ReaderSpec] = {}
"""Registered readers by format name."""


def register_reader(name: str, suffixes: tuple[str, ...], options: tuple[str, ...] = ()) -> Callable[[Reader], Reader]:
    """Decorator registering a reader for a format name, its file suffixes and the import options it takes."""

    def wrap(read: Reader) -> Reader:
        if name in READERS:
            raise ValueError(f"a reader for format {name!r} is already registered")
        READERS[name] = ReaderSpec(name, suffixes, read, options)
        return read

    return wrap


def reader_for(path: Path, fmt: str = "auto") -> ReaderSpec:
    """The reader of a file: the named format, or with fmt="auto" the one that owns its suffix."""
    if fmt != "auto":
        if fmt not in READERS:
            raise ValueError(f"--format {fmt!r}: unknown; choose auto or one of {sorted(READERS)}")
        return READERS[fmt]
    for spec in READERS.values():
        if Path(path).suffix.lower() in spec.suffixes:
            return spec
    known = sorted(s for spec in READERS.values() for s in spec.suffixes)
    raise ClipError(f"{path}: no reader for suffix {Path(path).suffix!r}; known: {known} (or pass --format)")


def importable_suffixes(fmt: str = "auto") -> tuple[str, ...]:
    """Suffixes of the files a folder import picks up."""
    specs = READERS.values() if fmt == "auto" else [reader_for(Path("x"), fmt)]
    return tuple(s for spec in specs for s in spec.suffixes)

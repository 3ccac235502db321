"""Motion from other formats into the project's clips (`tasktokens motion import`).

`registry` holds the readers by format; each reader module registers itself on import, so a new
format is one module imported here. `pipeline.import_file` runs a reader and the steps all
formats share.
"""

from tasktokens.motion.importers import bvh, deepmimic, skeleton_motion  # noqa: F401  (register the readers)
from tasktokens.motion.importers.pipeline import ImportOptions, import_file
from tasktokens.motion.importers.registry import READERS, RawClip, importable_suffixes, reader_for, register_reader

__all__ = ["READERS", "ImportOptions", "RawClip", "import_file", "importable_suffixes", "reader_for", "register_reader"]

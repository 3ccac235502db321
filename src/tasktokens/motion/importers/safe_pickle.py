"""Loading pickled `.npy` files without running code from them.

A SkeletonMotion `.npy` (ASE, IsaacGymEnvs, poselib) is a NumPy file holding one pickled
object: a dict of dicts of arrays. `numpy.load(allow_pickle=True)` would run whatever callable
the pickle names. Here the pickle may name only the few constructors such a file needs (the
array and dtype rebuilders and OrderedDict); any other global is refused before it is looked up,
so nothing from the file runs.
"""

from __future__ import annotations

import collections
import io
import pickle
from pathlib import Path

import numpy as np

from tasktokens.motion.clip import ClipError

_ALLOWED: dict[tuple[str, str], object] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):  # NumPy 1.x and 2.x names
    _ALLOWED[(_module, "_reconstruct")] = np._core.multiarray._reconstruct
    _ALLOWED[(_module, "scalar")] = np._core.multiarray.scalar
for _module in ("numpy.dtypes", "numpy._core.dtypes"):  # NumPy 2 pickles dtypes by their classes
    for _name in ("Float64DType", "Float32DType", "Int64DType", "Int32DType", "BoolDType", "ObjectDType"):
        _ALLOWED[(_module, _name)] = getattr(np.dtypes, _name)


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, path: Path):
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ClipError(
                f"{self.path}: the pickle names {module}.{name}, which a motion file never holds; refused without "
                "running it. Load only motion files you trust, or convert this one to .npz on a machine where you trust it"
            ) from None


def load_pickled_npy(path: Path) -> object:
    """The object pickled in a `.npy` file (a 0-d object array is unwrapped), loaded with the
    restricted unpickler; raises ClipError naming the file for anything but such a file."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(f)
            payload = f.read()
    except (OSError, ValueError) as err:
        raise ClipError(f"{path}: not a NumPy .npy file ({err})") from err
    if dtype != np.dtype(object):
        raise ClipError(f"{path}: a .npy of {dtype} {shape}, not a pickled motion (SkeletonMotion) object")
    try:
        obj = _RestrictedUnpickler(io.BytesIO(payload), path).load()
    except ClipError:
        raise
    except Exception as err:  # a truncated or garbled pickle fails in many ways
        raise ClipError(f"{path}: corrupt pickle in the .npy ({type(err).__name__}: {err})") from err
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    return obj

"""tasktokens: adapt behavior foundation models of simulated humanoids to new tasks."""

import os

# MuJoCo picks its GL backend when first imported; headless machines need EGL (software Mesa
# works). Users with a display can set MUJOCO_GL themselves.
os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"

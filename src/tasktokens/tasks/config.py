"""Configs of the tasks that the command line parses: plain dataclasses with no heavy imports, so
`tasktokens adapt --help` and the like need not load torch or MuJoCo (tasks/base.py and
tasks/clip_prior.py use them and re-export them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import GaitSpec


@dataclass
class TaskEnvConfig:
    """Settings shared by the tasks."""

    num_envs: int = 256
    """Parallel environments."""
    num_threads: int = 2
    """MuJoCo threads."""
    sim_backend: Literal["mujoco", "warp"] = "mujoco"
    """Physics engine (SimConfig.backend): mujoco.batch on CPU threads, or MuJoCo Warp (a GPU)."""
    warp_device: str = ""
    """Warp device of the "warp" backend ("": Warp's default, the first GPU if any)."""
    episode_steps: int = 300
    """Steps per episode (paper: 1000 in training, 300 in evaluation; 300 here for both)."""
    init_motions: tuple[Path, ...] = ()
    """Clips whose states start the episodes (default: the MIT locomotion clips)."""
    character: str = "humanoid3d"
    seed: int = 0
    gravity_scale: float = 1.0
    """Gravity multiplier for every environment (out-of-distribution tests)."""
    friction_scale: float = 1.0
    """Friction multiplier of the ground and the character (out-of-distribution tests)."""
    mass_scale: float = 1.0
    """Body mass and inertia multiplier of the character (out-of-distribution tests)."""
    speed_window_steps: int = 15
    """Control steps over which the root velocity is averaged for the direction and steering
    success rules (0.5 s; 1 = the paper's per-step velocity). Rewards use the per-step velocity
    (tasks/rewards.py VelocityWindow says why)."""


@dataclass(frozen=True)
class GaitOptions:
    """How the jog gait of the direction and steering priors asks for speed (AdaptConfig's
    prior_gait_top_rate and prior_gait_feedback, saved with each token)."""

    top_rate: float = 2.8
    """The fastest of GAIT_RATES (tasks/clip_prior.py) the gait may show (2.0 for tokens trained before 2026-12-03)."""
    speed_feedback: float = 2.0
    """GaitSpec.speed_feedback (1.0 for tokens trained before 2026-12-03). The direction hybrid shipped
    then, with no retraining, 1,024 episodes: 0.745 at (2.0, 1.0), 0.771 at (2.8, 2.0); most of
    its fast segments that fail are first segments of an episode still accelerating when the
    grace period ends (benchmarks/direction_failures.py)."""

    def spec(self) -> GaitSpec:
        """The jog clip's gait at the rates up to top_rate."""
        from tasktokens.tasks.clip_prior import GAIT_RATES, GAIT_SPEEDS, JOG_CLIP, GaitSpec

        n = sum(r <= self.top_rate + 1e-9 for r in GAIT_RATES)
        if n == 0:
            raise ValueError(f"prior_gait_top_rate {self.top_rate} is below the slowest jog gait rate {GAIT_RATES[0]}; pick one of {GAIT_RATES}")
        return GaitSpec(JOG_CLIP, GAIT_RATES[:n], GAIT_SPEEDS[:n], self.speed_feedback)

"""`tasktokens eval tracker`: deterministic tracking of clips by a trained tracker.

Each episode starts at a random time of a clip (clips taken in turn, so every clip is
evaluated) and runs to the clip's end or 10 s. Success: no fall (a body other than the feet
touching the ground while its reference is well above it) and mean body position error below
0.5 m at every step. MPJPE: mean body position error over the evaluated steps up to a failure, in mm.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console
from rsl_rl.models import MLPModel

from tasktokens.algos.ppo import build_actor_critic
from tasktokens.character import get_character
from tasktokens.eval.report import write_json
from tasktokens.motion.labels import is_locomotion
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths
from tasktokens.tasks.tracking import TrackingConfig, TrackingEnv
from tasktokens.train.checkpoint import REPO_ROOT, from_jsonable, load_weights

console = Console(stderr=True)
# Shipped versions live side by side: v0 (checkpoints/tracker) stays because BFM v1 names it as
# its teacher; the default is the latest.
SHIPPED_TRACKER = REPO_ROOT / "checkpoints" / "tracker_v1" / "checkpoint.safetensors"


def load_tracker(checkpoint: Path, character_name: str = "humanoid3d"):
    """(actor MLPModel in eval mode, TrackerTrainConfig) from a tracker checkpoint."""
    from tasktokens.train.tracker import TrackerTrainConfig

    character = get_character(character_name)
    tensors, meta = load_weights(checkpoint, character)
    cfg = from_jsonable(TrackerTrainConfig, meta["config"])
    return tensors, cfg


def build_actor(tensors: dict, cfg, obs, num_actions: int) -> MLPModel:
    """The tracker's actor with its checkpointed weights and normaliser, in eval mode."""
    actor, _critic = build_actor_critic(obs, num_actions, cfg.models)
    actor.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("actor.")})
    return actor.eval()


@dataclass
class TrackerEval:
    """Evaluate a tracker: success rates and MPJPE, overall, on locomotion, per clip."""

    motions: tuple[Path, ...] = ()
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    episodes: int = 290
    """Episodes (clips are taken in turn)."""
    checkpoint: Path = SHIPPED_TRACKER
    """Tracker checkpoint (default: the shipped one)."""
    json: Path | None = None
    """Write {"success_rate", "locomotion_success_rate", "mpjpe_mm", "per_clip"} here."""
    max_seconds: float = 10.0
    """Longest episode."""
    error_threshold: float = 0.5
    """Mean body position error (m) above which an episode fails."""
    loop_clips: bool = True
    """Looping clips (DeepMimic's "wrap": walk, run, the dances, the flips, ...) run past their
    last frame to --max-seconds; --no-loop-clips ends every episode at its clip's last frame (each clip
    played once from the start time, as PHC's and MaskedMimic's tracking evaluations do)."""
    num_envs: int = 512
    """Episodes run in parallel."""
    seed: int = 1
    """Seed of the start times."""
    character: str = "humanoid3d"

    def run(self) -> dict:
        tensors, train_cfg = load_tracker(self.checkpoint, self.character)
        char = get_character(self.character)
        lib = MotionLib.from_paths(self.motions or default_motion_paths(), char)
        results = {name: {"episodes": 0, "success": 0, "err_sum": 0.0, "steps": 0} for name in lib.names}
        gen = torch.Generator().manual_seed(self.seed)
        done_eps = 0
        while done_eps < self.episodes:
            n = min(self.num_envs, self.episodes - done_eps)
            clips = (torch.arange(done_eps, done_eps + n) % lib.num_clips).long()
            times = torch.rand(n, generator=gen) * lib.duration[clips] * 0.95
            self._run_batch(tensors, train_cfg, lib, clips, times, results)
            done_eps += n
        report = self._report(results)
        report["loop_clips"] = self.loop_clips
        console.print(
            f"success {report['success_rate']:.3f} (locomotion {report['locomotion_success_rate']:.3f}), MPJPE {report['mpjpe_mm']:.1f} mm"
        )
        write_json(self.json, report)
        return report

    def _run_batch(self, tensors, train_cfg, lib, clips, times, results) -> None:
        n = clips.numel()
        env_cfg: TrackingConfig = dataclasses.replace(
            train_cfg.env, num_envs=n, episode_seconds=self.max_seconds, termination_distance=1e9, fall_termination=False, seed=self.seed,
            loop_clips=self.loop_clips,
        )
        env = TrackingEnv(env_cfg, motion_lib=lib)
        env.start_clips(torch.arange(n), clips, times)
        actor = build_actor(tensors, train_cfg, env.get_observations(), env.num_actions)
        active = torch.ones(n, dtype=torch.bool)
        failed = torch.zeros(n, dtype=torch.bool)
        err_sum, steps = torch.zeros(n), torch.zeros(n)
        obs = env.get_observations()
        with torch.inference_mode():
            while active.any():
                obs, _r, done, extras = env.step(actor(obs))
                err = extras["mean_body_error"]
                tracking = active & ~failed  # MPJPE counts the steps up to a failure
                err_sum += torch.where(tracking, err, torch.zeros_like(err))
                steps += tracking.float()
                failed |= active & (extras["fall"] | (err > self.error_threshold))
                active &= ~done
        for i in range(n):
            r = results[lib.names[int(clips[i])]]
            r["episodes"] += 1
            r["success"] += int(not failed[i])
            r["err_sum"] += float(err_sum[i])
            r["steps"] += int(steps[i])

    @staticmethod
    def _report(results: dict) -> dict:
        per_clip, tot, loco = {}, [0, 0, 0.0, 0], [0, 0]
        for name, r in results.items():
            if not r["episodes"]:
                continue
            per_clip[name] = {"success_rate": r["success"] / r["episodes"], "mpjpe_mm": 1000 * r["err_sum"] / max(r["steps"], 1), "episodes": r["episodes"]}
            tot[0] += r["episodes"]
            tot[1] += r["success"]
            tot[2] += r["err_sum"]
            tot[3] += r["steps"]
            if is_locomotion(name):
                loco[0] += r["episodes"]
                loco[1] += r["success"]
        return {
            "success_rate": tot[1] / max(tot[0], 1),
            "locomotion_success_rate": loco[1] / max(loco[0], 1),
            "mpjpe_mm": 1000 * tot[2] / max(tot[3], 1),
            "episodes": tot[0],
            "per_clip": per_clip,
        }


@dataclass
class PlayTracker:
    """Video of the tracker following a clip from its start (deterministic actions)."""

    clip: str = "humanoid3d_walk"
    """Clip name (file stem) among --motions."""
    out: Path = Path("videos/tracker.mp4")
    """Output .mp4 or .gif."""
    checkpoint: Path = SHIPPED_TRACKER
    """Tracker checkpoint (default: the shipped one)."""
    motions: tuple[Path, ...] = ()
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    seconds: float = 6.0
    """Length of the video (stops earlier at the end of a non-looping clip)."""
    record: Path | None = None
    """Also write a viewer recording (JSON) here (see `tasktokens view`)."""
    character: str = "humanoid3d"

    def run(self) -> Path:
        from tasktokens.viz.video import record_rollout

        tensors, train_cfg = load_tracker(self.checkpoint, self.character)
        lib = MotionLib.from_paths(self.motions or default_motion_paths(), get_character(self.character))
        cid = lib.clip_index(self.clip)
        env_cfg = dataclasses.replace(train_cfg.env, num_envs=1, num_threads=1, episode_seconds=self.seconds, termination_distance=1e9, fall_termination=False)
        env = TrackingEnv(env_cfg, motion_lib=lib)
        env.start_clips(torch.zeros(1, dtype=torch.long), torch.tensor([cid]), torch.zeros(1))
        actor = build_actor(tensors, train_cfg, env.get_observations(), env.num_actions)
        path = record_rollout(env, actor, self.out, env.max_episode_length, self.record, f"tracker {self.clip}")
        console.print(f"wrote {path}")
        return path

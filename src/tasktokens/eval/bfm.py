"""`tasktokens eval bfm`: the BFM against its teacher.

- teacher_success: the tracker's success on the same episodes (eval tracker's rule).
- full_goal_success: every conditionable body and the root pseudo-body visible (translation and
  rotation) in every goal frame; same success rule as the tracker (no fall, mean body position
  error below 0.5 m throughout); mpjpe_mm from these episodes.
- sparse_goal_success: only the root pseudo-body (heading and planar velocity) visible, on the
  locomotion clips; success = no fall and the root within 1.0 m of the reference root path (the
  nearest point of the clip's root trajectory over the episode) for 10 s.
- per_clip: {clip: {"episodes", "teacher_success", "full_goal_success", "mpjpe_mm"}} of the
  full-goal episodes (the teacher runs the same clips and start times), to see which clips the
  student loses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

from tasktokens.character import get_character
from tasktokens.eval.report import write_json
from tasktokens.eval.tracker import TrackerEval, load_tracker
from tasktokens.models.loading import load_bfm
from tasktokens.motion.labels import is_locomotion
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths
from tasktokens.paths import SHIPPED_BFM
from tasktokens.tasks.tracking import TrackingEnv
from tasktokens.train.checkpoint import resolve_saved_path
from tasktokens.train.distill import reference_goals

console = Console(stderr=True)
FAR_STEPS = 30


def full_goal_masks(n: int, num_frames: int, num_entities: int) -> torch.Tensor:
    return torch.ones(n, num_frames, num_entities, 2, dtype=torch.bool)


def sparse_goal_masks(n: int, num_frames: int, num_entities: int) -> torch.Tensor:
    """Only the root pseudo-body (last entity) in the near frames; no far frame."""
    m = torch.zeros(n, num_frames, num_entities, 2, dtype=torch.bool)
    m[:, :-1, -1] = True
    return m


def distance_to_path(cur_xy: torch.Tensor, ref_xy: torch.Tensor) -> torch.Tensor:
    """(T, N) distance of each root position cur_xy (T, N, 2) to the nearest point of the
    reference path ref_xy (T, N, 2) of the same environment."""
    d = (cur_xy[:, None] - ref_xy[None, :]).norm(dim=-1)  # (T, T, N)
    return d.min(dim=1).values


@dataclass
class Episodes:
    """Per-episode results of one evaluation mode, (N,) each."""

    clips: torch.Tensor
    ok: torch.Tensor
    """Succeeded (bool)."""
    err: torch.Tensor
    """Sum over the tracked steps of the mean body position error (m)."""
    steps: torch.Tensor
    """Steps tracked (up to the failure)."""


def per_clip_report(eps: Episodes, names: list[str], teacher_per_clip: dict) -> dict:
    """{clip: {"episodes", "teacher_success", "full_goal_success", "mpjpe_mm"}} of full-goal episodes."""
    out = {}
    for c, name in enumerate(names):
        sel = eps.clips == c
        if not sel.any():
            continue
        out[name] = {
            "episodes": int(sel.sum()),
            "teacher_success": teacher_per_clip.get(name, {}).get("success_rate"),
            "full_goal_success": eps.ok[sel].float().mean().item(),
            "mpjpe_mm": 1000 * eps.err[sel].sum().item() / max(eps.steps[sel].sum().item(), 1),
        }
    return out


@dataclass
class BFMEval:
    """Evaluate a BFM: teacher, full-goal and sparse-goal success, MPJPE."""

    motions: tuple[Path, ...] = ()
    """Clip files or folders (default: the MIT DeepMimic clips)."""
    episodes: int = 290
    """Episodes per measurement (clips in turn; sparse goals on locomotion clips only)."""
    checkpoint: Path = SHIPPED_BFM
    """BFM checkpoint (default: the shipped one)."""
    json: Path | None = None
    """Write {"teacher_success", "full_goal_success", "sparse_goal_success", "mpjpe_mm", "per_clip"} here."""
    num_envs: int = 512
    seed: int = 1
    character: str = "humanoid3d"

    def run(self) -> dict:
        char = get_character(self.character)
        bfm, meta = load_bfm(self.checkpoint, char)
        teacher = resolve_saved_path(meta["config"]["teacher"])
        lib = MotionLib.from_paths(self.motions or default_motion_paths(), char)
        teacher_report = TrackerEval(motions=self.motions, episodes=self.episodes, checkpoint=teacher, num_envs=self.num_envs,
                                     seed=self.seed, character=self.character).run()
        _tensors, teacher_cfg = load_tracker(teacher, self.character)
        all_clips = torch.arange(lib.num_clips)
        loco = torch.tensor([i for i, n in enumerate(lib.names) if is_locomotion(n)])
        full = self._episodes(bfm, teacher_cfg, lib, all_clips, "full")
        sparse = self._episodes(bfm, teacher_cfg, lib, loco, "sparse")
        report = {
            "teacher_success": teacher_report["success_rate"],
            "full_goal_success": full.ok.float().mean().item(),
            "sparse_goal_success": sparse.ok.float().mean().item(),
            "mpjpe_mm": 1000 * full.err.sum().item() / max(full.steps.sum().item(), 1),
            "per_clip": per_clip_report(full, lib.names, teacher_report["per_clip"]),
        }
        console.print({k: v for k, v in report.items() if k != "per_clip"})
        write_json(self.json, report)
        return report

    def _episodes(self, bfm, teacher_cfg, lib, clip_pool, mode: str) -> Episodes:
        """The episodes of one mode; clips in turn and start times drawn as in `eval tracker`."""
        gen = torch.Generator().manual_seed(self.seed)
        parts, done_eps = [], 0
        while done_eps < self.episodes:
            n = min(self.num_envs, self.episodes - done_eps)
            clips = clip_pool[torch.arange(done_eps, done_eps + n) % clip_pool.numel()]
            times = torch.rand(n, generator=gen) * lib.duration[clips] * 0.95
            parts.append(self._batch(bfm, teacher_cfg, lib, clips, times, mode))
            done_eps += n
        return Episodes(*(torch.cat([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Episodes)))

    def _batch(self, bfm, teacher_cfg, lib, clips, times, mode: str) -> Episodes:
        n = clips.numel()
        env_cfg = dataclasses.replace(teacher_cfg.env, num_envs=n, episode_seconds=10.0, termination_distance=1e9,
                                      fall_termination=False, curriculum_samples=0, seed=self.seed)
        env = TrackingEnv(env_cfg, motion_lib=lib)
        env.start_clips(torch.arange(n), clips, times)
        char = env.character
        body_idx = torch.tensor(char.body_indices(char.conditionable_bodies))
        frames, entities = len(env.cfg.future_steps) + 1, body_idx.numel() + 1
        masks = full_goal_masks(n, frames, entities) if mode == "full" else sparse_goal_masks(n, frames, entities)
        far = torch.full((n,), FAR_STEPS)
        active, failed = torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)
        err_sum, steps = torch.zeros(n), torch.zeros(n)
        cur_xy, ref_xy, alive = [], [], []
        with torch.inference_mode():
            while active.any():
                goals = reference_goals(env, body_idx, masks, far, None)
                proprio = env.get_observations()["policy"][:, : env.env.num_proprio]
                ref_root = env._ref_next.body_pos[:, 0, :2].clone()
                _obs, _r, done, extras = env.step_targets(env.sim.pd_targets(bfm.act(proprio, goals)))
                err = extras["mean_body_error"]
                tracking = active & ~failed
                err_sum += torch.where(tracking, err, torch.zeros_like(err))
                steps += tracking.float()
                bad = extras["fall"] | ((err > 0.5) if mode == "full" else torch.zeros_like(done))
                failed |= active & bad
                cur_xy.append(extras["root_pos"][:, :2])
                ref_xy.append(ref_root)
                alive.append(active.clone())
                active &= ~done
        if mode == "sparse":  # root within 1 m of the reference path while the episode ran
            dist = distance_to_path(torch.stack(cur_xy), torch.stack(ref_xy))
            failed |= ((dist > 1.0) & torch.stack(alive)).any(dim=0)
        return Episodes(clips, ~failed, err_sum, steps)

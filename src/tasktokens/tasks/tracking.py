"""Full-body motion tracking: the task the teacher (tracker) of the BFM is trained on.

Each environment follows a clip from a random time (reference-state initialisation), ends early
on a fall or when any body drifts more than ``termination_distance`` from its reference (paper:
0.25 m; 0.5 m here, see the field), and otherwise runs to the clip's end or ``episode_seconds``. Actions are residual PD targets around
the next reference pose. Reward: the paper's exponential tracking terms minus a power penalty.
Clips the tracker fails on are sampled more often.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from tensordict import TensorDict

from tasktokens import rotations as rot
from tasktokens.character import Character, get_character
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.envs.observations import fall_detected
from tasktokens.motion.labels import is_locomotion, skill_balance
from tasktokens.motion.motion_lib import MotionLib, MotionState, default_motion_paths
from tasktokens.sim.common import SimConfig
from tasktokens.tasks import register_task

Tensor = torch.Tensor


@dataclass(frozen=True)
class TrackingRewardWeights:
    """Weights and sharpness of the tracking reward terms (MaskedMimic/ProtoMotions style)."""

    pos: float = 0.5
    """Weight of exp(-pos_k * mean body position error^2)."""
    rot: float = 0.3
    """Weight of exp(-rot_k * mean body rotation angle^2)."""
    vel: float = 0.1
    """Weight of exp(-vel_k * mean body linear velocity error^2)."""
    ang_vel: float = 0.1
    """Weight of exp(-ang_vel_k * mean body angular velocity error^2)."""
    height: float = 0.2
    """Weight of exp(-height_k * root height error^2)."""
    pos_k: float = 100.0
    rot_k: float = 10.0
    vel_k: float = 0.5
    ang_vel_k: float = 0.1
    height_k: float = 100.0
    power: float = 2e-5
    """Penalty per watt of actuator power."""


@dataclass
class TrackingConfig:
    """Tracking environment."""

    motions: tuple[Path, ...] = ()
    """Clip files or folders (default: the MIT DeepMimic clips, clips/ and long/)."""
    character: str = "humanoid3d"
    """Registered character name."""
    num_envs: int = 1024
    """Parallel environments."""
    num_threads: int = 2
    """MuJoCo threads."""
    episode_seconds: float = 10.0
    """Longest episode (time-out, bootstrapped)."""
    future_steps: tuple[int, ...] = (1, 2, 4)
    """Control steps ahead of the reference frames in the observation."""
    residual_scale: float = 0.6
    """PD target = reference joint target + residual_scale * action (rad), action in [-1, 1]."""
    termination_distance: float = 0.5
    """End an episode when a body is farther than this (m) from its reference. The paper uses
    0.25 m with GPU-scale sample budgets; at 0.25 m the episodes of an untrained tracker last ~10
    control steps, which made learning very slow here (docs/tracker.md)."""
    fall_termination: bool = True
    """Also end an episode on a fall: a body other than the feet touching the ground while its
    reference is well above it (DeepMimic's early termination)."""
    reset_lift: float = 0.02
    """Raise the reference root by this (m) at resets: mocap feet sink a few cm into the floor."""
    sampling_floor: float = 0.2
    """Clip sampling weight = sampling_floor + recent failure rate of the clip."""
    curriculum_samples: int = 20_000_000
    """Curriculum: during the first this many samples the weights of non-locomotion clips are scaled
    by samples / curriculum_samples (at least curriculum_start), so walking is learnt first."""
    curriculum_start: float = 0.05
    """Smallest scale of the non-locomotion clips' weights."""
    loop_clips: bool = True
    """Play looping clips (DeepMimic's "wrap") past their last frame, each cycle shifted by the
    clip's root displacement, so an episode of a 1 s walk can last episode_seconds. False ends
    every episode at its clip's last frame (each clip played once, as motion-tracking
    evaluations such as PHC's and MaskedMimic's do)."""
    balance_skills: bool = False
    """Divide each clip's sampling weight by the number of clips of its skill (motion/labels.py), so
    that a skill with many clips (e.g. 128 synthesized reaches) does not crowd out the others."""
    skill_weights: dict[str, float] = field(default_factory=dict)
    """Factor on the sampling weight of every clip of these skills (labels as motion/labels.py
    skill_label gives them, after balance_skills), e.g. {"walk_sideways": 4.0}: a skill the
    corpus has few clips or seconds of gets more episodes without duplicating its clips."""
    reward: TrackingRewardWeights = field(default_factory=TrackingRewardWeights)
    """Reward weights."""
    seed: int = 0
    """Seed of the clip/time sampler."""


def skill_factors(skills: list[str], weights: dict[str, float]) -> Tensor:
    """(C,) factor of each clip from its skill's entry in `weights` (1 when absent). A skill no clip
    has, or a factor that is not positive, is refused with the skills there are."""
    unknown = sorted(set(weights) - set(skills))
    if unknown:
        raise ValueError(f"skill_weights names {unknown}, which no clip has; the clips' skills: {sorted(set(skills))}")
    bad = {k: v for k, v in weights.items() if not v > 0.0}
    if bad:
        raise ValueError(f"skill_weights must be positive, got {bad}")
    return torch.tensor([float(weights.get(s, 1.0)) for s in skills])


def tracking_reward(
    cur: tuple[Tensor, Tensor, Tensor, Tensor], ref: MotionState, power: Tensor, w: TrackingRewardWeights
) -> tuple[Tensor, dict[str, Tensor]]:
    """Tracking reward of world-frame body states cur = (pos, quat, lin_vel, ang_vel), each
    (N, B, ·), against the reference; power (N,) in W. Returns (reward (N,), terms)."""
    pos, quat, lin, ang = cur
    terms = {
        "pos": torch.exp(-w.pos_k * (pos - ref.body_pos).pow(2).sum(-1).mean(-1)),
        "rot": torch.exp(-w.rot_k * rot.quat_angle_between(quat, ref.body_quat).pow(2).mean(-1)),
        "vel": torch.exp(-w.vel_k * (lin - ref.body_lin_vel).pow(2).sum(-1).mean(-1)),
        "ang_vel": torch.exp(-w.ang_vel_k * (ang - ref.body_ang_vel).pow(2).sum(-1).mean(-1)),
        "height": torch.exp(-w.height_k * (pos[:, 0, 2] - ref.body_pos[:, 0, 2]).pow(2)),
    }
    reward = w.pos * terms["pos"] + w.rot * terms["rot"] + w.vel * terms["vel"] + w.ang_vel * terms["ang_vel"] + w.height * terms["height"]
    terms["power"] = power
    return reward - w.power * power, terms


def reference_observation(cur_root_pos: Tensor, cur_root_quat: Tensor, cur_body_pos: Tensor, ref: MotionState) -> Tensor:
    """One future reference frame seen from the current root heading frame.

    cur_root_pos (N, 3) _w, cur_root_quat (N, 4) _w, cur_body_pos (N, B, 3) _w; ref bodies (N, B, ·) _w.
    Returns (N, B*12): reference body positions relative to the current root _h, their 6-D
    rotations _h, and the reference-minus-current body position _h.
    """
    n, b = ref.body_pos.shape[:2]
    h = rot.heading_quat_inverse(cur_root_quat)[:, None, :].expand(n, b, 4)
    rel = rot.quat_rotate(h, ref.body_pos - cur_root_pos[:, None, :])
    diff = rot.quat_rotate(h, ref.body_pos - cur_body_pos)
    rot6 = rot.quat_to_tan_norm(rot.quat_mul(h, ref.body_quat))
    return torch.cat([rel.reshape(n, -1), rot6.reshape(n, -1), diff.reshape(n, -1)], dim=-1)


def unexpected_ground_contact(contacts: Tensor, ref_body_height: Tensor, allowed: Tensor, clearance: float = 0.25) -> Tensor:
    """(N,) bool: a body other than the allowed ones touches the ground although its reference is
    more than `clearance` m above it (a fall; getting up or crawling touches the ground on purpose).
    contacts (N, B) bool, ref_body_height (N, B), allowed (B,) bool."""
    return fall_detected(contacts & (ref_body_height > clearance), allowed)


@register_task("tracking", TrackingConfig)
class TrackingEnv:
    """Batched tracking environment with rsl_rl's VecEnv interface (TensorDict observations)."""

    def __init__(self, cfg: TrackingConfig, motion_lib: MotionLib | None = None):
        self.cfg = cfg
        self.character: Character = get_character(cfg.character)
        self.lib = motion_lib or MotionLib.from_paths(cfg.motions or default_motion_paths(), self.character)
        self.env = HumanoidEnv(self.character, SimConfig(num_envs=cfg.num_envs, num_threads=cfg.num_threads))
        self.sim = self.env.sim
        self.num_envs, self.num_actions, self.device = cfg.num_envs, self.character.num_dof, "cpu"
        self.dt = self.sim.control_dt
        self.max_episode_length = int(round(cfg.episode_seconds / self.dt))
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long)
        self.clip_ids = torch.zeros(self.num_envs, dtype=torch.long)
        self.start_time = torch.zeros(self.num_envs)
        self.fail_rate = torch.zeros(self.lib.num_clips)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        if cfg.future_steps[0] != 1:
            raise ValueError(f"future_steps must start with 1 (the next frame is the action's target), got {cfg.future_steps}")
        self._offsets = torch.tensor(cfg.future_steps)
        self.episode_return = torch.zeros(self.num_envs)
        self.samples = 0  # environment steps taken, for the curriculum
        self._locomotion = torch.tensor([is_locomotion(n) for n in self.lib.names])
        self._skill_share = (skill_balance(self.lib.skills) if cfg.balance_skills else torch.ones(self.lib.num_clips)) * skill_factors(self.lib.skills, cfg.skill_weights)
        self._allowed = self.env._contact_allowed
        self.reset_envs(torch.arange(self.num_envs))

    # --- references --------------------------------------------------------------------------
    def _references(self) -> list[MotionState]:
        """Reference states at each future step, one MotionState per offset."""
        k = len(self._offsets)
        steps = self.episode_length_buf[None, :] + self._offsets[:, None]  # (K, N)
        times = self.start_time[None, :] + steps.float() * self.dt
        st = self.lib.state(self.clip_ids.repeat(k), times.reshape(-1))
        split = [torch.chunk(getattr(st, f), k) for f in ("qpos", "qvel", "body_pos", "body_quat", "body_lin_vel", "body_ang_vel")]
        return [MotionState(*(s[i] for s in split)) for i in range(k)]

    def _observe(self) -> None:
        refs = self._references()
        self._refs = refs  # kept for goal construction (distillation)
        self._ref_next = refs[0]  # the action's target, and the reference after the next step
        proprio = self.env.proprioception()
        pos = self.sim.body_pos.float()
        quat = self.sim.body_quat.float()
        frames = [reference_observation(pos[:, 0], quat[:, 0], pos, r) for r in refs]
        self._obs = torch.cat([proprio, *frames], dim=-1)

    def get_observations(self) -> TensorDict:
        return TensorDict({"policy": self._obs}, batch_size=[self.num_envs])

    @property
    def num_obs(self) -> int:
        return self._obs.shape[1]

    # --- episodes ----------------------------------------------------------------------------
    def sampling_weights(self) -> Tensor:
        """Per-clip weights: failing clips more, non-locomotion clips faded in by the curriculum."""
        cfg = self.cfg
        ramp = 1.0 if cfg.curriculum_samples <= 0 else min(1.0, max(cfg.curriculum_start, self.samples / cfg.curriculum_samples))
        scale = torch.where(self._locomotion, torch.ones(()), torch.full((), ramp))
        return (cfg.sampling_floor + self.fail_rate) * scale * self._skill_share

    def reset_envs(self, ids: Tensor) -> None:
        """Reference-state initialisation at a random time of a clip chosen by sampling_weights."""
        if ids.numel() == 0:
            return
        clips = self.lib.sample_clips(ids.numel(), self.sampling_weights(), self._gen)
        times = self.lib.sample_times(clips, self._gen) * 0.95  # leave some clip to track
        self.start_clips(ids, clips, times)

    def start_clips(self, ids: Tensor, clips: Tensor, times: Tensor) -> None:
        """Put environments ids at the reference state of (clip, time)."""
        st = self.lib.state(clips, times)
        qpos = st.qpos.double()
        qpos[:, 2] += self.cfg.reset_lift
        self.env.reset_envs(ids, qpos, st.qvel.double())
        self.clip_ids[ids], self.start_time[ids] = clips, times
        self.episode_length_buf[ids] = 0
        self.episode_return[ids] = 0.0
        self._observe()

    def _clip_ended(self) -> Tensor:
        t = self.start_time + self.episode_length_buf.float() * self.dt
        once = ~self.lib.loop[self.clip_ids] | (not self.cfg.loop_clips)
        return once & (t >= self.lib.duration[self.clip_ids])

    def _update_fail_rates(self, done: Tensor, failed: Tensor) -> None:
        """Exponential moving average of the failure rate of each clip over finished episodes."""
        ends = torch.bincount(self.clip_ids[done], minlength=self.lib.num_clips).float()
        fails = torch.bincount(self.clip_ids[failed], minlength=self.lib.num_clips).float()
        seen = ends > 0
        alpha = 1.0 - 0.98**ends
        self.fail_rate[seen] += alpha[seen] * (fails[seen] / ends[seen] - self.fail_rate[seen])

    def residual_targets(self, actions: Tensor) -> Tensor:
        """PD targets (N, nu) of the tracker's residual actions around the next reference pose."""
        base = self.character.pd_targets_from_qpos(self._ref_next.qpos.double())
        return self.sim.clamp_targets(base + self.cfg.residual_scale * actions.double().clamp(-1.0, 1.0))

    def step(self, actions: Tensor) -> tuple[TensorDict, Tensor, Tensor, dict]:
        """Step with the tracker's residual actions (N, nu)."""
        return self.step_targets(self.residual_targets(actions))

    def step_targets(self, targets: Tensor) -> tuple[TensorDict, Tensor, Tensor, dict]:
        """Step with PD targets (N, nu) (e.g. a student's absolute actions, BatchSim.pd_targets)."""
        ref = self._ref_next  # reference at the time this step reaches
        self.sim.step(targets)
        self.episode_length_buf += 1
        self.samples += self.num_envs
        lin, ang = self.sim.body_velocities()
        f = torch.float32
        cur = (self.sim.body_pos.to(f), self.sim.body_quat.to(f), lin.to(f), ang.to(f))
        reward, terms = tracking_reward(cur, ref, self.sim.actuator_power().to(f), self.cfg.reward)
        err = (cur[0] - ref.body_pos).norm(dim=-1)  # (N, B)
        fall = unexpected_ground_contact(self.sim.ground_contacts(), ref.body_pos[..., 2], self._allowed)
        terminated = (err.max(dim=-1).values > self.cfg.termination_distance) | self.sim.failed
        if self.cfg.fall_termination:
            terminated |= fall
        reward = torch.where(self.sim.failed, torch.zeros_like(reward), reward)
        time_out = (self.episode_length_buf >= self.max_episode_length) | self._clip_ended()
        time_out &= ~terminated
        done = terminated | time_out
        self.episode_return += reward
        extras = {
            "time_outs": time_out,
            "log": {f"/reward_{k}": v.mean() for k, v in terms.items()},
            "episode": {"done": done.clone(), "success": time_out.clone(), "return": self.episode_return.clone(), "length": self.episode_length_buf.clone()},
            "mean_body_error": err.mean(-1),
            "fall": fall,
            "root_pos": cur[0][:, 0].clone(),  # before any reset of this step
        }
        self._update_fail_rates(done, terminated)
        ids = done.nonzero().squeeze(-1)
        if ids.numel():
            self.reset_envs(ids)
        else:
            self._observe()
        return self.get_observations(), reward, done, extras

    # --- saved with a run ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"fail_rate": self.fail_rate.clone(), "clip_names": self.lib.names, "generator": self._gen.get_state(), "samples": self.samples}

    def load_state_dict(self, state: dict) -> None:
        if state.get("clip_names") == self.lib.names:  # same clip set: keep its failure statistics
            self.fail_rate.copy_(state["fail_rate"])
        self._gen.set_state(state["generator"])
        self.samples = state.get("samples", 0)

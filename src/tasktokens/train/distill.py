"""`tasktokens pretrain bfm`: DAgger distillation of the tracker into the BFM.

The student (BFM) acts deterministically (z = mu of the prior) from proprioception and masked
goals; the frozen tracker labels every visited state with its action, converted to the student's
absolute action space; loss = MSE(decoder(proprio, z ~ posterior), label) + beta KL(posterior ||
prior). Goal masks follow MaskedMimic: 1..7 active entities (bodies + root pseudo-body), each with
its translation, rotation or both channels; a mask is kept from one step to the next with
probability 0.98; some episodes have gaps with no goals; a far frame 10-90 steps ahead is present
half of the time; the skill token is shown some of the time.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from tasktokens.envs.goals import apply_goal_mask, goal_frame_from_reference
from tasktokens.eval.tracker import SHIPPED_TRACKER, build_actor, load_tracker
from tasktokens.machine import cpu_has_native_bf16
from tasktokens.models.bfm import BFM, BFMConfig, Goals, distillation_loss
from tasktokens.models.loading import load_bfm  # noqa: F401 - re-exported: its home is models/loading.py
from tasktokens.motion.labels import skill_label, skill_vocabulary
from tasktokens.tasks.tracking import TrackingEnv
from tasktokens.train.bfm_init import init_from_bfm
from tasktokens.train.checkpoint import to_jsonable
from tasktokens.train.runner import RunnerConfig, TrainLoop

Tensor = torch.Tensor


@dataclass
class GoalMaskConfig:
    """How goal masks are sampled during distillation (paper values)."""

    max_active: int = 7
    """Active entities per mask: uniform in 1..max_active."""
    keep_prob: float = 0.98
    """Probability that an environment keeps its mask for the next step."""
    no_goal_prob: float = 0.1
    """Probability that a new mask shows no goal at all (a gap)."""
    far_prob: float = 0.5
    """Probability that the far frame is present."""
    far_steps: tuple[int, int] = (10, 90)
    """Range of the far frame's distance, in control steps."""
    skill_prob: float = 0.3
    """Probability that the skill token is shown."""
    root_only_prob: float = 0.2
    """Probability that a mask shows only the root pseudo-body (heading and planar velocity, both
    channels). Not in MaskedMimic, whose uniform masks show root-only goals ~1% of the time: the
    steering-style tasks and their priors drive the BFM through exactly this mask, and a
    BFM distilled for a few million samples (not billions) did not learn it from 1% (v0: sparse-goal
    success 0.36, most falls under a constant heading/speed goal)."""
    full_prob: float = 0.0
    """Probability that a mask shows every entity with both channels in every frame, the far one
    included (the `eval bfm` full-goal condition). Not in MaskedMimic: uniform 1..7-entity masks
    show all 7 entities with both channels 1/7 x (1/3)^7 of the time."""
    hand_prob: float = 0.0
    """Probability that a mask (not root-only, not full) shows the root pseudo-body (both channels)
    and one hand's translation, right or left at random: the reach prior's and the reach probe's
    goal (tasks/priors.py, eval/probes.py). Uniform masks show it 2/7 x 1/7 x 1/3 x 1/3 x 1/21
    of the time (about 0.03%)."""
    # BFM v6 reads the root height goal as a choice between the stances of its data (the MIT stand
    # at 0.876 m, the Reallusion idles at 0.69-0.77 m) and falls when asked for 0.85 m between them
    # (docs/probes.md); an offset it must learn to look past makes the height goal approximate.
    root_height_noise: float = 0.0
    """Std (m) of an offset added to the root pseudo-body's target height in every goal frame, drawn
    per environment with each new mask (0: off); the teacher's labels still follow the clip."""


def sample_goal_masks(n: int, num_near: int, num_entities: int, cfg: GoalMaskConfig, gen: torch.Generator,
                      hands: tuple[int, ...] = ()) -> tuple[Tensor, Tensor, Tensor]:
    """Masks (n, num_near + 1, E, 2) bool (translation, rotation), far-frame steps (n,) and
    whether the skill token is shown (n,). hands: the entity rows of the hands, for
    cfg.hand_prob (the root pseudo-body is the last row)."""
    k = torch.randint(1, min(cfg.max_active, num_entities) + 1, (n,), generator=gen)
    rank = torch.rand(n, num_entities, generator=gen).argsort(dim=-1).argsort(dim=-1)
    active = rank < k[:, None]  # k random entities
    channel = torch.randint(0, 3, (n, num_entities), generator=gen)  # 0 translation, 1 rotation, 2 both
    root_only = torch.rand(n, generator=gen) < cfg.root_only_prob
    active = torch.where(root_only[:, None], torch.arange(num_entities) == num_entities - 1, active)
    full = (torch.rand(n, generator=gen) < cfg.full_prob) & ~root_only
    active = active | full[:, None]
    channel = torch.where(root_only[:, None] | full[:, None], torch.full_like(channel, 2), channel)
    entity = torch.stack([active & (channel != 1), active & (channel != 0)], dim=-1)  # (n, E, 2)
    if cfg.hand_prob > 0:  # drawn only when asked, so runs without it keep their random stream
        entity = _hand_masks(entity, ~root_only & ~full, cfg.hand_prob, hands, gen)
    masks = entity[:, None].expand(n, num_near + 1, num_entities, 2).clone()
    masks[:, -1] &= ((torch.rand(n, generator=gen) < cfg.far_prob) | full)[:, None, None]
    masks &= ((torch.rand(n, generator=gen) >= cfg.no_goal_prob) | full)[:, None, None, None]
    far = torch.randint(cfg.far_steps[0], cfg.far_steps[1] + 1, (n,), generator=gen)
    skill = torch.rand(n, generator=gen) < cfg.skill_prob
    return masks, far, skill


def _hand_masks(entity: Tensor, eligible: Tensor, prob: float, hands: tuple[int, ...], gen: torch.Generator) -> Tensor:
    """entity (n, E, 2) with a share `prob` of the eligible (n,) rows replaced by the root (both
    channels) and one of the hands' translation."""
    if not hands:
        raise ValueError("GoalMaskConfig.hand_prob > 0 needs the hands' entity rows (the character's conditionable bodies lack right_hand/left_hand)")
    n, num_entities, _ = entity.shape
    chosen = (torch.rand(n, generator=gen) < prob) & eligible
    hand = torch.tensor(hands)[torch.randint(len(hands), (n,), generator=gen)]
    preset = torch.zeros_like(entity)
    preset[:, -1] = True
    preset[torch.arange(n), hand, 0] = True
    return torch.where(chosen[:, None, None], preset, entity)


def reference_goals(env: TrackingEnv, body_idx: Tensor, masks: Tensor, far_steps: Tensor, skill: Tensor | None,
                    height_offset: Tensor | None = None) -> Goals:
    """Goals from a tracking environment's references: its near frames (env.cfg.future_steps) and
    a far frame far_steps (N,) ahead, masked by masks (N, F, E, 2); skill (N,) ids or -1;
    height_offset (N,) m added to the root pseudo-body's target height (GoalMaskConfig.root_height_noise)."""
    pos, quat = env.sim.body_pos.float(), env.sim.body_quat.float()
    t_far = env.start_time + (env.episode_length_buf + far_steps).float() * env.dt
    refs = list(env._refs) + [env.lib.state(env.clip_ids, t_far)]
    frames = torch.stack([goal_frame_from_reference(pos[:, 0], quat[:, 0], r.body_pos, r.body_quat, r.body_lin_vel[:, 0], body_idx)
                          for r in refs], dim=1)
    if height_offset is not None:
        frames[:, :, -1, 2] += height_offset[:, None]
    steps = torch.cat([env._offsets[None, :].expand(env.num_envs, -1), far_steps[:, None]], dim=1)
    return Goals(apply_goal_mask(frames, masks), steps.float() * env.dt, skill)


@dataclass
class DistillConfig:
    """Distil the tracker into the BFM."""

    out: Path = Path("runs/bfm")
    """Run folder."""
    resume: bool = False
    """Continue the run in --out from its last checkpoint."""
    teacher: Path = SHIPPED_TRACKER
    """Tracker checkpoint (the teacher)."""
    motions: tuple[Path, ...] = ()
    """Clips (files or folders) to distil on; default: the teacher's clips. Leaving out clips the
    teacher cannot track keeps its wrong labels out of the student."""
    skill_weights: dict[str, float] = field(default_factory=dict)
    """Factor on the sampling weight of the clips of these skills, e.g. `--skill-weights
    walk_sideways 4 walk_backward 4` (TrackingConfig.skill_weights; default: the teacher's)."""
    bfm: BFMConfig = field(default_factory=BFMConfig)
    masks: GoalMaskConfig = field(default_factory=GoalMaskConfig)
    num_envs: int = 512
    """Parallel environments (the tracker's environment settings otherwise)."""
    steps_per_env: int = 16
    """Steps collected per iteration."""
    epochs: int = 2
    mini_batches: int = 16
    """Mini-batches per epoch: 16 gives 4x the gradient steps of 4 for about 15% more update time
    (the distillation is limited by gradient steps, not by data)."""
    learning_rate: float = 3e-4
    beta: float = 1e-4
    """Weight of KL(posterior || prior). Small because the action MSE is small in the normalised
    action units ([-1, 1], about 0.01): at beta = 0.01 one nat of information in z cost as much as
    the whole MSE, the posterior collapsed onto the prior and the decoder ignored z (measured on a
    3.6M-sample run: changing z moved the actions by 4e-5 MSE; tests/models/test_bfm.py)."""
    prior_action_weight: float = 0.0
    """Weight of MSE(decoder(proprio, mu_prior), label): supervises the path the BFM acts with
    (z = mu_prior) as well as the posterior's. 0 is MaskedMimic's loss (v0-v4 were trained so);
    with v4, decoding mu_prior gave 1.6-1.8x the MSE of decoding mu_posterior on its own
    full-goal rollouts, most on the stealthy walks where it falls (docs/bfm-and-task-tokens.md)."""
    train_prior_only: bool = False
    """Freeze the decoder, the posterior encoder and the posterior's normaliser and train the prior
    alone, through the KL and the prior-path loss (use with --prior-action-weight > 0). The
    proprioception normaliser, which prior and decoder share, keeps its running update. For a
    continuation whose posterior path already acts well but whose prior does not (the stealthy
    walks after 46M samples: 0.67 against 0.40, docs/bfm-and-task-tokens.md)."""
    ema_decay: float = 0.0
    """Keep an exponential moving average of the BFM's parameters, updated after every gradient
    step with this decay (torch.optim.swa_utils.AveragedModel; 0: off). The run's checkpoint then
    holds the average (what evaluation and tokens load, with the live normaliser statistics), the
    training state the live weights that keep training and acting. 0.9999 averages over about
    10,000 steps (2.6M samples at the default batch). Why: the mean of three checkpoints 3.8M
    samples apart scored 0.895 x the teacher against 0.880-0.894 x for each of them
    (docs/bfm-and-task-tokens.md)."""
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    torch_threads: int = 2
    sim_threads: int | None = None
    """C threads of the simulation (default: the teacher's setting)."""
    termination_distance: float | None = None
    """End a student episode when a body drifts this far (m) from its reference (default: the
    teacher's training setting, 0.5 for the shipped trackers). Larger values let the student
    visit, and the teacher label, the states between a small drift and a fall, which evaluation
    without early termination reaches."""
    precision: Literal["fp32", "bf16"] = "fp32"
    """Arithmetic of the student's updates: "bf16" runs the loss's forward, and so its backward,
    under torch.autocast(bfloat16); the weights, the optimizer and the labels stay float32. The
    update's prior transformer dominates a distillation iteration; on a CPU with native bf16
    (AVX512-BF16, AMX) a gradient step takes about 2/3 of the time (docs/benchmarks.md); elsewhere
    bf16 is emulated and slower: keep fp32 there."""
    init_from: Path | None = None
    """Start a new run (not --resume) from another BFM's weights and normaliser statistics: same
    sizes, skill embeddings matched by label; a label the source lacks starts at the mean of its
    rows. For continuing a BFM on clips with other skill labels (v6 from v4)."""
    device: str = "cpu"
    """Torch device of the student (its forward in rollouts and its updates), e.g. "cuda" on a
    GPU machine. The simulation and the teacher stay on the CPU; checkpoints are saved from CPU
    copies, so a run trained on a GPU resumes and evaluates on the CPU."""

    def __post_init__(self):
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"--ema-decay {self.ema_decay}: must be in [0, 1) (0 turns the average off; 0.9999 is about 10,000 steps)")

    def run(self) -> DistillRunner:
        if self.precision == "bf16" and self.device == "cpu" and cpu_has_native_bf16() is False:
            warnings.warn("--precision bf16 on a CPU without native bf16 (no avx512_bf16 or amx_bf16 in /proc/cpuinfo): "
                          "bf16 is emulated there and an update took 14x as long as in fp32 (docs/benchmarks.md); pass --precision fp32", stacklevel=2)
        torch.set_num_threads(self.torch_threads)
        torch.manual_seed(self.runner.seed)
        runner = self.build_runner()
        if self.resume:
            runner.resume()
        elif self.init_from is not None:
            init_from_bfm(runner.bfm, self.init_from, runner.env.character)
        runner.learn()
        return runner

    def build_runner(self) -> DistillRunner:
        """The student, the teacher and their environments, before any training (a benchmark
        times its iterations: benchmarks/bench_distill.py)."""
        tensors, teacher_cfg = load_tracker(self.teacher)
        motions = self.motions or teacher_cfg.env.motions
        env_cfg = dataclasses.replace(teacher_cfg.env, num_envs=self.num_envs, curriculum_samples=0, motions=motions,
                                      skill_weights=self.skill_weights or teacher_cfg.env.skill_weights,
                                      num_threads=self.sim_threads or teacher_cfg.env.num_threads,
                                      termination_distance=teacher_cfg.env.termination_distance if self.termination_distance is None else self.termination_distance)
        env = TrackingEnv(env_cfg)
        teacher = build_actor(tensors, teacher_cfg, env.get_observations(), env.num_actions)
        return DistillRunner(env, teacher, self)


class DistillRunner(TrainLoop):
    """DAgger: student rollouts, teacher labels, supervised updates."""

    def __init__(self, env: TrackingEnv, teacher, cfg: DistillConfig):
        super().__init__(env, cfg.runner, cfg.out, cfg, env.character)
        self.teacher, self.dcfg = teacher, cfg
        self.num_proprio = env.env.num_proprio
        self.body_idx = torch.tensor(env.character.body_indices(env.character.conditionable_bodies))
        self.num_near = len(env.cfg.future_steps)
        self.skills = skill_vocabulary(env.lib.names)
        self.clip_skill = torch.tensor([self.skills.index(skill_label(n)) for n in env.lib.names])
        bfm_cfg = dataclasses.replace(cfg.bfm, num_goal_frames=self.num_near + 1, near_steps=tuple(env.cfg.future_steps), num_skills=len(self.skills), skill_names=tuple(self.skills))
        num_post = env.num_obs - self.num_proprio
        self.device = torch.device(cfg.device)
        self.bfm = BFM(bfm_cfg, self.num_proprio, self.body_idx.numel() + 1, num_post, env.num_actions).to(self.device)
        if cfg.train_prior_only:  # no gradients, so Adam skips them (their moments stay for a later full run)
            self.bfm.decoder.requires_grad_(False)
            self.bfm.posterior.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.bfm.parameters(), lr=cfg.learning_rate)
        self.ema = AveragedModel(self.bfm, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay)) if cfg.ema_decay else None
        self.batch_size = env.num_envs * cfg.steps_per_env
        self.gen = torch.Generator().manual_seed(cfg.runner.seed)
        conditionable = env.character.conditionable_bodies
        self.hands = tuple(conditionable.index(b) for b in ("right_hand", "left_hand") if b in conditionable)
        self.masks, self.far, self.show_skill = sample_goal_masks(env.num_envs, self.num_near, self.body_idx.numel() + 1, cfg.masks, self.gen, self.hands)
        self.height_offset = self._height_offsets(env.num_envs)
        offset, scale = env.character.action_offset_scale
        self.action_offset, self.action_scale = torch.as_tensor(offset), torch.as_tensor(scale)
        self._buffer: list[tuple] = []

    def tensors(self) -> dict[str, Tensor]:
        """The BFM's weights: the moving average when --ema-decay is on (parameters only: the
        normaliser statistics are the live ones, already a running mean)."""
        state = self.bfm.state_dict()
        if self.ema is not None:
            state |= dict(self.ema.module.named_parameters())
        return {f"bfm.{k}": v for k, v in state.items()}

    def extra_state(self) -> dict:
        if self.ema is None:
            return {}
        return {"live_bfm": self.bfm.state_dict(), "ema_steps": int(self.ema.n_averaged)}

    def metadata(self) -> dict:
        """What loading the BFM needs beyond the config: resolved sizes and the skill names."""
        return {
            "bfm": to_jsonable(self.bfm.cfg),
            "skills": self.skills,
            "num_proprio": self.num_proprio,
            "num_entities": self.body_idx.numel() + 1,
            "num_posterior_obs": self.bfm.posterior_norm._mean.shape[-1],
            "num_actions": self.env.num_actions,
        }

    def load_tensors(self, tensors: dict[str, Tensor]) -> None:
        self.bfm.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("bfm.")})
        if self.ema is not None:  # the saved weights (an average or not) start the average
            self.ema.module.load_state_dict(self.bfm.state_dict())
            self.ema.n_averaged.fill_(1)

    def load_extra_state(self, extra: dict) -> None:
        """Put the live weights of an averaged run back under the average loaded from the
        checkpoint; a run saved without an average continues from its checkpoint's weights."""
        if "live_bfm" in extra:
            self.bfm.load_state_dict(extra["live_bfm"])
        if self.ema is not None and "ema_steps" in extra:
            self.ema.n_averaged.fill_(extra["ema_steps"])

    # --- goals -------------------------------------------------------------------------------
    def goals(self) -> Goals:
        """Masked goals of the current state (near frames, far frame, skill)."""
        skill = torch.where(self.show_skill, self.clip_skill[self.env.clip_ids], torch.full_like(self.env.clip_ids, -1))
        return reference_goals(self.env, self.body_idx, self.masks, self.far, skill, self.height_offset)

    def _height_offsets(self, n: int) -> Tensor | None:
        """(n,) offsets of the root height goal (None when root_height_noise is 0: no draw, so runs
        without it keep their random stream)."""
        noise = self.dcfg.masks.root_height_noise
        return torch.randn(n, generator=self.gen) * noise if noise > 0 else None

    def _resample_masks(self, ids: Tensor) -> None:
        if ids.numel():
            m, f, s = sample_goal_masks(ids.numel(), self.num_near, self.masks.shape[2], self.dcfg.masks, self.gen, self.hands)
            self.masks[ids], self.far[ids], self.show_skill[ids] = m, f, s
            if self.height_offset is not None:
                self.height_offset[ids] = self._height_offsets(ids.numel())

    def teacher_labels(self, obs) -> Tensor:
        """The tracker's actions as absolute actions of the student, (N, nu) in [-1, 1]."""
        targets = self.env.residual_targets(self.teacher(obs))
        return ((targets - self.action_offset) / self.action_scale).clamp(-1.0, 1.0).float()

    # --- the two phases ----------------------------------------------------------------------
    def collect(self) -> dict[str, float]:
        env, self._buffer = self.env, []
        obs = env.get_observations()
        done_n, success_n, ret_sum = 0, 0, 0.0
        self.bfm.eval()
        with torch.inference_mode():
            for _ in range(self.dcfg.steps_per_env):
                policy_obs = obs["policy"]
                proprio, post = policy_obs[:, : self.num_proprio], policy_obs[:, self.num_proprio :]
                goals = self.goals()
                labels = self.teacher_labels(obs)
                action = self.bfm.act(proprio.to(self.device), goals.to(self.device)).cpu()
                self._buffer.append((proprio, goals, post, labels))
                obs, _r, done, extras = env.step_targets(env.sim.pd_targets(action))
                ep = extras["episode"]
                done_n += int(ep["done"].sum())
                success_n += int(ep["success"].sum())
                ret_sum += float(ep["return"][ep["done"]].sum())
                change = (torch.rand(env.num_envs, generator=self.gen) > self.dcfg.masks.keep_prob) | done
                self._resample_masks(change.nonzero().squeeze(-1))
        self._record_episodes(done_n, success_n, ret_sum)
        return {"/episodes": done_n}

    def update(self) -> dict[str, float]:
        self.bfm.train()
        cat = lambda tensors: torch.cat(list(tensors)).to(self.device)  # noqa: E731
        proprio, post, labels = cat(b[0] for b in self._buffer), cat(b[2] for b in self._buffer), cat(b[3] for b in self._buffer)
        frames, times = cat(b[1].frames for b in self._buffer), cat(b[1].times for b in self._buffer)
        skill = cat(b[1].skill for b in self._buffer)
        self.bfm.proprio_norm.update(proprio)
        if not self.dcfg.train_prior_only:
            self.bfm.posterior_norm.update(post)
        totals = {"loss": 0.0, "mse": 0.0, "kl": 0.0, "mse_prior": 0.0}
        n, count = proprio.shape[0], 0
        for _ in range(self.dcfg.epochs):
            for idx in torch.randperm(n, device=self.device).chunk(self.dcfg.mini_batches):
                goals = Goals(frames[idx], times[idx], skill[idx])
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.dcfg.precision == "bf16"):
                    loss, parts = distillation_loss(self.bfm, proprio[idx], goals, post[idx], labels[idx], self.dcfg.beta,
                                                      prior_action_weight=self.dcfg.prior_action_weight)
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.bfm.parameters(), 1.0)
                self.optimizer.step()
                if self.ema is not None:
                    self.ema.update_parameters(self.bfm)
                totals["loss"] += loss.item()
                for k, v in parts.items():
                    totals[k] += float(v)
                count += 1
        self._buffer = []
        return {k: v / count for k, v in totals.items()}

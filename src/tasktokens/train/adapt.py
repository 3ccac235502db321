"""`tasktokens adapt`: train a task token (task encoder) by PPO through the frozen BFM.

The checkpoint holds only what is trained (the encoder with its normaliser, and the critic); the
BFM it was trained on is named in the config and checked by character when loaded.
"""

from __future__ import annotations

import dataclasses
import filecmp
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import torch
import tyro
from rsl_rl.models import MLPModel

from tasktokens.algos.ppo import PPOConfig, make_ppo
from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.models.baselines import LatentActor, add_lora, load_saved_state, saved_state, scratch_actor, unfreeze
from tasktokens.models.task_tokens import TaskEncoder, TaskTokenActor
from tasktokens.tasks import get_task, import_task_modules
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.clip_prior import LEGACY_GAIT, GaitOptions
from tasktokens.train.checkpoint import CONFIG, WEIGHTS, CheckpointError, from_jsonable, resolve_saved_path
from tasktokens.train.distill import load_bfm
from tasktokens.train.distributed import DistInfo, finish_distributed, init_distributed
from tasktokens.train.runner import Runner, RunnerConfig

TaskModules = Annotated[tuple[str, ...], tyro.conf.arg(name="task-module"), tyro.conf.UseAppendAction]
"""Modules that register tasks, imported before the task is looked up: `--task-module my_pkg.my_task`,
repeated for several (tasks/__init__.py; docs/new-task.md)."""


@dataclass
class AdaptConfig:
    """Train a task token for one task on the frozen BFM."""

    task: str = "direction"
    """Registered task name (direction, steering, reach, ..., or a plugin's task)."""
    task_modules: TaskModules = ()
    """Modules to import before the task is looked up, for a task outside the package that no
    installed plugin provides (repeat the flag for several). They are saved with the token, so
    evaluating or resuming it imports them again."""
    method: Literal["task_tokens", "fine_tune", "lora", "ppo_scratch", "latent_policy"] = "task_tokens"
    """What is trained: the task token only; token + every BFM weight; token + low-rank adapters
    on the BFM; an MLP policy from scratch (no BFM); or an MLP over the BFM's latent z."""
    action_std: float | None = 0.02
    """Std of the Gaussian actions PPO explores with (None: the BFM's fixed std, exp(-2.9) = 0.055,
    as in the paper). Under 0.055 the shipped BFM falls after 82 steps on average, under 0.02 after
    214 (deterministic: 231; benchmarks/exploration_noise.py), so training episodes rarely reached
    a task's success window. Evaluation is deterministic, so this only changes training. Methods
    through the BFM use it; ppo_scratch learns its own std."""
    latent_penalty: float = 0.01
    """latent_policy: weight of mean ||z - mu_prior||^2 in the loss."""
    fine_tune_bfm_lr: float = 2e-5
    """fine_tune: learning rate of the BFM's own weights (the token encoder and the critic keep
    ppo.learning_rate). The paper's PPO rate (2e-5), not the token's 3e-4: at 3e-4 on every
    weight the fine-tuned BFM left the motion data within 120k samples (naturalness 3.7-4.7 against
    0.30-0.96 for the frozen-BFM methods, docs/results.md of 2026-11-26)."""
    prior: bool = False
    """Add the task's hand-written goals beside the learned token (hybrid control)."""
    prior_skills: bool = False
    """With the prior, also show the BFM's skill token the prior picks (direction, steering: walk
    below 1.9 m/s, jog above; tasks/priors.py GAIT_SKILLS). Off by default: they help the prior
    alone (direction 0.143 -> 0.217) but slow the token's training, direction on BFM v4 at 1.2M
    samples: running success 0.005 with them, 0.230 without (docs/bfm-and-task-tokens.md). Tokens
    saved before this setting existed load with False (saved_adapt_config)."""
    prior_clips: bool = False
    """With the prior (direction, steering, long_jump): commands of 2 m/s and more get full-body goals from
    the MIT jog clip, matched to the character's pose and shown ahead of time to ask for the
    commanded speed (tasks/clip_prior.py), instead of the root goals under which BFM v4 stays below
    about 2.6 m/s; long_jump's run-up gets the run clip's (longer flights). Tokens saved before
    this setting existed load with False."""
    prior_gait_top_rate: float = GaitOptions.top_rate
    """With --prior-clips, direction and steering: the furthest ahead of real time the jog clip's
    goals may be shown (one of tasks/clip_prior.py GAIT_RATES; 2.8 reaches 3.84 m/s straight
    ahead). Tokens saved before this setting existed load with 2.0 (the rate ceiling then)."""
    prior_gait_feedback: float = GaitOptions.speed_feedback
    """With --prior-clips, direction and steering: the gait asks for v* + k (v* - s), s the
    current speed along the command, so a lagging character is pushed harder. Tokens saved before
    this setting existed load with 1.0."""
    samples: int = 2_500_000
    """Environment steps to train for (the default takes about 14 minutes on a 2-core CPU at
    ~3,000 samples/s: the README's main job)."""
    out: Path | None = None
    """Run folder (default: runs/tokens/<run_name>)."""
    resume: bool = False
    """Continue the run in --out from its last checkpoint, through the BFM it was trained with
    (pass that one as --bfm when it is not the default; another one is refused)."""
    bfm: Path = SHIPPED_BFM
    """The frozen BFM (default: the shipped one)."""
    num_envs: int = 512
    """Parallel environments."""
    encoder_hidden: tuple[int, ...] = (256, 256)
    """Task encoder MLP (paper: [256, 256])."""
    episode_steps: int = TaskEnvConfig.episode_steps
    """Steps per training episode (evaluation keeps 300). The paper trains with 1000; 300 here
    by default. long_jump's 20 m run-up takes over 300 steps below about 2 m/s, which the BFM
    does not reach at first, so at 300 its training episodes end before the take-off line and
    never see the landing reward (docs/bfm-and-task-tokens.md)."""
    token_shift_penalty: float = 0.0
    """task_tokens: weight W of a penalty W * mean(((mu_tok - mu_zero) / sigma_prior)^2) on how far
    the token moves the prior's mean from where it is with a zero token (0: none, the paper's
    method). Learned direction tokens that move it more fall more (docs/bfm-and-task-tokens.md)."""
    encoder_zero_init: bool = False
    """Start the encoder's output layer at zero: the untrained token is the zero token, under which
    the frozen BFM stays up as without a token (TaskEncoder)."""
    critic_hidden: tuple[int, ...] = (512, 256)
    """Critic MLP over proprioception and task observation."""
    ppo: PPOConfig = field(default_factory=lambda: PPOConfig(learning_rate=3e-4, schedule="fixed", learning_epochs=2, steps_per_env=16))
    """PPO settings: a fixed learning rate 15x the paper's 2e-5 (reach, 0.49M samples: training
    return 14.2 at 3e-4 against 11.2 at 1e-4) and 2 epochs instead of 6 (the update through the
    transformer dominates CPU time)."""
    seed: int = 0
    torch_threads: int = 2
    sim_threads: int = 2
    """MuJoCo threads stepping the environments (0: every CPU)."""
    sim_backend: Literal["mujoco", "warp"] = "mujoco"
    """Physics engine: mujoco.batch on CPU threads, or MuJoCo Warp on warp_device (a GPU; needs
    the `warp` extra; docs/benchmarks.md has its speed)."""
    warp_device: str = ""
    """Warp device of the "warp" backend, e.g. "cuda:0" ("": the first GPU if any)."""
    device: str = "cpu"
    """Torch device of the policy, the critic and PPO's storage and updates, e.g. "cuda" on a GPU
    machine; the simulation and the task observations stay on the CPU. Checkpoints are saved on
    the CPU either way, so a token trained on a GPU evaluates here unchanged."""
    eval_episodes: int = 64
    """After training, evaluate the policy deterministically (as `tasktokens eval task` does) and
    write eval.json in the run folder; 0 skips it."""
    video: bool = True
    """After training, write video.mp4 (300 steps of the policy) in the run folder."""
    init_motions: tuple[Path, ...] = ()
    """Clips whose reference states start the episodes (default: the task's, the MIT locomotion
    clips). E.g. clips ending in a held pose (`tasktokens motion hold`, scripts/hold_clips.sh) start
    reach standing: BFM v4 balances at rest but falls stopping mid-stride
    (docs/bfm-and-task-tokens.md). The after-training evaluation and video use the same starts."""

    def gait_options(self) -> GaitOptions | None:
        """The clip gait the prior shows (None: --no-prior-clips)."""
        return GaitOptions(self.prior_gait_top_rate, self.prior_gait_feedback) if self.prior_clips else None

    def run_folder(self) -> Path:
        return self.out or Path("runs/tokens") / run_name(self.task, self.method, self.prior)

    def run(self) -> Runner:
        """Train (under torchrun: data-parallel over the ranks, train/distributed.py), then
        evaluate on rank 0."""
        torch.set_num_threads(self.torch_threads)
        torch.manual_seed(self.seed)  # the same initial weights on every rank
        info, device = init_distributed(self.device)
        runner = build_adapt_runner(self, info, device)
        if self.resume:
            runner.resume()
        runner.learn()
        finish_distributed()
        if info.is_main:
            self.evaluate(self.run_folder() / WEIGHTS)
        return runner

    def evaluate(self, weights: Path) -> None:
        """The after-training evaluation and video asked for by eval_episodes and video."""
        from tasktokens.eval.task import PlayTask, TaskEval

        method = method_name(self.method, self.prior)
        folder = weights.parent
        if self.eval_episodes > 0:
            TaskEval(task=self.task, method=method, token=weights, bfm=self.bfm, episodes=self.eval_episodes, json=folder / "eval.json", init_motions=self.init_motions,
                     task_modules=self.task_modules).run()
        if self.video:
            PlayTask(task=self.task, method=method, token=weights, bfm=self.bfm, out=folder / "video.mp4", init_motions=self.init_motions,
                     task_modules=self.task_modules).run()


def method_name(trained: str, prior: bool) -> str:
    """Evaluation method name of what `adapt` trained: a token with the prior is task_tokens_prior."""
    return "task_tokens_prior" if trained == "task_tokens" and prior else trained


def split_method(method: str) -> tuple[str, bool]:
    """(what `adapt` trains, whether the prior is on) of an evaluation method name."""
    return ("task_tokens", True) if method == "task_tokens_prior" else (method, False)


def run_name(task: str, method: str, prior: bool) -> str:
    """Folder name of a trained policy: <task>[_prior][_<method> unless task_tokens]."""
    return task + ("_prior" if prior else "") + ("" if method == "task_tokens" else f"_{method}")


class TokenRunner(Runner):
    """PPO runner that saves what the actor trains (models/baselines.py) and the critic, never a
    frozen BFM."""

    def tensors(self) -> dict[str, torch.Tensor]:
        actor = {f"actor.{k}": v for k, v in saved_state(self.alg.actor).items()}
        critic = {f"critic.{k}": v for k, v in self.alg.critic.state_dict().items()}
        return actor | critic

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        load_saved_state(self.alg.actor, {k[6:]: v for k, v in tensors.items() if k.startswith("actor.")})
        self.alg.critic.load_state_dict({k[7:]: v for k, v in tensors.items() if k.startswith("critic.")})


def _task_token_actor(cfg: AdaptConfig, env, bfm) -> TaskTokenActor:
    obs = env.get_observations()
    entities = len(env.character.conditionable_bodies) + 1
    skills = bfm.cfg.skill_names if cfg.prior_skills else ()
    prior = env.prior_fn(bfm.cfg.near_steps, entities, skills, cfg.gait_options()) if cfg.prior else None
    encoder = TaskEncoder(env.num_task_obs, bfm.cfg.d_model, cfg.encoder_hidden, cfg.encoder_zero_init)
    return TaskTokenActor(obs, bfm, encoder, prior, cfg.action_std, cfg.token_shift_penalty)


def _lora_actor(cfg: AdaptConfig, env, bfm) -> TaskTokenActor:
    actor = _task_token_actor(cfg, env, bfm)
    add_lora(actor.bfm)
    return actor


METHODS = {
    "task_tokens": _task_token_actor,
    "fine_tune": lambda cfg, env, bfm: unfreeze(_task_token_actor(cfg, env, bfm)),
    "lora": _lora_actor,
    "ppo_scratch": lambda cfg, env, bfm: scratch_actor(env.get_observations(), env.num_actions),
    "latent_policy": lambda cfg, env, bfm: LatentActor(env.get_observations(), bfm, cfg.encoder_hidden, cfg.latent_penalty, cfg.action_std),
}
"""Actor builders by method: (config, env, BFM or None) -> actor for rsl_rl's PPO."""


def build_actor(cfg: AdaptConfig, env, bfm):
    return METHODS[cfg.method](cfg, env, bfm)


def needs_bfm(method: str) -> bool:
    return method != "ppo_scratch"


LEGACY_SETTINGS = {"prior_skills": False, "prior_clips": False, "prior_gait_top_rate": LEGACY_GAIT.top_rate,
                   "prior_gait_feedback": LEGACY_GAIT.speed_feedback}
"""AdaptConfig fields added after tokens were saved, with the value that describes how a saved
config without the field was trained (priors showed no skill token before prior_skills existed,
no clip goals before prior_clips, and the jog gait stopped at rate 2.0 with feedback 1 before
prior_gait_top_rate and prior_gait_feedback)."""


def saved_adapt_config(data: dict) -> AdaptConfig:
    """A token's saved config, with LEGACY_SETTINGS for the fields it predates."""
    return from_jsonable(AdaptConfig, LEGACY_SETTINGS | data)


def with_task_modules(cfg: AdaptConfig) -> AdaptConfig:
    """cfg after importing its task modules and, when it resumes a run, those the run saved: the
    config to train with and save, so a run resumed without --task-module still finds its task and
    its token keeps naming the modules."""
    saved = cfg.run_folder() / CONFIG
    own = json.loads(saved.read_text()).get("task_modules", []) if cfg.resume and saved.exists() else []
    modules = tuple(dict.fromkeys([*cfg.task_modules, *own]))  # in order, without repeats
    import_task_modules(modules)
    return dataclasses.replace(cfg, task_modules=modules)


def check_resumed_bfm(cfg: AdaptConfig, bfm_path: Path) -> None:
    """A token only works through the BFM it was trained with, and the default BFM changes when a
    newer one is shipped: refuse to resume a run through a BFM other than its own (another path
    to the same file content is fine), or with other prior goals than it was trained beside."""
    saved = cfg.run_folder() / CONFIG
    if not (cfg.resume and needs_bfm(cfg.method) and saved.exists()):
        return
    data = json.loads(saved.read_text())
    own_skills = saved_adapt_config(data).prior_skills
    if cfg.prior and own_skills != cfg.prior_skills:
        flag = "--prior-skills" if own_skills else "--no-prior-skills"
        raise CheckpointError(f"{cfg.run_folder()}: this run's prior was trained with prior_skills={own_skills}; resume it with {flag}")
    trained = data.get("bfm")
    own = resolve_saved_path(trained) if trained else None
    if own is None or not own.exists() or not filecmp.cmp(own, bfm_path, shallow=False):
        raise CheckpointError(
            f"{cfg.run_folder()}: this run was trained through the BFM {trained}, not {cfg.bfm}; "
            f"resume it with --bfm {trained} (a token only works with the BFM it was trained through)"
        )


def fine_tune_optimizer(actor: TaskTokenActor, critic, cfg: AdaptConfig) -> torch.optim.Optimizer:
    """Adam with two parameter groups, replacing the single-rate one rsl_rl's PPO builds: the
    BFM's weights at cfg.fine_tune_bfm_lr, the encoder and the critic at ppo.learning_rate.
    rsl_rl's adaptive schedule would set every group to one rate, so this needs schedule fixed."""
    if cfg.ppo.schedule != "fixed":
        raise ValueError(f"fine_tune with schedule {cfg.ppo.schedule!r}: the BFM keeps its own learning rate only with --ppo.schedule fixed")
    bfm = [p for p in actor.bfm.parameters() if p.requires_grad]
    ids = {id(p) for p in bfm}
    rest = [p for p in list(actor.parameters()) + list(critic.parameters()) if p.requires_grad and id(p) not in ids]
    return torch.optim.Adam([{"params": bfm, "lr": cfg.fine_tune_bfm_lr}, {"params": rest, "lr": cfg.ppo.learning_rate}])


def build_adapt_runner(cfg: AdaptConfig, dist: DistInfo | None = None, device: str | None = None) -> TokenRunner:
    """dist, device: this process's rank in a torchrun launch and its torch device (default: one
    process on cfg.device); each rank's environments get seed cfg.seed + rank."""
    dist, device = dist or DistInfo(), device or cfg.device
    cfg = with_task_modules(cfg)
    spec = get_task(cfg.task)
    bfm_path = resolve_saved_path(cfg.bfm)
    if needs_bfm(cfg.method) and not bfm_path.exists():
        raise CheckpointError(f"{cfg.bfm}: no BFM checkpoint; distil one with `tasktokens pretrain bfm` or pass --bfm PATH")
    check_resumed_bfm(cfg, bfm_path)
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=cfg.num_envs, num_threads=cfg.sim_threads, seed=cfg.seed + dist.rank, init_motions=cfg.init_motions,
                                                         episode_steps=cfg.episode_steps, sim_backend=cfg.sim_backend,
                                                         warp_device=cfg.warp_device)))
    bfm = load_bfm(bfm_path, env.character)[0] if needs_bfm(cfg.method) else None
    actor = build_actor(cfg, env, bfm)
    obs = env.get_observations()
    groups = {"actor": ["policy", "task"], "critic": ["policy", "task"]}
    critic = MLPModel(obs, groups, "critic", 1, hidden_dims=cfg.critic_hidden, obs_normalization=True)
    alg = make_ppo(actor, critic, obs, env.num_envs, env.num_actions, cfg.ppo, device, dist.multi_gpu_cfg())
    if cfg.method == "fine_tune":
        alg.optimizer = fine_tune_optimizer(actor, critic, cfg)
    run_cfg = RunnerConfig(max_samples=cfg.samples, seed=cfg.seed)
    return TokenRunner(env, alg, run_cfg, cfg.run_folder(), cfg, env.character, dist)

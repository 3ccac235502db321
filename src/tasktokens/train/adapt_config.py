"""The config of `tasktokens adapt` (AdaptConfig) and the run names it implies, with no heavy
imports: `tasktokens adapt --help` parses it without loading torch, MuJoCo or rsl_rl. Training
itself is in train/adapt.py, imported when the command runs (which re-exports these names)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import tyro

from tasktokens.algos.ppo import PPOConfig
from tasktokens.paths import SHIPPED_BFM
from tasktokens.tasks.config import GaitOptions, TaskEnvConfig

if TYPE_CHECKING:
    from tasktokens.train.adapt import TokenRunner

TaskModules = Annotated[tuple[str, ...], tyro.conf.arg(name="task-module"), tyro.conf.UseAppendAction]
"""Modules that register tasks, imported before the task is looked up: `--task-module my_pkg.my_task`,
repeated for several (tasks/__init__.py; docs/new-task.md)."""


@dataclass
class AdaptConfig:
    """Train a task token for one task on the frozen BFM, then evaluate it and render a video."""

    # Field docstrings are the `--help` texts: one line each (tyro adds the default). The reasons
    # and measurements behind the defaults are in the comments above the fields.

    task: str = "direction"
    """Task to train: direction, steering, reach, strike, long_jump, or a plugin's."""
    task_modules: TaskModules = ()
    """Module to import first that registers your own task (repeat for several; saved with the token)."""
    method: Literal["task_tokens", "fine_tune", "lora", "ppo_scratch", "latent_policy"] = "task_tokens"
    """What is trained: the task token alone, or a baseline (token + all BFM weights, token + LoRA, MLP from scratch, MLP over the BFM's latent)."""
    # Under the BFM's own std (0.055) the shipped BFM falls after 82 steps on average, under 0.02
    # after 214 (deterministic: 231; benchmarks/exploration_noise.py), so training episodes rarely
    # reached a task's success window. ppo_scratch learns its own std and ignores this.
    action_std: float | None = 0.02
    """Std of the exploration noise in training (None: the BFM's own, 0.055); evaluation is deterministic."""
    latent_penalty: float = 0.01
    """latent_policy only: weight of the mean ||z - mu_prior||^2 penalty in the loss."""
    # The paper's PPO rate (2e-5), not the token's 3e-4: at 3e-4 on every weight the fine-tuned
    # BFM left the motion data within 120k samples (naturalness 3.7-4.7 against 0.30-0.96 for the
    # frozen-BFM methods, docs/results.md of 2026-11-26).
    fine_tune_bfm_lr: float = 2e-5
    """fine_tune only: learning rate of the BFM's weights (the token and the critic use --ppo.learning-rate)."""
    prior: bool = False
    """Add the task's hand-written goals beside the learned token (hybrid control)."""
    # Skill tokens help the prior alone (direction 0.143 -> 0.217) but slow the token's training:
    # direction on BFM v4 at 1.2M samples, running success 0.005 with them, 0.230 without
    # (docs/bfm-and-task-tokens.md). Tokens saved before this setting existed load with False
    # (LEGACY_SETTINGS).
    prior_skills: bool = False
    """With --prior: also show the BFM the skill token the prior picks (walk below 1.9 m/s, jog above)."""
    # Under the root goals BFM v4 stays below about 2.6 m/s; commands of 2 m/s and more get the jog
    # clip's full-body goals, matched to the character's pose and shown ahead of time to ask for the
    # commanded speed (tasks/clip_prior.py); long_jump's run-up gets the run clip's (longer flights).
    # Tokens saved before this setting existed load with False.
    prior_clips: bool = False
    """With --prior (direction, steering, long_jump): fast commands get full-body goals from the jog (long_jump: run) clip."""
    # One of tasks/clip_prior.py GAIT_RATES. Tokens saved before this setting existed load with 2.0.
    prior_gait_top_rate: float = GaitOptions.top_rate
    """With --prior-clips: how far ahead of real time the jog clip may be shown at most (2.8 asks for up to 3.84 m/s)."""
    # Tokens saved before this setting existed load with 1.0.
    prior_gait_feedback: float = GaitOptions.speed_feedback
    """With --prior-clips: gain k of the speed asked, v* + k (v* - s), s the current speed along the command."""
    samples: int = 2_500_000
    """Environment steps to train for (direction's recipe, 1.5M beside its prior: about 12 min on 2 CPU cores)."""
    out: Path | None = None
    """Run folder (None: runs/tokens/TASK[_prior][_METHOD])."""
    resume: bool = False
    """Continue the run in --out from its last checkpoint (through the BFM it was trained with)."""
    bfm: Path = SHIPPED_BFM
    """The frozen BFM checkpoint."""
    num_envs: int = 512
    """Parallel environments."""
    encoder_hidden: tuple[int, ...] = (256, 256)
    """Hidden layer sizes of the task encoder MLP (paper: 256 256)."""
    # The paper trains with 1000. long_jump's 20 m run-up takes over 300 steps below about 2 m/s,
    # which the BFM does not reach at first, so at 300 its training episodes end before the
    # take-off line and never see the landing reward (docs/bfm-and-task-tokens.md).
    episode_steps: int = TaskEnvConfig.episode_steps
    """Steps per training episode (evaluation always runs 300; the paper trains with 1000)."""
    # W * mean(((mu_tok - mu_zero) / sigma_prior)^2); learned direction tokens that move the prior's
    # mean more fall more (docs/bfm-and-task-tokens.md).
    token_shift_penalty: float = 0.0
    """task_tokens: weight of a penalty on how far the token moves the BFM prior's mean (0: off, as in the paper)."""
    curve_every: int = 0
    """Evaluate the checkpoint every this many samples (0: never) on --curve-episodes episodes: curve.json and TensorBoard eval/."""
    curve_episodes: int = 256
    """Deterministic episodes of each --curve-every evaluation."""
    clone_samples: int = 0
    """task_tokens without --prior: first clone the task's hand-written prior into the token for this many of --samples (0: PPO alone)."""
    encoder_zero_init: bool = False
    """Start the encoder's output layer at zero (the untrained token is the zero token)."""
    # Goal tokens of BFM v4 have RMS 0.09-0.33, the tokens PPO learns about 0.75. At 0.2 the direction
    # token alone learnt less (0.000 against 0.030-0.040 at 0.5-1.5M samples, docs/token-reach.md), so
    # 0 stays the default. Tokens saved before this setting existed load with 0 (their scale was free).
    token_rms: float = 0.0
    """Rescale the task token to this RMS over its entries, the encoder choosing only its direction (0: its scale is free)."""
    critic_learning_rate: float = 0.0
    """Learning rate of the critic (0: --ppo.learning-rate; another needs --ppo.schedule fixed)."""
    # The direction main job with it: 0.467 against 0.482 (docs/task-results.md).
    learning_rate_decay: bool = False
    """Decay every learning rate linearly from its value to 0 at --samples (needs --ppo.schedule fixed)."""
    critic_hidden: tuple[int, ...] = (512, 256)
    """Hidden layer sizes of the critic MLP."""
    # A fixed learning rate 15x the paper's 2e-5 (reach, 0.49M samples: training return 14.2 at
    # 3e-4 against 11.2 at 1e-4) and 2 epochs instead of 6 (the update through the transformer
    # dominates CPU time).
    ppo: PPOConfig = field(default_factory=lambda: PPOConfig(learning_rate=3e-4, schedule="fixed", learning_epochs=2, steps_per_env=16))
    """PPO settings (defaults for task tokens: fixed learning rate 3e-4, 2 epochs)."""
    seed: int = 0
    """Seed of the network initialisation, the exploration noise and the environments."""
    torch_threads: int = 2
    """Torch CPU threads of the network updates."""
    # The frozen transformer's forward is most of a rollout: the main job's rollout took 1.45 s per
    # 8,192 samples with one thread, 1.10 s with two (docs/benchmarks.md).
    rollout_threads: int = 2
    """Torch CPU threads of the policy's forward while collecting rollouts (between physics steps)."""
    sim_threads: int = 2
    """MuJoCo threads stepping the environments (0: every CPU)."""
    sim_backend: Literal["mujoco", "warp"] = "mujoco"
    """Physics engine: mujoco (CPU threads) or warp (MuJoCo Warp on a GPU; needs the warp extra)."""
    warp_device: str = ""
    """Warp device of --sim-backend warp, e.g. cuda:0 (empty: the first GPU)."""
    # Checkpoints are saved on the CPU either way, so a token trained on a GPU evaluates anywhere.
    device: str = "cpu"
    """Torch device of the networks and PPO, e.g. cuda (the simulation stays on the CPU)."""
    # 64 episodes judge about 120 direction segments: the same token scored 0.359 on them and 0.435
    # on 256 (docs/task-results.md); 256 take about 30 s more.
    eval_episodes: int = 256
    """Episodes of the deterministic evaluation after training, written to eval.json (0: skip)."""
    video: bool = True
    """After training, write video.mp4 (300 steps, with the task's markers)."""
    # E.g. clips ending in a held pose (`tasktokens motion hold`, scripts/hold_clips.sh) start reach
    # standing: BFM v4 balances at rest but falls stopping mid-stride (docs/bfm-and-task-tokens.md).
    init_motions: tuple[Path, ...] = ()
    """Clips whose states start the episodes of training, evaluation and video (none: the task's)."""

    @classmethod
    def cli_default(cls, args: list[str]) -> AdaptConfig:
        """The defaults the command line is parsed against (cli/main.py): the recipe of the task
        named by --task for a token beside its prior (TASK_RECIPES), AdaptConfig's own for the
        token alone (--no-prior, or resuming a run trained without the prior) or another --method;
        with --resume, the saved run's RESUMED_FIELDS."""
        task = _flag_value(args, "--task") or cls.task
        method = _flag_value(args, "--method") or cls.method
        common = cls(task=task, method=method)
        default = TASK_RECIPES[task].apply(common) if method == "task_tokens" and task in TASK_RECIPES else common
        out = _flag_value(args, "--out")
        saved = saved_run_fields(Path(out) if out else default.run_folder(), task, method) if "--resume" in args else {}
        if "--no-prior" in args or (saved.get("prior") is False and "--prior" not in args):
            default = common
        return dataclasses.replace(default, **saved)

    def gait_options(self) -> GaitOptions | None:
        """The clip gait the prior shows (None: --no-prior-clips)."""
        return GaitOptions(self.prior_gait_top_rate, self.prior_gait_feedback) if self.prior_clips else None

    def run_folder(self) -> Path:
        return self.out or Path("runs/tokens") / run_name(self.task, self.method, self.prior)

    def run(self) -> TokenRunner:
        """Train (under torchrun: data-parallel over the ranks, train/distributed.py), then
        evaluate on rank 0 and print a one-line verdict (train/adapt.py train_token)."""
        from tasktokens.train.adapt import train_token

        return train_token(self)


@dataclass(frozen=True)
class AdaptRecipe:
    """Defaults of `tasktokens adapt --task T` that differ from AdaptConfig's for one task."""

    prior: bool = False
    """Train the token beside the task's hand-written goals."""
    prior_clips: bool = False
    """The prior shows the clip gait to fast commands."""
    samples: int | None = None
    """Environment steps (None: AdaptConfig's)."""
    learning_rate: float | None = None
    """PPO learning rate (None: AdaptConfig's)."""
    critic_learning_rate: float = 0.0
    """The critic's learning rate (0: the PPO rate)."""

    def apply(self, cfg: AdaptConfig) -> AdaptConfig:
        ppo = cfg.ppo if self.learning_rate is None else dataclasses.replace(cfg.ppo, learning_rate=self.learning_rate)
        samples = cfg.samples if self.samples is None else self.samples
        return dataclasses.replace(cfg, prior=self.prior, prior_clips=self.prior_clips, samples=samples, ppo=ppo,
                                   critic_learning_rate=self.critic_learning_rate)


# direction is the main job (`tasktokens adapt` with no options), which must show the method in
# about 15 minutes on 2 CPU cores. On BFM v4, 256 episodes after 1.5M samples: the token beside the
# clip gait prior 0.482 (seed 1: 0.453) at token rate 2e-4 with the critic at 1e-3; 0.442 / 0.450
# at token rate 1e-4 / 3e-4 with the critic at 1e-3; 0.435 / 0.287 at 1e-4 / 2e-4 with one rate for
# both; the token alone 0.11-0.125 after 2.5M. Without value clipping 0.369 (1.05M), with the rates
# decaying 0.467, with one PPO epoch 0.482-0.493 at 2.2-2.5M in the same time
# (docs/task-results.md#the-main-jobs-15-minutes-what-comes-closest-to-05).
TASK_RECIPES: dict[str, AdaptRecipe] = {
    "direction": AdaptRecipe(prior=True, prior_clips=True, samples=1_500_000, learning_rate=2e-4, critic_learning_rate=1e-3),
}
"""Per-task defaults of `tasktokens adapt`; other tasks (and plugins), and any task with
--no-prior, get AdaptConfig's."""

RESUMED_FIELDS = ("prior", "prior_skills", "prior_clips", "prior_gait_top_rate", "prior_gait_feedback", "critic_learning_rate")
"""What a token was trained beside, and its optimizer's layout: `--resume` defaults to the run's
own (flags still override)."""

LEGACY_SETTINGS = {"prior_skills": False, "prior_clips": False, "prior_gait_top_rate": 2.0, "prior_gait_feedback": 1.0,
                   "critic_learning_rate": 0.0, "learning_rate_decay": False}
"""AdaptConfig fields added after tokens were saved, with the value that describes how a saved
config without the field was trained (priors showed no skill token before prior_skills existed,
no clip goals before prior_clips, and the jog gait stopped at rate 2.0 with feedback 1,
tasks/clip_prior.py LEGACY_GAIT, before prior_gait_top_rate and prior_gait_feedback; the critic
shared the PPO rate before critic_learning_rate; rates did not decay before learning_rate_decay)."""

LEGACY_PPO_SETTINGS = {"clipped_value_loss": True}
"""The same for PPOConfig's fields (the value loss was always clipped before clipped_value_loss)."""


def with_legacy_settings(saved: dict) -> dict:
    """A saved AdaptConfig (JSON) with LEGACY_SETTINGS and LEGACY_PPO_SETTINGS filled in for the
    fields it predates."""
    out = LEGACY_SETTINGS | saved
    if isinstance(out.get("ppo"), dict):
        out["ppo"] = LEGACY_PPO_SETTINGS | out["ppo"]
    return out


def saved_run_fields(folder: Path, task: str, method: str) -> dict:
    """The RESUMED_FIELDS saved in folder/config.json (LEGACY_SETTINGS for those it predates), if
    that run is of this task and method, else none: a resumed run goes on beside the goals it was
    trained with, and with its optimizer's rate groups, whatever the task's defaults are now."""
    path = folder / "config.json"
    if not path.exists():
        return {}
    saved = with_legacy_settings(json.loads(path.read_text()))
    if saved.get("task") != task or saved.get("method", "task_tokens") != method:
        return {}
    return {name: saved[name] for name in RESUMED_FIELDS if name in saved}


def _flag_value(args: list[str], flag: str) -> str | None:
    """The value of `flag V` or `flag=V` in args (the last one wins, as in tyro), else None."""
    value = None
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(flag + "="):
            value = arg[len(flag) + 1 :]
    return value


def method_name(trained: str, prior: bool) -> str:
    """Evaluation method name of what `adapt` trained: a token with the prior is task_tokens_prior."""
    return "task_tokens_prior" if trained == "task_tokens" and prior else trained


def split_method(method: str) -> tuple[str, bool]:
    """(what `adapt` trains, whether the prior is on) of an evaluation method name."""
    return ("task_tokens", True) if method == "task_tokens_prior" else (method, False)


def run_name(task: str, method: str, prior: bool) -> str:
    """Folder name of a trained policy: <task>[_prior][_<method> unless task_tokens]."""
    return task + ("_prior" if prior else "") + ("" if method == "task_tokens" else f"_{method}")

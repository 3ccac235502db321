"""`tasktokens adapt`: train a task token (task encoder) by PPO through the frozen BFM.

The checkpoint holds only what is trained (the encoder with its normaliser, and the critic); the
BFM it was trained on is named in the config and checked by character when loaded.
"""

from __future__ import annotations

import dataclasses
import filecmp
import functools
import json
from pathlib import Path

import torch
from rsl_rl.models import MLPModel

from tasktokens.algos.ppo import make_ppo, parameters_to_train
from tasktokens.eval.task import PlayTask, TaskEval
from tasktokens.models.baselines import load_saved_state, saved_state
from tasktokens.models.loading import load_bfm
from tasktokens.models.policies import build_actor, needs_bfm, saved_adapt_config, task_prior
from tasktokens.models.task_tokens import TaskTokenActor, actor_groups
from tasktokens.tasks import get_task, import_task_modules
from tasktokens.tasks.base import TaskEnvConfig

# the config and the run names live in a light module (for a fast `--help`); imported from here too
from tasktokens.train.adapt_config import AdaptConfig, TaskModules, method_name, run_name, split_method  # noqa: F401
from tasktokens.train.checkpoint import CONFIG, WEIGHTS, CheckpointError, resolve_saved_path
from tasktokens.train.curve import SuccessCurve
from tasktokens.train.distributed import DistInfo, finish_distributed, init_distributed
from tasktokens.train.runner import Runner, RunnerConfig
from tasktokens.train.token_clone import clone_prior_into_token


def train_token(cfg: AdaptConfig) -> TokenRunner:
    """`tasktokens adapt`: train (under torchrun: data-parallel over the ranks,
    train/distributed.py), then on rank 0 evaluate, render the video and print a one-line verdict."""
    torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    info, device = init_distributed(cfg.device)
    runner = build_adapt_runner(cfg, info, device)
    if cfg.resume:
        runner.resume()
    elif cfg.clone_samples > 0:
        clone_first(cfg, runner)
    runner.learn()
    finish_distributed()
    if info.is_main:
        weights = cfg.run_folder() / WEIGHTS
        if cfg.eval_episodes > 0 or cfg.video:
            print(f"training done; {_after_training(cfg)} ...", flush=True)
        report = evaluate_trained(cfg, weights)
        print(verdict(cfg, runner, report), flush=True)
    return runner


def clone_first(cfg: AdaptConfig, runner: TokenRunner) -> None:
    """--clone-samples: the token starts at the task's prior (train/token_clone.py); the cloned
    samples count toward --samples."""
    if cfg.method != "task_tokens" or cfg.prior:
        raise ValueError(f"--clone-samples clones the task's prior into the token alone: use it with --method task_tokens and no --prior "
                         f"(got --method {cfg.method}{' --prior' if cfg.prior else ''})")
    actor, env = runner.alg.actor, runner.env
    stats = clone_prior_into_token(env, actor, task_prior(cfg, env, actor.bfm), cfg.clone_samples, cfg.ppo.steps_per_env)
    runner.samples += stats.samples
    print(f"cloned the {cfg.task} prior into the token: {stats.samples:,} samples, action MSE {stats.first_mse:.4f} -> {stats.last_mse:.4f}",
          flush=True)


def evaluate_trained(cfg: AdaptConfig, weights: Path) -> dict | None:
    """The after-training evaluation and video asked for by cfg.eval_episodes and cfg.video;
    returns the evaluation's report (None when eval_episodes is 0). Prints nothing."""
    method = method_name(cfg.method, cfg.prior)
    folder = weights.parent
    report = None
    if cfg.eval_episodes > 0:
        report = token_eval(cfg, weights, cfg.eval_episodes, json=folder / "eval.json").evaluate()
    if cfg.video:
        PlayTask(task=cfg.task, method=method, token=weights, bfm=cfg.bfm, out=folder / "video.mp4", init_motions=cfg.init_motions,
                 task_modules=cfg.task_modules).render()
    return report


def token_eval(cfg: AdaptConfig, weights: Path, episodes: int, **options) -> TaskEval:
    """The evaluation of a token this run trained (its task, method, BFM and starting clips)."""
    return TaskEval(task=cfg.task, method=method_name(cfg.method, cfg.prior), token=weights, bfm=cfg.bfm, episodes=episodes,
                    init_motions=cfg.init_motions, task_modules=cfg.task_modules, **options)


def _after_training(cfg: AdaptConfig) -> str:
    steps = [f"evaluating {cfg.eval_episodes} episodes"] if cfg.eval_episodes > 0 else []
    return " and ".join(steps + (["rendering the video"] if cfg.video else []))


def verdict(cfg: AdaptConfig, runner: Runner, report: dict | None) -> str:
    """One line: what was trained, how well it did (per command segment and per episode), how long
    it took and what was written, e.g. `direction task_tokens: success 0.125 per command segment
    (312 segments of 64 episodes; whole episodes 0.047) after 2,500,000 samples in 14.8 min; wrote
    runs/tokens/direction/{checkpoint.safetensors,eval.json,video.mp4}`."""
    name = f"{cfg.task} {method_name(cfg.method, cfg.prior)}"
    if report is None:
        result = "not evaluated (--eval-episodes 0)"
    else:
        result = (f"success {report['success_rate']:.3f} per command segment ({report['segments']} segments of {report['episodes']} "
                  f"episodes; whole episodes {report['episode_success_rate']:.3f})")
    stopped = "" if runner.samples >= cfg.samples else f" of {cfg.samples:,} (stopped early)"
    files = [WEIGHTS] + (["eval.json"] if report is not None else []) + (["video.mp4"] if cfg.video else [])
    return (f"{name}: {result} after {runner.samples:,} samples{stopped} in {runner.wall_seconds / 60:.1f} min; "
            f"wrote {cfg.run_folder()}/{{{','.join(files)}}}")


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

    @functools.cached_property
    def base_learning_rates(self) -> list[float]:
        """Each optimizer group's rate as configured (after a resume: this command's), which
        --learning-rate-decay scales."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def update(self) -> dict[str, float]:
        cfg: AdaptConfig = self.full_config
        if cfg.learning_rate_decay:
            scale = decayed_rate_scale(self.samples, cfg.samples)
            for group, lr in zip(self.optimizer.param_groups, self.base_learning_rates, strict=True):
                group["lr"] = lr * scale
            self.alg.learning_rate = self.optimizer.param_groups[0]["lr"]  # what the log shows
        return super().update()

    @functools.cached_property
    def curve(self) -> SuccessCurve:
        """The run's success curve (--curve-every), read from its folder once (a resumed run's points kept)."""
        cfg: AdaptConfig = self.full_config
        return SuccessCurve.load(self.out, cfg.curve_every, cfg.curve_episodes)

    def after_iteration(self, writer) -> None:
        """--curve-every: save, evaluate the checkpoint (train/curve.py) and log the point."""
        cfg: AdaptConfig = self.full_config
        if not self.curve.due(self.samples):
            return
        self.save()
        # Building the evaluated policy initialises networks from the global RNG before loading the
        # checkpoint: without fork_rng a run's training noise would depend on --curve-every.
        with torch.random.fork_rng(devices=[]):
            report = token_eval(cfg, self.out / WEIGHTS, cfg.curve_episodes, seed=cfg.seed + 1).evaluate()
        point = self.curve.add(self.samples, report, self.wall_seconds)
        writer.add_scalar("eval/success_rate", point.success_rate, self.samples)
        writer.add_scalar("eval/episode_success_rate", point.episode_success_rate, self.samples)
        writer.add_scalar("eval/mean_episode_steps", point.mean_episode_steps, self.samples)
        print(f"curve: {point.samples:,} samples, success {point.success_rate:.3f} per segment on {cfg.curve_episodes} episodes", flush=True)


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
    own_prior = bool(data.get("prior", False))
    if own_prior != cfg.prior:  # the token learnt beside these goals (or without any)
        flag = "--prior" if own_prior else "--no-prior"
        raise CheckpointError(f"{cfg.run_folder()}: this run's token was trained with prior={own_prior}; resume it with {flag}")
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


def decayed_rate_scale(samples: int, total: int) -> float:
    """--learning-rate-decay: the factor on the learning rates of the update after `samples` of
    `total` samples: 1 at the start, falling linearly to 0 at `total` (never below 0)."""
    return max(0.0, 1.0 - samples / total)


def require_fixed_schedule(cfg: AdaptConfig, what: str) -> None:
    """An optimizer with a rate per parameter group (replacing the single-rate one rsl_rl's PPO
    builds) keeps its rates only under the fixed schedule: the adaptive one sets every group to one."""
    if cfg.ppo.schedule != "fixed":
        raise ValueError(f"{what} with schedule {cfg.ppo.schedule!r}: its parameter groups keep their own learning rates "
                         f"only with --ppo.schedule fixed")


def fine_tune_optimizer(actor: TaskTokenActor, critic, cfg: AdaptConfig) -> torch.optim.Optimizer:
    """Adam with two parameter groups: the BFM's weights at cfg.fine_tune_bfm_lr, the encoder and
    the critic at ppo.learning_rate (needs schedule fixed)."""
    require_fixed_schedule(cfg, "fine_tune")
    bfm = [p for p in actor.bfm.parameters() if p.requires_grad]
    ids = {id(p) for p in bfm}
    rest = [p for p in list(actor.parameters()) + list(critic.parameters()) if p.requires_grad and id(p) not in ids]
    return torch.optim.Adam([{"params": bfm, "lr": cfg.fine_tune_bfm_lr}, {"params": rest, "lr": cfg.ppo.learning_rate}])


def critic_rate_optimizer(actor, critic, cfg: AdaptConfig) -> torch.optim.Optimizer:
    """Adam with the actor's trainable parameters at ppo.learning_rate and the critic's at
    cfg.critic_learning_rate, in rsl_rl's order (actor, then critic; needs schedule fixed)."""
    require_fixed_schedule(cfg, "--critic-learning-rate")
    groups = [parameters_to_train(actor), parameters_to_train(critic)]
    return torch.optim.Adam([{"params": groups[0], "lr": cfg.ppo.learning_rate}, {"params": groups[1], "lr": cfg.critic_learning_rate}])


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
    seen = actor_groups(obs)  # the critic sees the prior's own input too
    critic = MLPModel(obs, {"actor": seen, "critic": seen}, "critic", 1, hidden_dims=cfg.critic_hidden, obs_normalization=True)
    alg = make_ppo(actor, critic, obs, env.num_envs, env.num_actions, cfg.ppo, device, dist.multi_gpu_cfg())
    if cfg.learning_rate_decay:
        require_fixed_schedule(cfg, "--learning-rate-decay")
    if cfg.method == "fine_tune":
        alg.optimizer = fine_tune_optimizer(actor, critic, cfg)
    elif cfg.critic_learning_rate > 0:
        alg.optimizer = critic_rate_optimizer(actor, critic, cfg)
    run_cfg = RunnerConfig(max_samples=cfg.samples, seed=cfg.seed)
    runner = TokenRunner(env, alg, run_cfg, cfg.run_folder(), cfg, env.character, dist)
    runner.rollout_threads = cfg.rollout_threads
    if getattr(actor, "encoder", None) is not None:  # the task encoder: is the gradient through the frozen BFM alive?
        runner.watch_gradients(actor.encoder, "grad_norm/encoder")
    return runner

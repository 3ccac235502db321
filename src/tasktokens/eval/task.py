"""`tasktokens eval task` and `tasktokens play --task`: a task token (and/or the task's prior) on
the frozen BFM, deterministic actions, 300-step episodes with fall termination.

Success rate: the task's segment rule (tasks/rewards.py SegmentSuccess) over every command
segment of the evaluated episodes; a fall fails its segment.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from rich.console import Console

from tasktokens.character import get_character
from tasktokens.eval.naturalness import NaturalnessScorer
from tasktokens.eval.report import write_json
from tasktokens.models.baselines import load_saved_state
from tasktokens.models.loading import load_bfm
from tasktokens.models.policies import build_actor, needs_bfm, saved_adapt_config
from tasktokens.models.task_tokens import TaskTokenActor, trainable_parameters
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths
from tasktokens.paths import SHIPPED_BFM
from tasktokens.tasks import TaskSpec, get_task, import_task_modules
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.clip_prior import GaitOptions
from tasktokens.train.adapt_config import TaskModules, run_name, split_method
from tasktokens.train.checkpoint import REPO_ROOT, CheckpointError, load_weights, resolve_saved_path, saved_metadata
from tasktokens.viz.recording import RecordingWriter

console = Console(stderr=True)
SHIPPED_TOKENS = REPO_ROOT / "checkpoints" / "tokens"
Method = Literal["task_tokens", "task_tokens_prior", "prior_only", "fine_tune", "lora", "ppo_scratch", "latent_policy"]


def shipped_token(task: str, method: str, prior: bool) -> Path:
    return SHIPPED_TOKENS / run_name(task, method, prior) / "checkpoint.safetensors"


def policy_path(task: str, method: Method, token: Path | None) -> Path:
    """The checkpoint of a trained method's policy: token, else the shipped one (a clear error
    naming the command that trains it when none is shipped)."""
    trained, prior = split_method(method)
    path = token or shipped_token(task, trained, prior)
    if token is None and not path.exists():
        flags = f"--task {task}" + (" --prior" if prior else "") + ("" if trained == "task_tokens" else f" --method {trained}")
        raise CheckpointError(f"{path}: no shipped {method} policy for {task}; train one with `tasktokens adapt {flags}` "
                              f"and pass its checkpoint with --token")
    return path


def saved_task_modules(token: Path | None) -> tuple[str, ...]:
    """The task modules a token was trained with (its saved AdaptConfig.task_modules; none when
    there is no readable token: load_policy reports that)."""
    if token is None or not Path(token).is_file():
        return ()
    try:
        return tuple(saved_metadata(token).get("config", {}).get("task_modules", ()))
    except Exception:  # noqa: BLE001 - an unreadable file gets load_weights' clear error later
        return ()


def task_spec(task: str, task_modules: tuple[str, ...] = (), token: Path | None = None) -> TaskSpec:
    """The task, after importing task_modules and those the token was trained with, so that a
    token of a task from a --task-module evaluates without naming the module again."""
    import_task_modules(dict.fromkeys([*task_modules, *saved_task_modules(token)]))
    return get_task(task)


def load_policy(task: str, method: Method, token: Path | None, bfm_path: Path, env, clip_gait: GaitOptions | None = None) -> tuple[torch.nn.Module, int]:
    """The policy of a method on an environment, and the samples it was trained for. clip_gait:
    prior_only's clip gait (None: the root goals alone); a token trained beside the clip gait
    keeps the gait it was trained with unless clip_gait replaces it (a probe: benchmarks/)."""
    if method == "prior_only":
        bfm, _ = load_bfm(bfm_path, env.character)
        prior_fn = env.prior_fn(bfm.cfg.near_steps, len(env.character.conditionable_bodies) + 1, bfm.cfg.skill_names, clip_gait)
        return TaskTokenActor(env.get_observations(), bfm, None, prior_fn).eval(), 0
    trained, prior = split_method(method)
    path = policy_path(task, method, token)
    tensors, meta = load_weights(path, env.character)
    cfg = saved_adapt_config(meta["config"])
    if cfg.task != task:
        raise ValueError(f"{path}: token trained for task {cfg.task!r}, not {task!r}")
    if cfg.method != trained:
        raise ValueError(f"{path}: trained with method {cfg.method!r}, not {trained!r}; pass --method {cfg.method}")
    # the saved config names the BFM relative to the repository: valid from any working directory
    bfm = load_bfm(resolve_saved_path(cfg.bfm), env.character)[0] if needs_bfm(cfg.method) else None
    if clip_gait is not None and cfg.prior_clips:
        cfg = dataclasses.replace(cfg, prior_gait_top_rate=clip_gait.top_rate, prior_gait_feedback=clip_gait.speed_feedback)
    actor = build_actor(dataclasses.replace(cfg, prior=prior or cfg.prior), env, bfm)
    load_saved_state(actor, {k[6:]: v for k, v in tensors.items() if k.startswith("actor.")})
    return actor.eval(), int(meta.get("samples", 0))


def run_first_episodes(env, actor, steps: int, observe=None, running: torch.Tensor | None = None) -> torch.Tensor:
    """Step every environment through its first episode, to its time-out or a fall, with
    deterministic actions; later episodes are not counted in env.segments. observe(running (N,)
    bool) is called before each step. running (N,) bool, updated in place: the environments
    whose episode counts (default all; eval/switch.py passes those still up). Returns the
    length of each first episode in steps, (N,)."""
    running = torch.ones(env.num_envs, dtype=torch.bool) if running is None else running
    env.segments.counting &= running
    length = torch.zeros(env.num_envs, dtype=torch.long)
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(steps):
            if observe is not None:
                observe(running)
            obs, _r, done, _e = env.step(actor(obs))
            length += running.long()
            running &= ~done
            env.segments.counting &= running
            if not running.any():
                break
    return length


def speed_window(env) -> dict:
    """{"speed_window_steps": steps} for a task whose success reads the windowed root velocity
    (TaskEnv.reads_speed_window: direction, steering), else nothing."""
    return {"speed_window_steps": env.cfg.speed_window_steps} if env.reads_speed_window else {}


@functools.lru_cache(maxsize=2)
def _scorer(character_name: str) -> NaturalnessScorer:
    char = get_character(character_name)
    return NaturalnessScorer(MotionLib.from_paths(default_motion_paths(), char))


def naturalness_of(poses: list[tuple[torch.Tensor, torch.Tensor]], alive: list[torch.Tensor], character) -> float:
    """Mean naturalness score over environments of their first episodes (steps while alive)."""
    pos = torch.stack([p for p, _ in poses])  # (T, N, B, 3)
    quat = torch.stack([q for _, q in poses])
    lengths = torch.stack(alive).sum(0)
    scorer = _scorer(character.name)
    scores = [scorer.score(pos[: int(n), i : i + 1], quat[: int(n), i : i + 1]) for i, n in enumerate(lengths) if n > scorer.window + 1]
    return float(sum(scores) / len(scores)) if scores else float("nan")


@dataclass
class TaskEval:
    """Success rate of a method on a task."""

    task: str = "direction"
    """Registered task name (built-in, a plugin's, or one a --task-module registers)."""
    task_modules: TaskModules = ()
    """Modules to import before the task is looked up (repeat the flag for several); a token's own
    (saved with it by `adapt --task-module`) are imported too."""
    method: Method = "task_tokens"
    """task_tokens, task_tokens_prior (token + hand-written goals), prior_only (no training), or a
    baseline: fine_tune, lora, ppo_scratch, latent_policy."""
    token: Path | None = None
    """Token checkpoint (default: the shipped one of the task and method)."""
    bfm: Path = SHIPPED_BFM
    """BFM for prior_only (tokens name their own BFM)."""
    episodes: int = 64
    """Episodes (run in parallel)."""
    episode_steps: int = 300
    json: Path | None = None
    """Write the report here: {"task", "method", "success_rate" (per command segment), "segments", "episode_success_rate", "episodes", ...}."""
    seed: int = 1
    gravity_scale: float = 1.0
    """Gravity multiplier (out of distribution)."""
    friction_scale: float = 1.0
    """Ground and body friction multiplier (out of distribution)."""
    mass_scale: float = 1.0
    """Body mass multiplier (out of distribution)."""
    speed_window_steps: int = TaskEnvConfig.speed_window_steps
    """Steps over which direction and steering average the root velocity for success (1: the
    paper's per-step rule; TaskEnvConfig.speed_window_steps); reported for those tasks only."""
    record: Path | None = None
    """Write the first episode of environment 0 as a viewer recording (JSON) here."""
    naturalness: bool = False
    """Also score the motion's naturalness (eval/naturalness.py; lower is more natural)."""
    init_motions: tuple[Path, ...] = ()
    """Clips whose reference states start the episodes (default: the task's, the MIT locomotion
    clips); the report lists them when given."""
    prior_clips: bool = False
    """prior_only: with the clip gait (tasks/clip_prior.py; direction, steering, long_jump). Trained policies
    use the prior they were trained beside."""
    prior_gait_top_rate: float = GaitOptions.top_rate
    """prior_only with --prior-clips: the jog gait's fastest rate (AdaptConfig.prior_gait_top_rate;
    2.0 gives the gait of tokens trained before 2026-12-03)."""
    prior_gait_feedback: float = GaitOptions.speed_feedback
    """prior_only with --prior-clips: the jog gait's speed feedback (AdaptConfig.prior_gait_feedback;
    1.0 for tokens trained before 2026-12-03)."""

    def gait_options(self) -> GaitOptions | None:
        return GaitOptions(self.prior_gait_top_rate, self.prior_gait_feedback) if self.prior_clips else None

    def run(self) -> dict:
        report = self.evaluate()
        console.print(report)
        return report

    def evaluate(self) -> dict:
        """The report (written to json when given), without printing it. success_rate is over
        command segments ("segments" of them); episode_success_rate is the share of episodes
        whose every judged segment succeeded."""
        spec = task_spec(self.task, self.task_modules, self.token)
        env_cfg = TaskEnvConfig(num_envs=self.episodes, episode_steps=self.episode_steps, seed=self.seed, gravity_scale=self.gravity_scale,
                                friction_scale=self.friction_scale, mass_scale=self.mass_scale, speed_window_steps=self.speed_window_steps,
                                init_motions=self.init_motions)
        env = spec.env_cls(spec.config_cls(env=env_cfg))
        actor, samples = load_policy(self.task, self.method, self.token, self.bfm, env, self.gait_options())
        recorder = RecordingWriter(env.sim.model, 1.0 / env.dt, f"{self.task} {self.method}") if self.record else None
        poses, alive = [], []

        def observe(running: torch.Tensor) -> None:
            if recorder is not None and running[0]:
                recorder.add_data(env.sim.data_of(0), env.markers())
            if self.naturalness:
                poses.append((env.sim.body_pos.float().clone(), env.sim.body_quat.float().clone()))
                alive.append(running.clone())

        length = run_first_episodes(env, actor, self.episode_steps, observe)
        if recorder is not None:
            recorder.save(self.record)
        extra = {"naturalness": naturalness_of(poses, alive, env.character)} if self.naturalness else {}
        if self.init_motions:
            extra["init_motions"] = [str(p) for p in self.init_motions]
        if self.prior_clips:
            extra["prior_clips"] = True
            extra["prior_gait"] = dataclasses.asdict(self.gait_options())
        seg = env.segments
        report = {"task": self.task, "method": self.method, "success_rate": seg.rate, "success_unit": "command segment",
                  "segments": seg.finished, "segments_succeeded": seg.succeeded, "episode_success_rate": seg.episode_rate, "episodes": self.episodes,
                  "trainable_params": trainable_parameters(actor), "samples_trained": samples, "mean_episode_steps": length.float().mean().item(),
                  "physics": {"gravity_scale": self.gravity_scale, "friction_scale": self.friction_scale, "mass_scale": self.mass_scale}}
        report |= speed_window(env) | extra
        write_json(self.json, report)
        return report


OOD_KINDS = ("gravity", "friction", "mass")
OOD_SETTERS = {"gravity": "set_gravity_scale", "friction": "set_friction_scale", "mass": "set_mass_scale"}
"""The simulator's per-environment scale setter (sim/common.py) of each swept quantity."""


@dataclass
class TaskSweep:
    """Out-of-distribution success of a method on a task: one batched evaluation in which each
    group of `episodes` environments runs under its own gravity, friction or body-mass scale
    (the same numbers as one `tasktokens eval task --gravity-scale V` per value, at the cost of one)."""

    task: str = "direction"
    task_modules: TaskModules = ()
    """Modules to import before the task is looked up (as in `eval task`)."""
    method: Method = "task_tokens"
    token: Path | None = None
    """Token checkpoint (default: the shipped one of the task and method)."""
    bfm: Path = SHIPPED_BFM
    """BFM for prior_only (tokens name their own BFM)."""
    kind: Literal["gravity", "friction", "mass"] = "gravity"
    """Which physics scale is swept."""
    values: tuple[float, ...] = (0.25, 0.4, 0.6, 0.75, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)
    """Scales (gravity: the paper's sweep)."""
    episodes: int = 16
    """Episodes per value."""
    episode_steps: int = 300
    seed: int = 1
    json: Path | None = None
    """Write {"task", "method", "kind", "success_rate": {value: rate}, "episodes", ...} here."""

    def run(self) -> dict:
        if not self.values or self.episodes < 1:
            raise ValueError(f"TaskSweep needs values and episodes >= 1; got values={self.values}, episodes={self.episodes}")
        spec = task_spec(self.task, self.task_modules, self.token)
        n = len(self.values) * self.episodes
        env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=n, episode_steps=self.episode_steps, seed=self.seed)))
        actor, samples = load_policy(self.task, self.method, self.token, self.bfm, env)
        # set after the reset, which only places the bodies: the physics changes from the first step
        getattr(env.sim, OOD_SETTERS[self.kind])(torch.tensor(self.values, dtype=torch.float64).repeat_interleave(self.episodes))
        length = run_first_episodes(env, actor, self.episode_steps).float()
        group = torch.arange(n) // self.episodes
        rates = {str(v): env.segments.rate_of(group == i) for i, v in enumerate(self.values)}
        steps = {str(v): length[group == i].mean().item() for i, v in enumerate(self.values)}
        report = {"task": self.task, "method": self.method, "kind": self.kind, "success_rate": rates, "success_unit": "command segment",
                  "mean_episode_steps": steps,
                  "episodes": self.episodes, "trainable_params": trainable_parameters(actor), "samples_trained": samples} | speed_window(env)
        console.print(report)
        write_json(self.json, report)
        return report


@dataclass
class PlayTask:
    """Video of a method on a task (one environment, deterministic actions)."""

    task: str = "direction"
    task_modules: TaskModules = ()
    """Modules to import before the task is looked up (as in `eval task`)."""
    out: Path = Path("videos/task.mp4")
    """Output .mp4 or .gif."""
    method: Method = "task_tokens"
    token: Path | None = None
    """Token checkpoint (default: the shipped one)."""
    bfm: Path = SHIPPED_BFM
    steps: int = 300
    seed: int = 1
    record: Path | None = None
    """Also write a viewer recording (JSON) here (see `tasktokens view`)."""
    init_motions: tuple[Path, ...] = ()
    """Clips whose reference states start the episode (default: the task's, as in `eval task`)."""

    def run(self) -> Path:
        path = self.render()
        console.print(f"wrote {path}")
        return path

    def render(self) -> Path:
        """Write the video (and the recording), without printing."""
        from tasktokens.viz.video import record_rollout

        spec = task_spec(self.task, self.task_modules, self.token)
        env_cfg = TaskEnvConfig(num_envs=1, num_threads=1, episode_steps=self.steps, seed=self.seed, init_motions=self.init_motions)
        env = spec.env_cls(spec.config_cls(env=env_cfg))
        actor, _ = load_policy(self.task, self.method, self.token, self.bfm, env)
        return record_rollout(env, actor, self.out, self.steps, self.record, f"{self.task} {self.method}")

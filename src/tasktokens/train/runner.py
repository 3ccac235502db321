"""On-policy training loop around rsl_rl's PPO: rollouts, updates, TensorBoard, a rich progress
bar with samples/s and success, checkpoints every few minutes and on SIGTERM, and resume.

The environment follows rsl_rl's VecEnv contract, and its step() extras also carry
``extras["episode"] = {"done", "success", "return", "length"}`` for the finished episodes.
Tasks that judge success per command segment (tasks/base.py) add ``extras["segments"] =
tensor([judged, succeeded])`` for the segments closed this step; the runner's success is then
succeeded / judged (the task's success rate), and episodes that did not fall are logged as
``env/upright``.
It may define ``state_dict()`` / ``load_state_dict()`` for sampler state saved with the run.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rsl_rl.algorithms import PPO
from torch.utils.tensorboard import SummaryWriter

from tasktokens.algos.ppo import state_over_trainable
from tasktokens.train.checkpoint import STATE_JSON, WEIGHTS, CheckpointError, load_state, load_weights, save_run
from tasktokens.train.distributed import DistInfo, any_rank
from tasktokens.train.grad_norms import GradNormMeter

EARLY_ITERATIONS = 3
"""After this many iterations the loop prints the measured samples/s and the time the run will take."""


def _duration(seconds: float) -> str:
    """'45 s', '13 min 07 s', '2 h 05 min'."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


@dataclass
class RunnerConfig:
    """Length of a run and how it is saved."""

    max_samples: int = 50_000_000
    """Stop after this many environment steps (summed over environments)."""
    checkpoint_minutes: float = 5.0
    """Save every this many minutes of wall time (and at the end, and on SIGTERM)."""
    seed: int = 0
    """Seed of torch (network initialisation, action noise)."""


class TrainLoop:
    """The loop shared by PPO and distillation: iterations of collect() then update(), saving
    into `out`. Subclasses define the model tensors, the optimizer and the two phases."""

    def __init__(self, env, cfg: RunnerConfig, out: Path, full_config, character, dist: DistInfo | None = None):
        self.env, self.cfg, self.out = env, cfg, Path(out)
        self.full_config, self.character = full_config, character
        self.dist = dist or DistInfo()
        """Under torchrun (train/distributed.py): samples count every rank's, rank 0 alone logs and saves."""
        self.iteration, self.samples, self.wall_seconds = 0, 0, 0.0
        self.success_ema, self.return_ema = 0.0, 0.0
        self._stop = False
        self._grad_meters: list[GradNormMeter] = []

    def watch_gradients(self, module: torch.nn.Module, prefix: str) -> None:
        """Log the mean gradient norm of each of the module's trainable parameters per iteration
        to TensorBoard as `prefix/<parameter name>` (train/grad_norms.py)."""
        self._grad_meters.append(GradNormMeter(module, prefix))

    # --- hooks -------------------------------------------------------------------------------
    optimizer: torch.optim.Optimizer
    batch_size: int
    """Environment steps per iteration."""

    def tensors(self) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        raise NotImplementedError

    def collect(self) -> dict[str, float]:
        """Run the environments for one iteration; returns scalars to log."""
        raise NotImplementedError

    def update(self) -> dict[str, float]:
        """Learn from what collect() gathered; returns losses to log."""
        raise NotImplementedError

    def metadata(self) -> dict:
        """Extra facts stored in the checkpoint's metadata (JSON values)."""
        return {}

    def extra_state(self) -> dict:
        """Training state of a subclass beyond the optimizer (nested dicts of tensors and JSON
        values), saved with the run's state and given back to load_extra_state on resume."""
        return {}

    def load_extra_state(self, extra: dict) -> None:
        """Restore what extra_state saved (an empty dict for runs saved without it)."""

    def after_iteration(self, writer: SummaryWriter) -> None:
        """Called on the main rank after each iteration is logged (e.g. a periodic evaluation)."""

    def saved_optimizer_state(self, saved: dict) -> dict:
        """A saved optimizer state as the optimizer loads it (a subclass maps older layouts)."""
        return saved

    adapts_learning_rate = False
    """Whether the loop moves its own learning rate, which resume then restores; otherwise resume
    keeps the config's rates (the optimizer state would bring back the saved ones)."""

    @property
    def learning_rate(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def set_learning_rate(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    # --- persistence -------------------------------------------------------------------------
    def save(self) -> None:
        state = {
            "iteration": self.iteration,
            "samples": self.samples,
            "wall_seconds": self.wall_seconds,
            "optimizer": self.optimizer.state_dict(),
            "learning_rate": self.learning_rate,
            "torch_rng": torch.get_rng_state(),
            "success_ema": self.success_ema,
            "return_ema": self.return_ema,
            "env": self.env.state_dict() if hasattr(self.env, "state_dict") else {},
            "extra": self.extra_state(),
        }
        extra = {"iteration": self.iteration, "samples": self.samples, "wall_seconds": round(self.wall_seconds, 1)} | self.metadata()
        save_run(self.out, self.tensors(), state, self.full_config, self.character, extra)

    def resume(self) -> None:
        """Continue from the run folder's last checkpoint (same iteration, optimizer state)."""
        if not (self.out / WEIGHTS).exists() or not (self.out / STATE_JSON).exists():
            raise CheckpointError(f"{self.out}: nothing to resume (no {WEIGHTS} and {STATE_JSON}); start without --resume")
        tensors, meta = load_weights(self.out / WEIGHTS, self.character)
        state = load_state(self.out)
        if "samples" in meta and meta["samples"] != state["samples"]:  # e.g. re-shipped weights beside an older state
            raise CheckpointError(f"{self.out}: {WEIGHTS} is at {meta['samples']:,} samples but {STATE_JSON} at {state['samples']:,}: "
                                  f"the folder mixes two checkpoints; resume from the run folder that wrote {WEIGHTS} "
                                  f"(or start without --resume)")
        config_lrs = [group["lr"] for group in self.optimizer.param_groups]
        self.load_tensors(tensors)
        self.optimizer.load_state_dict(self.saved_optimizer_state(state["optimizer"]))
        if self.adapts_learning_rate:  # go on from the rate the run had adapted to
            self.set_learning_rate(state["learning_rate"])
        else:  # this config's rates, group by group: `--resume --learning-rate X` anneals a run
            for group, lr in zip(self.optimizer.param_groups, config_lrs, strict=True):
                group["lr"] = lr
        torch.set_rng_state(state["torch_rng"])
        self.iteration, self.samples = state["iteration"], state["samples"]
        self.wall_seconds = state["wall_seconds"]
        self.success_ema, self.return_ema = state["success_ema"], state["return_ema"]
        if hasattr(self.env, "load_state_dict") and self.dist.is_main:  # other ranks keep their own random streams
            self.env.load_state_dict(state["env"])
        self.load_extra_state(state.get("extra", {}))

    def _record_episodes(self, done_n: int, success_n: int, ret_sum: float, segments: tuple[int, int] | None = None) -> None:
        """Running means over about 2000 episodes; success over segments (judged, succeeded)
        instead of episodes when the task judges segments."""
        if done_n:
            self.return_ema += min(1.0, done_n / 2000) * (ret_sum / done_n - self.return_ema)
        n, ok = segments if segments is not None else (done_n, success_n)
        if n:
            self.success_ema += min(1.0, n / 2000) * (ok / n - self.success_ema)

    # --- training ----------------------------------------------------------------------------
    rollout_threads = 1
    """Torch threads during collect(). With an MLP policy one is faster: torch's idle OpenMP threads
    spin on the cores MuJoCo's threads step on (the tracker: 4,859 samples/s with one, 4,637 with
    two); a transformer policy's forward gains more from two than MuJoCo loses (docs/benchmarks.md)."""

    def _rollout(self) -> dict[str, float]:
        threads = torch.get_num_threads()
        torch.set_num_threads(self.rollout_threads)
        try:
            return self.collect()
        finally:
            torch.set_num_threads(threads)


    def _on_sigterm(self, *_):
        self._stop = True

    def learn(self) -> None:
        main = self.dist.is_main
        torch.manual_seed(self.cfg.seed + self.iteration + 1_000_003 * self.dist.rank)  # each rank its own action noise
        writer = SummaryWriter(str(self.out / "tb")) if main else None
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        batch = self.batch_size
        last_save = time.time()
        columns = [TextColumn("[bold]it {task.fields[it]}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} samples"),
                   TextColumn("{task.fields[sps]:,.0f} samples/s"), TextColumn("return {task.fields[ret]:.1f}"),
                   TextColumn("success {task.fields[succ]:.2f}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn()]
        total = self.cfg.max_samples
        start_samples, start_iteration, started = self.samples, self.iteration, time.time()
        iterations = self.iteration + -(-max(0, total - self.samples) // (batch * self.dist.world_size))
        try:
            console = Console(stderr=False, width=None if sys.stdout.isatty() else 200)
            with Progress(*columns, transient=False, console=console, disable=not main) as bar:
                task = bar.add_task("train", total=self.cfg.max_samples, completed=self.samples, it=self.iteration, sps=0.0, ret=0.0, succ=0.0)
                while self.samples < self.cfg.max_samples and not self._stop:
                    t0 = time.time()
                    logs = self._rollout()
                    t1 = time.time()
                    losses = self.update()
                    t2 = time.time()
                    self.iteration += 1
                    self.samples += batch * self.dist.world_size
                    self.wall_seconds += t2 - t0
                    sps = batch * self.dist.world_size / (t2 - t0)
                    bar.update(task, completed=self.samples, it=self.iteration, sps=sps, ret=self.return_ema, succ=self.success_ema)
                    if self.dist.enabled:
                        self._stop = any_rank(self._stop)  # a SIGTERM on any rank stops all at the same iteration
                    if not main:
                        continue
                    # mean speed since this run (re)started (wall time, saves included): the time left
                    rate = (self.samples - start_samples) / max(time.time() - started, 1e-9)
                    left = max(0, total - self.samples) / rate
                    done = self.iteration - start_iteration
                    if done == EARLY_ITERATIONS or (self.samples >= total and done < EARLY_ITERATIONS):  # once, early
                        bar.console.print(f"measured {rate:,.0f} samples/s over the first {done} iteration{'' if done == 1 else 's'}: "
                                          f"{total - start_samples:,} samples take about {_duration((total - start_samples) / rate)} ({_duration(left)} left)",
                                          markup=False, highlight=False)
                    if not bar.console.is_terminal:  # background runs (a log file): one plain line per iteration
                        bar.console.print(
                            f"it {self.iteration}/{iterations} samples {self.samples:,}/{total:,} ({100 * self.samples / total:.1f}%) "
                            f"{sps:,.0f} samples/s, {_duration(left)} left; return {self.return_ema:.2f} success {self.success_ema:.3f} "
                            f"(rollout {t1 - t0:.2f}s update {t2 - t1:.2f}s lr {self.learning_rate:.2e})", markup=False, highlight=False
                        )
                    self._log(writer, logs, losses, sps, t1 - t0, t2 - t1)
                    self.after_iteration(writer)
                    if time.time() - last_save > 60 * self.cfg.checkpoint_minutes:
                        self.save()
                        last_save = time.time()
        finally:
            if main:
                self.save()
                writer.close()
            signal.signal(signal.SIGTERM, previous)

    def _log(self, writer: SummaryWriter, logs: dict, losses: dict, sps: float, rollout_s: float, update_s: float) -> None:
        step = self.samples
        for k, v in logs.items():
            writer.add_scalar(f"env{k}", v, step)
        for k, v in losses.items():
            writer.add_scalar(f"loss/{k}", v, step)
        writer.add_scalar("perf/samples_per_s", sps, step)
        writer.add_scalar("perf/rollout_s", rollout_s, step)
        writer.add_scalar("perf/update_s", update_s, step)
        writer.add_scalar("train/success", self.success_ema, step)
        writer.add_scalar("train/episode_return", self.return_ema, step)
        writer.add_scalar("train/learning_rate", self.learning_rate, step)
        for meter in self._grad_meters:
            for k, v in meter.pop().items():
                writer.add_scalar(k, v, step)


class Runner(TrainLoop):
    """PPO (rsl_rl) on a VecEnv."""

    def __init__(self, env, alg: PPO, cfg: RunnerConfig, out: Path, full_config, character, dist: DistInfo | None = None):
        super().__init__(env, cfg, out, full_config, character, dist)
        self.alg = alg
        self.optimizer = alg.optimizer
        self.batch_size = env.num_envs * alg.storage.num_transitions_per_env

    @property
    def learning_rate(self) -> float:
        return self.alg.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        self.alg.learning_rate = lr
        super().set_learning_rate(lr)

    @property
    def adapts_learning_rate(self) -> bool:
        """rsl_rl's adaptive schedule moves the rate; under the fixed one a resumed run takes the
        config's rates (`--resume --ppo.learning-rate X`; fine_tune's BFM group keeps its own)."""
        return self.alg.schedule != "fixed"

    def tensors(self) -> dict[str, torch.Tensor]:
        actor = {f"actor.{k}": v for k, v in self.alg.actor.state_dict().items()}
        critic = {f"critic.{k}": v for k, v in self.alg.critic.state_dict().items()}
        return actor | critic

    def saved_optimizer_state(self, saved: dict) -> dict:
        """Runs saved before the optimizer left out the parameters that need no gradient (the
        frozen BFM, the fixed action std) resume with their state mapped onto those it holds.
        A run whose rates were split otherwise (adapt --critic-learning-rate) is refused."""
        state = state_over_trainable(saved, [*self.alg.actor.parameters(), *self.alg.critic.parameters()])
        if len(state["param_groups"]) != len(self.optimizer.param_groups):
            raise CheckpointError(
                f"{self.out}: the run's optimizer has {len(state['param_groups'])} learning-rate group(s), this config "
                f"{len(self.optimizer.param_groups)}; resume with the run's own --critic-learning-rate (config.json)"
            )
        return state

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.alg.actor.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("actor.")})
        self.alg.critic.load_state_dict({k[7:]: v for k, v in tensors.items() if k.startswith("critic.")})

    def update(self) -> dict[str, float]:
        return self.alg.update()

    def learn(self) -> None:
        if self.dist.enabled:
            self.alg.broadcast_parameters()  # rank 0's weights everywhere, whatever each rank loaded
        super().learn()

    def collect(self) -> dict[str, float]:
        device = self.alg.device
        obs = self.env.get_observations().to(device)
        done_n, success_n, ret_sum = 0, 0, 0.0
        segments = None  # (judged, succeeded) when the task reports segment success
        logs: dict[str, float] = {}
        with torch.inference_mode():
            for _ in range(self.alg.storage.num_transitions_per_env):
                actions = self.alg.act(obs)
                obs, rewards, dones, extras = self.env.step(actions.cpu())
                obs = obs.to(device)
                self.alg.process_env_step(obs, rewards.to(device), dones.to(device), extras)
                ep = extras["episode"]
                done_n += int(ep["done"].sum())
                success_n += int(ep["success"].sum())
                ret_sum += float(ep["return"][ep["done"]].sum())
                if "segments" in extras:
                    segments = extras["segments"] + (0 if segments is None else segments)
                for k, v in extras.get("log", {}).items():
                    logs[k] = logs.get(k, 0.0) + float(v) / self.alg.storage.num_transitions_per_env
            self.alg.compute_returns(obs)
        if self.dist.enabled:  # the running means over every rank's episodes
            done_n, success_n, ret_sum, segments = _sum_over_ranks(done_n, success_n, ret_sum, segments)
        self._record_episodes(done_n, success_n, ret_sum, None if segments is None else (int(segments[0]), int(segments[1])))
        if segments is not None and done_n:
            logs["/upright"] = success_n / done_n
        logs["/episodes"] = done_n
        return logs


def _sum_over_ranks(done_n: int, success_n: int, ret_sum: float, segments) -> tuple[int, int, float, tuple[int, int] | None]:
    """Episode counts and returns summed over the ranks of a torchrun launch (segments: every rank
    runs the same task, so all or none report them)."""
    seg = (0, 0) if segments is None else (int(segments[0]), int(segments[1]))
    t = torch.tensor([done_n, success_n, ret_sum, *seg], dtype=torch.float64)
    torch.distributed.all_reduce(t)
    return int(t[0]), int(t[1]), float(t[2]), None if segments is None else (int(t[3]), int(t[4]))

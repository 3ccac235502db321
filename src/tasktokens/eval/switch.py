"""`tasktokens eval switch`: a library of task tokens on one frozen BFM, switched at run time.

Each environment runs the stages in order (design brief, section 8: multi-task). At a switch the
character's physical state is carried over to the next task's environment: moved to that task's
origin (and turned to face +x for long_jump), which changes nothing of the motion on flat
ground (TaskEnv.start_from), while the next task draws its own command (and places its own box
for strike). An environment whose episode ends (a fall, a forbidden contact with the strike box,
a long_jump landing) is out for the stages after. Per stage: the task's success rate over the
segments of the environments that were still running at its start (each one's segment open at
the switch is judged then, as at a time-out), and the share of all environments running at its
start and end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

from tasktokens.eval.report import write_json
from tasktokens.eval.task import Method, load_policy, policy_path, run_first_episodes
from tasktokens.models.policies import needs_bfm, saved_adapt_config
from tasktokens.models.task_tokens import trainable_parameters
from tasktokens.paths import SHIPPED_BFM
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.checkpoint import repo_relative, resolve_saved_path, saved_metadata

console = Console(stderr=True)


def policy_bfm(task: str, method: Method, token: Path | None, bfm: Path) -> Path | None:
    """The BFM a method's policy runs on: `bfm` for prior_only, else the one its token's saved
    config names (None for PPO from scratch, which has no BFM). Reads the checkpoint's metadata
    only: call it after load_policy has checked the file."""
    if method == "prior_only":
        return Path(bfm).resolve()
    cfg = saved_adapt_config(saved_metadata(policy_path(task, method, token))["config"])
    return resolve_saved_path(cfg.bfm).resolve() if needs_bfm(cfg.method) else None


@dataclass
class TokenSwitch:
    """Success of task tokens switched at run time: every environment runs the stages in order,
    carrying the character's state from one task to the next."""

    tasks: tuple[str, ...] = ("direction", "steering", "direction")
    """Registered task of each stage, in order."""
    methods: tuple[Method, ...] = ("task_tokens_prior",)
    """Method of each stage (one per task), or one method for all stages."""
    tokens: tuple[Path, ...] = ()
    """Token checkpoint of each stage (default: the shipped ones of each task and method)."""
    bfm: Path = SHIPPED_BFM
    """BFM of prior_only stages; every stage must run on the same BFM (a token library)."""
    stage_steps: int = 200
    """Control steps per stage (30 per second)."""
    episodes: int = 64
    """Environments (run in parallel)."""
    seed: int = 1
    """Seed of every stage's environment (its starts, commands and boxes)."""
    video: Path | None = None
    """Also write environment 0's run through the stages here (.mp4 or .gif), up to the end of its
    episode."""
    json: Path | None = None
    """Write {"stages": [{"task", "method", "success_rate", "segments", "running_at_start", "running_at_end"}], "bfm", ...} here."""

    def _stage_list(self) -> list[tuple[str, Method, Path | None]]:
        if not self.tasks:
            raise ValueError("eval switch needs at least one stage: pass --tasks T1 T2 ...")
        if self.stage_steps < 1 or self.episodes < 1:
            raise ValueError(f"eval switch needs --stage-steps >= 1 and --episodes >= 1; got {self.stage_steps} and {self.episodes}")
        if len(self.methods) not in (1, len(self.tasks)):
            raise ValueError(f"--methods gives {len(self.methods)} methods for {len(self.tasks)} stages; give one per stage or one for all")
        if self.tokens and len(self.tokens) != len(self.tasks):
            raise ValueError(f"--tokens gives {len(self.tokens)} checkpoints for {len(self.tasks)} stages; give one per stage or none")
        methods = self.methods * len(self.tasks) if len(self.methods) == 1 else self.methods
        tokens = self.tokens or (None,) * len(self.tasks)
        return list(zip(self.tasks, methods, tokens, strict=True))

    def run(self) -> dict:
        stages = self._stage_list()
        envs = [self._env(task) for task, _, _ in stages]
        # every checkpoint is loaded and checked (file, character, task, BFM) before any rollout
        policies = [load_policy(task, method, token, self.bfm, env) for (task, method, token), env in zip(stages, envs, strict=True)]
        bfms = [policy_bfm(task, method, token, self.bfm) for task, method, token in stages]
        if len({b for b in bfms if b is not None}) > 1:
            named = ", ".join(f"{task} {method}: {repo_relative(b) if b else 'none'}" for (task, method, _), b in zip(stages, bfms, strict=True))
            raise ValueError(f"the stages run on different BFMs ({named}); a switch needs tokens trained on one BFM "
                             f"(pass --tokens trained with the same --bfm, or --bfm for prior_only)")
        running = torch.ones(self.episodes, dtype=torch.bool)
        report_stages, frames = [], []
        for k, ((task, method, _), env, (actor, samples)) in enumerate(zip(stages, envs, policies, strict=True)):
            if k > 0:
                env.start_from(torch.arange(self.episodes), *envs[k - 1].character_state())
            at_start = running.float().mean().item()
            observe, renderer = self._film(env, frames)
            run_first_episodes(env, actor, self.stage_steps, observe, running=running)
            if renderer is not None:
                renderer.close()
            env.segments.close(running.nonzero().squeeze(-1))  # the segments still open at the switch
            report_stages.append({"task": task, "method": method, "success_rate": env.segments.rate, "segments": env.segments.finished,
                                  "running_at_start": at_start, "running_at_end": running.float().mean().item(),
                                  "trainable_params": trainable_parameters(actor), "samples_trained": samples})
        report = {"stages": report_stages, "bfm": repo_relative(next((b for b in bfms if b is not None), self.bfm)),
                  "stage_steps": self.stage_steps, "episodes": self.episodes, "seed": self.seed}
        if self.video is not None:
            from tasktokens.viz.video import write_frames

            console.print(f"wrote {write_frames(self.video, frames, 1.0 / envs[0].dt)}")
        console.print(report)
        write_json(self.json, report)
        return report

    def _film(self, env, frames: list):
        """(observe(running) for run_first_episodes that renders environment 0 into frames while it
        runs, the renderer to close after the stage); (None, None) without --video. One renderer
        per stage: the scenes differ (strike's box)."""
        if self.video is None:
            return None, None
        from tasktokens.viz.video import VideoWriter

        writer = VideoWriter(env.sim.model, self.video, fps=1.0 / env.dt)
        writer.frames = frames  # the stages' writers fill one list

        def observe(running: torch.Tensor) -> None:
            if running[0]:
                writer.add_data(env.sim.data_of(0), env.markers())

        return observe, writer.renderer

    def _env(self, task: str):
        spec = get_task(task)
        # episodes outlast the stage: the stage's end, not a time-out, closes them
        return spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=self.episodes, episode_steps=self.stage_steps + 1, seed=self.seed)))

"""`tasktokens export onnx`: the frozen BFM + task token policy (proprioception + task
observation -> action mean) as one ONNX graph, checked with onnxruntime against the torch policy
on observations recorded from a rollout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from torch import nn

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.eval.report import write_json
from tasktokens.eval.task import Method, load_policy, task_spec
from tasktokens.models.task_tokens import TaskTokenActor
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.adapt import TaskModules

console = Console(stderr=True)


class ExportablePolicy(nn.Module):
    """(proprio (N, P), task_obs (N, T)) -> action mean (N, nu), with the token pattern fixed."""

    def __init__(self, actor: TaskTokenActor, proprio: torch.Tensor, task: torch.Tensor):
        super().__init__()
        if not isinstance(actor, TaskTokenActor):
            raise ValueError(
                "ONNX export covers BFM-based policies (task_tokens, task_tokens_prior, prior_only, fine_tune, lora)"
            )
        head = actor.mlp
        if head.prior is not None and head.num_task is not None:
            raise ValueError(
                "ONNX export does not cover a prior with an input of its own (TaskEnv.prior_obs); export the token alone "
                "(--method task_tokens)"
            )
        self.bfm, self.encoder, self.prior = head.bfm, head.encoder, head.prior
        with torch.no_grad():  # which tokens the fixed prior and the token leave visible
            _, hidden = self.bfm.tokens(proprio, self._goals(proprio, task), self._token(task))
        if hidden.any(dim=0).ne(hidden.all(dim=0)).any():
            raise ValueError("the prior's visible goals vary between samples; an exported policy needs a fixed pattern")
        self.register_buffer("keep", (~hidden.all(dim=0)).nonzero().squeeze(-1))

    def _goals(self, proprio, task):
        return self.prior(proprio, task) if self.prior is not None else None

    def _token(self, task):
        return self.encoder(task) if self.encoder is not None else None

    def forward(self, proprio: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
        return self.bfm.act(proprio, self._goals(proprio, task), self._token(task), keep=self.keep)


def record_observations(env, actor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Proprioception and task observations visited by the torch policy, (steps * N, ·) each."""
    obs, proprio, task = env.get_observations(), [], []
    with torch.inference_mode():
        for _ in range(steps):
            proprio.append(obs["policy"].clone())
            task.append(obs["task"].clone())
            obs, _r, _d, _e = env.step(actor(obs))
    return torch.cat(proprio), torch.cat(task)


@dataclass
class ExportOnnx:
    """Export a task's policy (frozen BFM + token, and/or prior) to ONNX."""

    task: str = "direction"
    task_modules: TaskModules = ()
    """Modules to import before the task is looked up (as in `eval task`)."""
    out: Path = Path("policy.onnx")
    """The .onnx file."""
    method: Method = "task_tokens"
    token: Path | None = None
    """Token checkpoint (default: the shipped one)."""
    bfm: Path = SHIPPED_BFM
    """BFM for prior_only."""
    check: bool = False
    """Run the graph with onnxruntime on recorded observations and compare with torch."""
    json: Path | None = None
    """Write {"max_abs_action_error", ...} here (with --check)."""
    check_steps: int = 30
    check_envs: int = 8

    def run(self) -> dict:
        spec = task_spec(self.task, self.task_modules, self.token)
        env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=self.check_envs, num_threads=1)))
        actor, _ = load_policy(self.task, self.method, self.token, self.bfm, env)
        proprio, task = record_observations(env, actor, self.check_steps)
        policy = ExportablePolicy(actor, proprio[:2], task[:2]).eval()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        torch.onnx.export(
            policy,
            (proprio[:2], task[:2]),
            str(self.out),
            input_names=["proprio", "task_obs"],
            output_names=["action"],
            dynamic_axes={"proprio": {0: "batch"}, "task_obs": {0: "batch"}, "action": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        report = {"task": self.task, "method": self.method, "onnx": str(self.out)}
        if self.check:
            import onnxruntime as ort

            session = ort.InferenceSession(str(self.out), providers=["CPUExecutionProvider"])
            onnx_actions = session.run(["action"], {"proprio": proprio.numpy(), "task_obs": task.numpy()})[0]
            with torch.no_grad():
                torch_actions = actor.mlp(torch.cat([proprio, task], dim=-1)).numpy()
            report |= {
                "max_abs_action_error": float(np.abs(onnx_actions - torch_actions).max()),
                "observations": int(proprio.shape[0]),
            }
        console.print(report)
        write_json(self.json, report)
        return report

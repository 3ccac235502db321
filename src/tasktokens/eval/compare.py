"""`tasktokens report`: the paper's comparison on this project's BFM and tasks.

For every task and method it trains (or reuses cached runs in --runs), in stages so that success
is measured at fixed sample counts, then evaluates: success (mean +- std over seeds), trainable
parameters, samples to reach 90% of the final success, naturalness, and out-of-distribution
success under gravity, friction and body-mass scales. Writes docs/results.md, docs/results.json
and PNG plots. Budget flags make a small version cheap enough for CI and the full one a few hours.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import tyro
from rich.console import Console

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.eval.report import write_json
from tasktokens.eval.report_runs import check_cached_run, row_defaults, same_success_rule, stage_weights, stage_weights_name
from tasktokens.eval.task import OOD_KINDS, TaskEval, TaskSweep
from tasktokens.machine import describe_machine
from tasktokens.tasks import adaptable_task_names, get_task
from tasktokens.tasks.base import TaskEnv
from tasktokens.train.adapt import run_name, split_method
from tasktokens.train.checkpoint import WEIGHTS, repo_relative
from tasktokens.train.model_card import git_commit

console = Console(stderr=True)
PER_METHOD = ("success", "success_std", "curves", "return", "return_std", "return_curves", "params", "samples_to_90", "naturalness")
"""The report's tables keyed by method, then task (ood and ood_steps add the physics quantity first)."""
TRAINED = ("task_tokens", "task_tokens_prior", "fine_tune", "lora", "latent_policy", "ppo_scratch")
NO_PRIOR_TASKS = ("strike", "long_jump")
"""Tasks with no prior_only / task_tokens_prior cell in the report, as in the paper's table
(the priors of strike and long_jump, tasks/priors.py, came later: strike's knocks over 0.8-1.6%
of boxes alone, long_jump's runs but cannot jump; docs/bfm-and-task-tokens.md)."""
SEEDED_ROWS = ("task_tokens",)
"""Rows trained with ReportConfig.seeds (the issue's 3 for Task Tokens); the rest get seeds_other."""
LEGACY_SEEDED_ROWS = ("task_tokens", "fine_tune")
"""SEEDED_ROWS of reports whose budget predates the "seeded_rows" key (before 2026-12-07)."""
PAPER_ORDER = ("direction", "steering", "reach", "strike", "long_jump")
"""The paper's column order; the other registered tasks (plugins) follow by name."""


def report_tasks() -> tuple[str, ...]:
    """The report's columns: every task a token is trained on (tasks.adaptable_task_names:
    built-in, plugin or imported), the paper's first."""
    rank = {t: i for i, t in enumerate(PAPER_ORDER)}
    return tuple(sorted(adaptable_task_names(), key=lambda t: (rank.get(t, len(rank)), t)))


def has_prior_cells(task: str) -> bool:
    """Whether the report has prior_only and task_tokens_prior cells for a task: it has a
    hand-written prior (TaskEnv.prior_fn) and is not left out as in the paper (NO_PRIOR_TASKS)."""
    return task not in NO_PRIOR_TASKS and get_task(task).env_cls.prior_fn is not TaskEnv.prior_fn


@dataclass
class ReportConfig:
    """Run (or reuse) the whole comparison and write the report."""

    tasks: tuple[str, ...] = field(default_factory=report_tasks)
    """Columns (default: every registered task, report_tasks)."""
    methods: tuple[str, ...] = ("task_tokens", "task_tokens_prior", "prior_only", "ppo_scratch", "fine_tune", "latent_policy", "lora")
    samples: int = 5_000_000
    """Training budget per run (environment steps)."""
    stages: int = 5
    """Evaluations along training, at samples * k / stages."""
    seeds: int = 3
    """Seeds of the task_tokens row, the method the report is about (SEEDED_ROWS)."""
    seeds_other: int = 1
    """Seeds of every other trained row."""
    episodes: int = 64
    """Evaluation episodes per measurement."""
    episode_steps: int = 300
    """Steps per evaluation episode (paper: 300)."""
    num_envs: int = 512
    """Training environments."""
    gravity: tuple[float, ...] = (0.25, 0.4, 0.6, 0.75, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)
    friction: tuple[float, ...] = (0.5, 0.65, 0.8, 0.95, 1.1, 1.25, 1.4, 1.55, 1.7, 1.85, 2.0)
    mass: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5)
    ood_episodes: int = 32
    """Episodes per out-of-distribution value (all values of a sweep run as one batch)."""
    bfm: Path = SHIPPED_BFM
    runs: Path = Path("runs/report")
    """Cache of trained runs and their evaluations (reused when present)."""
    out_md: Path = Path("docs/results.md")
    out_json: Path = Path("docs/results.json")
    plots_dir: Path = Path("docs/plots")
    discussion: Path | None = Path("docs/results_discussion.md")
    """Hand-written comparison with the paper, appended to results.md when the file exists (kept
    in its own file so that regenerating the tables keeps it)."""
    keep_other_methods: bool = False
    """Start from the report in out_json and re-run only --methods, keeping the other methods' rows
    (after a fix to one method, without the others' cached runs); refused unless that report has
    this budget and BFM. The re-run methods are named in the report with their machine and date."""
    adapt_overrides: tyro.conf.Suppress[dict] = field(default_factory=dict)
    """Extra AdaptConfig fields (tests use small networks)."""

    def budget(self) -> dict:
        return {"samples": self.samples, "stages": self.stages, "seeds": self.seeds, "seeds_other": self.seeds_other, "seeded_rows": list(SEEDED_ROWS),
                "episodes": self.episodes, "ood_episodes": self.ood_episodes}

    def run(self) -> dict:
        results = self._kept_results() if self.keep_other_methods else {
            "budget": self.budget(), "bfm": repo_relative(self.bfm), "machine": describe_machine(), "commit": git_commit(),
            **{key: {} for key in PER_METHOD}, "ood": {k: {} for k in OOD_KINDS}, "ood_steps": {k: {} for k in OOD_KINDS}}
        self._order = list(dict.fromkeys([*results["success"], *self.methods]))
        for method in self.methods:
            for task in self.tasks:
                if method in ("prior_only", "task_tokens_prior") and not has_prior_cells(task):
                    continue
                self._cell(results, method, task)
        results["plots"] = self._plots(results)
        write_json(self.out_json, results)
        self.out_md.parent.mkdir(parents=True, exist_ok=True)
        self.out_md.write_text(render_markdown(results, self))
        console.print(f"wrote {self.out_md} and {self.out_json}")
        return results

    def _kept_results(self) -> dict:
        """The report in out_json with the rows of self.methods emptied (in place, so that the
        tables keep their order), for keep_other_methods."""
        if not self.out_json.exists():
            raise FileNotFoundError(f"{self.out_json}: no report to keep rows of; run without --keep-other-methods")
        results = json.loads(self.out_json.read_text())
        theirs = (results.get("budget"), results.get("bfm"))
        if theirs != (self.budget(), repo_relative(self.bfm)):
            raise ValueError(f"{self.out_json} was made with budget {theirs[0]} and BFM {theirs[1]}, not {self.budget()} and "
                             f"{repo_relative(self.bfm)}: re-run its methods with its own budget flags, or the whole report")
        tasks = {task for per_task in results["success"].values() for task in per_task}
        if not tasks <= set(self.tasks):
            raise ValueError(f"{self.out_json} has the tasks {sorted(tasks)}: pass them all with --tasks, or its columns would be lost")
        for method in self.methods:
            for table in [results[key] for key in PER_METHOD] + [results[key][kind] for key in ("ood", "ood_steps") for kind in OOD_KINDS]:
                if method in table:
                    table[method] = {}
            results.setdefault("reruns", {})[method] = f"{date.today().isoformat()}, {describe_machine()}"
        return results

    # --- one method x task cell ----------------------------------------------------------------
    def _seeds(self, method: str) -> int:
        return self.seeds if method in SEEDED_ROWS else self.seeds_other

    def _cell(self, results: dict, method: str, task: str) -> None:
        finals, curves, return_curves, params, nat, token = [], [], [], 0, [], None
        for seed in range(self._seeds(method) if method != "prior_only" else 1):
            curve = []
            for stage in range(1, self.stages + 1) if method != "prior_only" else [0]:
                rep, token = self._evaluate(method, task, seed, self.samples * stage // self.stages if stage else 0)
                curve.append((rep["samples_trained"], rep["success_rate"]))
                params = rep["trainable_params"]
            finals.append(curve[-1][1])
            nat.append(rep.get("naturalness", float("nan")))
            curves.append(curve)
            if method != "prior_only":
                log = training_returns(self._run_dir(method, task, seed))
                return_curves.append([(x, return_at(log, x)) for x, _ in curve])
        put = lambda key, value: results[key].setdefault(method, {}).__setitem__(task, value)  # noqa: E731
        if return_curves:
            put("return_curves", return_curves)
            put("return", statistics.fmean(c[-1][1] for c in return_curves))
            put("return_std", statistics.pstdev(c[-1][1] for c in return_curves) if len(return_curves) > 1 else 0.0)
        put("success", statistics.fmean(finals))
        put("success_std", statistics.pstdev(finals) if len(finals) > 1 else 0.0)
        put("curves", curves)
        put("params", params)
        put("samples_to_90", samples_to_90(curves))
        put("naturalness", statistics.fmean(nat))
        for kind, values in (("gravity", self.gravity), ("friction", self.friction), ("mass", self.mass)):
            sweep = self._ood(method, task, token, kind, values) if values else {"success_rate": {}, "mean_episode_steps": {}}
            results["ood"][kind].setdefault(method, {})[task] = sweep["success_rate"]
            results["ood_steps"][kind].setdefault(method, {})[task] = sweep["mean_episode_steps"]

    def _run_dir(self, method: str, task: str, seed: int) -> Path:
        trained, prior = split_method(method)
        return self.runs / run_name(task, trained, prior) / f"seed{seed}"

    def _evaluate(self, method: str, task: str, seed: int, samples: int) -> tuple[dict, Path | None]:
        """Train up to `samples` (resuming the cached run) and evaluate; both cached."""
        if method == "prior_only":  # with the prior the task_tokens_prior row trains beside
            hybrid = row_defaults(task, "task_tokens", True)
            gait = hybrid.gait_options()
            options = {"prior_clips": hybrid.prior_clips, "prior_gait_top_rate": hybrid.prior_gait_top_rate,
                       "prior_gait_feedback": hybrid.prior_gait_feedback}
            recorded = (hybrid.prior_clips, None if gait is None else dataclasses.asdict(gait))  # as TaskEval records them
            return self._cached(self.runs / f"{task}_prior_only" / "eval.json", lambda: self._eval(method, task, None, **options),
                                lambda report: (report.get("prior_clips", False), report.get("prior_gait")) == recorded), None
        run = self._run_dir(method, task, seed)
        cache = run / f"eval_{samples}.json"
        trained, prior = split_method(method)
        cfg = dataclasses.replace(row_defaults(task, trained, prior), samples=samples, out=run, bfm=self.bfm, num_envs=self.num_envs,
                                  seed=seed, resume=(run / WEIGHTS).exists(), eval_episodes=0, video=False, **self.adapt_overrides)
        check_cached_run(run, cfg)
        if not cache.exists():
            reached = cfg.run().samples
            if reached < samples:  # stopped by SIGTERM: no stage weights or evaluation for a part-trained stage
                raise SystemExit(f"{run}: stopped at {reached:,} of {samples:,} samples; the same `tasktokens report` command continues it")
            shutil.copyfile(run / WEIGHTS, run / stage_weights_name(samples))
        return self._cached(cache, lambda: self._eval(method, task, stage_weights(run, samples, cache))), run / WEIGHTS

    def _eval(self, method: str, task: str, token: Path | None, **options) -> dict:
        """A cell's evaluation; options: TaskEval's prior settings (prior_only)."""
        return TaskEval(task=task, method=method, token=token, bfm=self.bfm, episodes=self.episodes, episode_steps=self.episode_steps,
                        naturalness=True, **options).run()

    @staticmethod
    def _cached(path: Path, compute, still_valid=lambda report: True) -> dict:
        """The evaluation cached at path, or a new one when there is none, it was judged by
        another success rule (evaluations before the speed window have no speed_window_steps) or
        still_valid(report) is false (prior_only evaluated with another prior)."""
        if path.exists():
            report = json.loads(path.read_text())
            if same_success_rule(report) and still_valid(report):
                return report
        report = compute()
        write_json(path, report)
        return report

    def _ood(self, method: str, task: str, token: Path | None, kind: str, values: tuple[float, ...]) -> dict:
        """Success and mean episode length at each scale of one physics quantity: one batched
        sweep (eval/task.py TaskSweep), cached beside the run; recomputed when the values or
        episodes differ."""
        folder = self.runs / f"{task}_prior_only" if method == "prior_only" else token.parent
        path = folder / f"ood_{kind}.json"
        want = [str(v) for v in values]
        if path.exists():
            rep = json.loads(path.read_text())
            if list(rep["success_rate"]) == want and rep["episodes"] == self.ood_episodes and same_success_rule(rep):
                return rep
        return TaskSweep(task=task, method=method, token=token, bfm=self.bfm, kind=kind, values=values, episodes=self.ood_episodes,
                         episode_steps=self.episode_steps, json=path).run()

    # --- plots ---------------------------------------------------------------------------------
    def _plots(self, results: dict) -> list[str]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import EngFormatter

        self.plots_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        fig, axes = plt.subplots(2, len(self.tasks), figsize=(4 * len(self.tasks), 6.0), squeeze=False)
        for row, key in enumerate(("curves", "return_curves")):  # success (top) and training return (bottom)
            for ax, task in zip(axes[row], self.tasks, strict=True):
                for method, per_task in results[key].items():
                    if task in per_task:
                        xs, ys = mean_curve(per_task[task])
                        ax.plot(xs, ys, marker="o", label=method, color=self._color(method))
                ax.set_title(task)
                ax.set_xlabel("samples")
                ax.xaxis.set_major_formatter(EngFormatter())
                if key == "curves":
                    ax.set_ylim(-0.02, 1.02)
        axes[0][0].set_ylabel("success")
        axes[1][0].set_ylabel("training return")
        self._legend(fig, axes)
        paths.append(self._save(fig, "convergence.png"))
        for kind in OOD_KINDS:  # success (top) and time upright (bottom) against the scale
            fig, axes = plt.subplots(2, len(self.tasks), figsize=(4 * len(self.tasks), 6.0), squeeze=False)
            for row, (key, scale, label) in enumerate((("ood", 1.0, "success"), ("ood_steps", self.episode_steps, "steps upright / episode"))):
                for ax, task in zip(axes[row], self.tasks, strict=True):
                    for method, per_task in results[key][kind].items():
                        if per_task.get(task):
                            pts = sorted((float(k), v / scale) for k, v in per_task[task].items())
                            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method, color=self._color(method))
                    ax.set_title(f"{task}: {kind} scale")
                    ax.set_ylim(-0.02, 1.02)
                axes[row][0].set_ylabel(label)
            self._legend(fig, axes)
            paths.append(self._save(fig, f"ood_{kind}.png"))
        plt.close("all")
        return paths

    def _color(self, method: str) -> str:
        """One colour per method in every panel (panels without some methods keep the others')."""
        return f"C{self._order.index(method) % 10}"

    @staticmethod
    def _legend(fig, axes) -> None:
        """One legend for the figure, with every method that appears in any panel."""
        handles = {}
        for ax in axes.flat:
            for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(label, h)
        fig.tight_layout(rect=(0, 0, 0.9, 1))
        fig.legend(handles.values(), handles.keys(), loc="center right", fontsize=8)

    def _save(self, fig, name: str) -> str:
        path = self.plots_dir / name
        fig.savefig(path, dpi=90)
        return str(path)


def training_returns(run: Path) -> list[tuple[int, float]]:
    """(samples, running mean episode return) along a run, from its TensorBoard log
    (train/episode_return, every log file of a resumed run)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
    acc.Reload()
    if "train/episode_return" not in acc.Tags()["scalars"]:
        return []
    return sorted((e.step, e.value) for e in acc.Scalars("train/episode_return"))


def return_at(log: list[tuple[int, float]], samples: int) -> float:
    """The last logged return at or before `samples` (nan when none)."""
    before = [v for x, v in log if x <= samples]
    return before[-1] if before else float("nan")


def mean_curve(curves: list[list[tuple[int, float]]]) -> tuple[list[int], list[float]]:
    """Mean success over seeds at each evaluated sample count."""
    xs = [x for x, _ in curves[0]]
    return xs, [statistics.fmean(c[i][1] for c in curves) for i in range(len(xs))]


def samples_to_90(curves: list[list[tuple[int, float]]]) -> int | None:
    """First evaluated sample count whose mean success reaches 90% of the final mean success."""
    xs, ys = mean_curve(curves)
    if not ys or ys[-1] <= 0:
        return None
    return next(x for x, y in zip(xs, ys, strict=True) if y >= 0.9 * ys[-1])


def render_markdown(results: dict, cfg: ReportConfig) -> str:
    """docs/results.md: the tables and the plots."""
    b = results["budget"]
    lines = ["# Results: Task Tokens against baselines", "",
             f"Generated by `tasktokens report` with budget: {b['samples']:,} samples per run in {b['stages']} stages, "
             f"{b['seeds']} seeds for {' and '.join(b.get('seeded_rows', LEGACY_SEEDED_ROWS))} ({b['seeds_other']} otherwise), {b['episodes']} evaluation episodes, "
             f"{b['ood_episodes']} per out-of-distribution point. BFM: `{results.get('bfm', 'not recorded')}`. Machine: {results.get('machine', 'not recorded')}. "
             f"Commit: {results.get('commit') or 'not recorded'}."
             + "".join(f" Re-run later (`--keep-other-methods`): {m}, {when}." for m, when in results.get("reruns", {}).items()), "",
             "## Success (mean +- std over seeds)", "", "| method | " + " | ".join(cfg.tasks) + " | params | samples to 90% |",
             "| --- | " + " | ".join("---" for _ in cfg.tasks) + " | --- | --- |"]
    for method, per_task in results["success"].items():
        cells = [f"{per_task[t]:.2f} +- {results['success_std'][method][t]:.2f}" if t in per_task else "-" for t in cfg.tasks]
        params = max(results["params"][method].values())
        s90 = ", ".join(f"{t}: {v:,}" if v is not None else f"{t}: -" for t, v in results["samples_to_90"][method].items())
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {params:,} | {s90} |")
    lines += ["", "## Training return at the end of the budget (mean +- std over seeds)", "",
              "Running mean return of the training episodes that ended (trainer's `train/episode_return`). Training episodes "
              "last up to 300 steps, so while a run has taken fewer steps per environment than that, only falls end episodes: "
              "a policy that rarely falls scores near 0 here (see the time upright in the out-of-distribution plots).", "",
              "| method | " + " | ".join(cfg.tasks) + " |", "| --- | " + " | ".join("---" for _ in cfg.tasks) + " |"]
    for method, per_task in results["return"].items():
        cells = [f"{per_task[t]:.1f} +- {results['return_std'][method][t]:.1f}" if t in per_task else "-" for t in cfg.tasks]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", "## Naturalness (nearest-neighbour distance to the motion data; lower is more natural)", "",
              "| method | " + " | ".join(cfg.tasks) + " |", "| --- | " + " | ".join("---" for _ in cfg.tasks) + " |"]
    for method, per_task in results["naturalness"].items():
        lines.append(f"| {method} | " + " | ".join(f"{per_task[t]:.2f}" if t in per_task else "-" for t in cfg.tasks) + " |")
    lines += ["", "## Out of distribution (mean success over each sweep; curves in the plots)", "",
              "| method | task | " + " | ".join(OOD_KINDS) + " |", "| --- | --- | " + " | ".join("---" for _ in OOD_KINDS) + " |"]
    for method, per_task in results["success"].items():
        for task in per_task:
            sweeps = [results["ood"][k].get(method, {}).get(task, {}) for k in OOD_KINDS]
            lines.append(f"| {method} | {task} | " + " | ".join(f"{statistics.fmean(s.values()):.2f}" if s else "-" for s in sweeps) + " |")
    lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({Path(p).relative_to(cfg.out_md.parent) if Path(p).is_relative_to(cfg.out_md.parent) else p})"
                                     for p in results["plots"]]
    if cfg.discussion is not None and Path(cfg.discussion).exists():
        lines += ["", Path(cfg.discussion).read_text().strip()]
    return "\n".join(lines) + "\n"

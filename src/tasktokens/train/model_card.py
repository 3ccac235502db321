"""`tasktokens ship`: copy a run's checkpoint and resolved config into a shipped folder and write
its model card (data and licences, samples, wall time, machine, evaluation results)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from tasktokens.character import get_character
from tasktokens.machine import describe_machine
from tasktokens.motion.licences import is_non_commercial, licence_of
from tasktokens.train.checkpoint import CONFIG, STATE, STATE_JSON, WEIGHTS, load_weights, resolve_saved_path
from tasktokens.train.curve import CURVE, curve_table

console = Console(stderr=True)


def git_commit() -> str | None:
    """The repository's HEAD commit (None outside a git checkout): what a report's figures came from."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass
class Ship:
    """Ship a trained run: checkpoint + resolved config + MODEL_CARD.md."""

    run_dir: Path
    """Run folder (with checkpoint.safetensors and config.json)."""
    out: Path
    """Destination folder (e.g. checkpoints/tracker)."""
    eval_json: Path
    """Evaluation report (JSON) of this checkpoint, written by the eval command."""
    eval_command: str
    """The command that produced eval_json, quoted in the card."""
    title: str = "tasktokens tracker"
    """Title of the model card."""
    train_command: str = ""
    """The command that trained the run, quoted in the card."""
    notes: str = ""
    """Free text added to the card (limitations, what is left)."""
    machine: str | None = None
    """Where the run was trained, for runs that moved between machines (e.g. resumed on a lent
    GPU); default: this machine."""
    character: str = "humanoid3d"

    def run(self) -> Path:
        return ship(self)


def bfm_is_non_commercial(bfm: Path) -> bool:
    """Whether the model card beside a BFM checkpoint opens with the non-commercial notice that
    `ship` writes (the card, not the BFM's clips, is read: those may live in a run folder that
    only the machine that trained it has)."""
    card = resolve_saved_path(bfm).parent / "MODEL_CARD.md"
    return card.is_file() and any(line.startswith("**Non-commercial**") for line in card.read_text().splitlines()[:6])


def _per_clip_table(per_clip: dict) -> list[str]:
    """Markdown rows of a per-clip breakdown: a tracker's (success) or a BFM's (the teacher's and
    the full-goal student's success on the same episodes)."""
    if not per_clip:
        return []
    if all("full_goal_success" in r for r in per_clip.values()):
        rows = ["", "| clip | teacher success | full-goal success | MPJPE (mm) | episodes |", "| --- | --- | --- | --- | --- |"]
        return rows + [f"| {n} | {r['teacher_success']:.2f} | {r['full_goal_success']:.2f} | {r['mpjpe_mm']:.0f} | {r['episodes']} |"
                       for n, r in per_clip.items()]
    rows = ["", "| clip | success | MPJPE (mm) | episodes |", "| --- | --- | --- | --- |"]
    return rows + [f"| {n} | {r['success_rate']:.2f} | {r['mpjpe_mm']:.0f} | {r['episodes']} |" for n, r in per_clip.items()]


def ship(cfg: Ship) -> Path:
    """Copy the run's files into cfg.out and write MODEL_CARD.md; returns the card's path."""
    char = get_character(cfg.character)
    src = Path(cfg.run_dir)
    _tensors, meta = load_weights(src / WEIGHTS, char)
    cfg.out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / WEIGHTS, cfg.out / WEIGHTS)
    shutil.copy2(src / CONFIG, cfg.out / CONFIG)
    for name in (STATE, STATE_JSON, CURVE):  # the training state that continues these weights and its curve, or none
        if (src / name).exists():
            shutil.copy2(src / name, cfg.out / name)
        else:
            (cfg.out / name).unlink(missing_ok=True)
    report = json.loads(Path(cfg.eval_json).read_text())
    shutil.copy2(cfg.eval_json, cfg.out / "eval.json")
    from tasktokens.motion.clip import find_clip_files, load_clip
    from tasktokens.motion.motion_lib import default_motion_paths

    config = meta["config"]  # a distillation names its clips at the top, a tracker in its env
    if "task" in config:  # a task token: its episodes start from the tasks' default clips
        from tasktokens.tasks.base import default_init_clips

        clips = default_init_clips()
    else:
        motions = config.get("motions") or config.get("env", {}).get("motions") or [str(p) for p in default_motion_paths()]
        clips = find_clip_files(motions)
    # by each clip's recorded source: a derived .npz (`motion hold`, `motion convert`) names the file it came from
    loaded = [load_clip(c, char) for c in clips]
    licences = sorted({clip.licence or licence_of(clip.source) for clip in loaded})
    size_mb = (cfg.out / WEIGHTS).stat().st_size / 1e6
    lines = [
        f"# {cfg.title}",
        "",
        f"- Character: `{char.name}` ({char.metadata.get('source', '')}); checkpoint `{WEIGHTS}` ({size_mb:.1f} MB), resolved config `{CONFIG}`.",
        f"- Trained for {meta.get('samples', 0):,} environment steps ({meta.get('iteration', 0)} training iterations) in "
        f"{meta.get('wall_seconds', 0) / 3600:.2f} h of wall time on {cfg.machine or describe_machine()}.",
        f"- Data: {len(clips)} clips; licences: {'; '.join(licences)}.",
    ]
    if "task" in config:
        lines.insert(3, f"- Task `{config['task']}`, method `{config.get('method', 'task_tokens')}`{' with the prior' if config.get('prior') else ''}, "
                        f"trained through the frozen BFM `{config.get('bfm')}`; episodes start from reference states of the clips below.")
    restricted = [lic for lic in licences if is_non_commercial(lic)]
    if restricted:  # first, under the title: whoever picks the model up must see it
        lines.insert(2, f"**Non-commercial**: trained on clips licensed for non-commercial use only ({'; '.join(restricted)}); "
                        "this model inherits the restriction.\n")
    elif "task" in config and bfm_is_non_commercial(Path(config.get("bfm", ""))):  # a token acts only through its BFM
        lines.insert(2, f"**Non-commercial**: it acts through the BFM `{config['bfm']}`, which was trained on clips licensed for "
                        "non-commercial use only (that BFM's model card); this token inherits the restriction.\n")
    if cfg.train_command:
        lines += ["", "## Training", "", f"```bash\n{cfg.train_command}\n```"]
    lines += ["", "## Results", "", f"```bash\n{cfg.eval_command}\n```", ""]
    lines += ["| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in report.items() if not isinstance(v, dict)]
    lines += _per_clip_table(report.get("per_clip", {}))
    curve = curve_table(cfg.out / CURVE)
    if curve:
        lines += ["", "### Learning curve", "", *curve]
    lines += ["", "## Clips", "", ", ".join(c.stem for c in clips)]
    if cfg.notes:
        lines += ["", "## Notes", "", cfg.notes]
    (cfg.out / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")
    console.print(f"shipped {src} -> {cfg.out}")
    return cfg.out / "MODEL_CARD.md"


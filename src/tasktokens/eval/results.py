"""`tasktokens results`: the results table of the shipped task tokens, read from their folders.

One row per task: the shipped policy the README calls that task's best (`BEST_POLICIES`), with
what its files record and nothing re-measured:

- `eval.json` (written by `tasktokens eval task`, copied by `tasktokens ship`): method, success
  rate (per command segment: successful segments / judged segments, `tasks/rewards.py`
  SegmentSuccess; newer reports also name the unit, `success_unit`), episodes, samples trained;
- `train_state.json` (the training state): wall time of training (`wall_seconds`);
- `config.json` (the resolved training config): the frozen BFM the token runs on (`bfm`);
- `MODEL_CARD.md`: the machine, which no JSON file records: the card's "Trained for ... of wall
  time on MACHINE." line, summarised (`machine_summary`).

The paper's figures are Table 1 of Vainshtein et al., "Task Tokens" (arXiv 2503.22886).
Imports nothing heavy: the table prints in well under a second.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from tasktokens.eval.report import write_json
from tasktokens.paths import REPO_ROOT

PAPER_SUCCESS: dict[str, float] = {"direction": 0.993, "steering": 0.887, "reach": 0.949, "strike": 0.766, "long_jump": 0.998}
"""Success of Task Tokens per task in Table 1 of the Task Tokens paper (about 131M samples per task,
a BFM distilled from AMASS)."""

BEST_POLICIES: dict[str, str] = {
    "direction": "direction_prior",
    "steering": "steering_prior",
    "reach": "reach_prior",
    "strike": "strike",
    "long_jump": "long_jump_prior",
}
"""Task -> folder under checkpoints/tokens/ of the shipped policy that scores best on it."""

SHIPPED_TOKENS = REPO_ROOT / "checkpoints" / "tokens"
"""Where shipped task tokens live, one folder per policy."""


class ResultsError(ValueError):
    """A shipped folder lacks a file the table needs, or the file cannot be read; the message names
    the file (a ValueError: the command line reports it in one line, exit status 2)."""


@dataclass
class ResultRow:
    """One task's shipped policy, as its files record it."""

    task: str
    """Task name."""
    policy: str
    """Folder under checkpoints/tokens/."""
    method: str
    """Evaluation method (task_tokens, task_tokens_prior: the token beside the hand-written prior)."""
    success: float
    """Success rate per command segment (eval.json `success_rate`)."""
    success_unit: str
    """What `success` counts (eval.json `success_unit`; reports written before it existed count
    command segments too)."""
    episodes: int
    """Evaluation episodes behind `success`."""
    paper: float
    """The paper's Task Tokens success on the task (`PAPER_SUCCESS`)."""
    samples: int
    """Environment steps the token was trained for (eval.json `samples_trained`)."""
    wall_hours: float
    """Wall time of training in hours (train_state.json `wall_seconds`)."""
    machine: str
    """Where it was trained, summarised from the model card (`machine_summary`)."""
    machine_detail: str
    """The model card's own words for the machine."""
    bfm: str
    """The frozen BFM it runs on (config.json `bfm`), as a version: v1 = checkpoints/bfm."""
    bfm_path: str
    """config.json's `bfm` as written."""


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise ResultsError(f"{path}: missing (the results table reads it; tasktokens ship writes it)")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path}: not readable JSON ({err})") from err
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _field(data: dict, key: str, path: Path, kind: type | tuple[type, ...]):
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ResultsError(f"{path}: no valid {key!r} (found {value!r})")
    return value


def bfm_version(path: str) -> str:
    """'checkpoints/bfm_v4/checkpoint.safetensors' -> 'v4'; checkpoints/bfm/ is v1; any other
    path is returned as it is."""
    match = re.search(r"checkpoints/bfm(?:_v(\d+))?/", path.replace("\\", "/"))
    if not match:
        return path
    return f"v{match.group(1) or 1}"


def machine_summary(text: str) -> str:
    """A short name for a model card's machine description: '2-core CPU' when it trained on the
    2-core machines, the CPU vendors named, and any lent GPUs (e.g. '2-core CPU + lent H200, H100').
    A description matching none of these comes back as it is."""
    parts = []
    if re.search(r"\b2[ -](?:CPU )?cores?\b|\b2 vCPUs\b", text):
        vendors = [v for v in ("Intel Xeon", "AMD EPYC") if v in text]
        parts.append("2-core CPU" + (f" ({', '.join(vendors)})" if vendors else ""))
    gpus = list(dict.fromkeys(re.findall(r"\b([AHB]\d{2,3})\b", text)))
    if gpus:
        parts.append("lent " + ", ".join(gpus))
    return " + ".join(parts) if parts else text


def card_machine(card: Path) -> str:
    """The machine of a model card's 'Trained for ... of wall time on MACHINE.' line."""
    if not card.is_file():
        raise ResultsError(f"{card}: missing (the results table reads the machine from it)")
    for line in card.read_text().splitlines():
        match = re.search(r"of wall time (?:in [^:]*?)?on (.+?)\.?$", line) if line.startswith("- Trained for") else None
        if match:
            return match.group(1).strip()
    raise ResultsError(f"{card}: no '- Trained for ... of wall time on MACHINE' line")


def read_row(task: str, folder: Path) -> ResultRow:
    """The row of one shipped policy folder."""
    report_path, state_path, config_path = folder / "eval.json", folder / "train_state.json", folder / "config.json"
    report = _read_json(report_path)
    state = _read_json(state_path)
    config = _read_json(config_path)
    if report.get("task") != task:
        raise ResultsError(f"{report_path}: evaluates task {report.get('task')!r}, expected {task!r}")
    detail = card_machine(folder / "MODEL_CARD.md")
    bfm_path = _field(config, "bfm", config_path, str)
    return ResultRow(
        task=task,
        policy=folder.name,
        method=_field(report, "method", report_path, str),
        success=float(_field(report, "success_rate", report_path, (int, float))),
        success_unit=report.get("success_unit", "command segment"),
        episodes=_field(report, "episodes", report_path, int),
        paper=PAPER_SUCCESS[task],
        samples=_field(report, "samples_trained", report_path, int),
        wall_hours=float(_field(state, "wall_seconds", state_path, (int, float))) / 3600,
        machine=machine_summary(detail),
        machine_detail=detail,
        bfm=bfm_version(bfm_path),
        bfm_path=bfm_path,
    )


def read_rows(tokens_dir: Path = SHIPPED_TOKENS, policies: dict[str, str] | None = None) -> list[ResultRow]:
    """One row per task, in the paper's order."""
    return [read_row(task, Path(tokens_dir) / folder) for task, folder in (policies or BEST_POLICIES).items()]


HEADER = ("task", "shipped policy", "method", "success per segment", "paper (Table 1)", "episodes", "samples", "wall time", "machine", "BFM")


def _cells(row: ResultRow, markdown: bool = False) -> tuple[str, ...]:
    return (row.task, f"`{row.policy}`" if markdown else row.policy, row.method, f"{row.success:.3f}", f"{row.paper:.3f}", f"{row.episodes:,}",
            f"{row.samples / 1e6:.2f}M", f"{row.wall_hours:.2f} h", row.machine, row.bfm)


def markdown_table(rows: list[ResultRow]) -> str:
    """The rows as a Markdown table (what the README shows)."""
    lines = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join("---" for _ in HEADER) + " |"]
    lines += ["| " + " | ".join(_cells(r, markdown=True)) + " |" for r in rows]
    return "\n".join(lines)


def text_table(rows: list[ResultRow]) -> str:
    """The rows as aligned plain text."""
    table = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table)


@dataclass
class ResultsTable:
    """Print the results table of the shipped task tokens (one row per task: its best shipped
    policy's success per command segment beside the paper's, samples, wall time, machine, BFM),
    read from checkpoints/tokens/*/ (eval.json, train_state.json, config.json, MODEL_CARD.md)."""

    markdown: bool = False
    """Print a Markdown table (as pasted into the README) instead of plain text."""
    json: Path | None = None
    """Also write {"rows": [...], "paper": ..., "source": ...} here."""
    tokens_dir: Path = SHIPPED_TOKENS
    """Folder of the shipped policies (one folder per policy)."""

    def run(self) -> list[ResultRow]:
        rows = read_rows(self.tokens_dir)
        print(markdown_table(rows) if self.markdown else text_table(rows))
        write_json(self.json, {"rows": [asdict(r) for r in rows], "paper": PAPER_SUCCESS,
                               "source": "eval.json, train_state.json, config.json and MODEL_CARD.md of each shipped policy"})
        return rows

"""Success against samples during `tasktokens adapt` (`--curve-every N --curve-episodes E`).

Every N samples the run saves its checkpoint and evaluates it on E deterministic episodes (the
`tasktokens eval task` rule, seed fixed, so the points of a curve are comparable); the points go to
curve.json in the run folder (kept across --resume) and to TensorBoard as eval/success_rate.
Sample efficiency is what Task Tokens claim, so a shipped token's card carries its curve.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

CURVE = "curve.json"


@dataclass
class CurvePoint:
    samples: int
    """Training samples when the checkpoint was evaluated."""
    success_rate: float
    """Per command segment (eval task's success_rate)."""
    episode_success_rate: float
    """Episodes whose every judged segment succeeded."""
    segments: int
    wall_seconds: float
    """Training wall time at the checkpoint (evaluations not counted)."""
    mean_episode_steps: float | None = None
    """Mean evaluation episode length in control steps (a fall ends one early; None in curves
    written before 2026-12-07)."""


@dataclass
class SuccessCurve:
    path: Path
    every: int
    """Samples between evaluations (0: off)."""
    episodes: int
    points: list[CurvePoint] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path, every: int, episodes: int) -> SuccessCurve:
        """The run folder's curve so far (none yet: empty)."""
        path = Path(folder) / CURVE
        points = []
        if path.exists():
            points = [CurvePoint(**p) for p in json.loads(path.read_text())["points"]]
        return cls(path, every, episodes, points)

    def due(self, samples: int) -> bool:
        """An evaluation is due: samples crossed a multiple of `every` since the last point."""
        if self.every <= 0:
            return False
        last = self.points[-1].samples if self.points else 0
        return samples // self.every > last // self.every

    def add(self, samples: int, report: dict, wall_seconds: float) -> CurvePoint:
        """Record an evaluation report (eval task's JSON dict) and write the file."""
        point = CurvePoint(samples, float(report["success_rate"]), float(report["episode_success_rate"]), int(report["segments"]),
                           round(wall_seconds, 1), report.get("mean_episode_steps"))
        self.points.append(point)
        self.path.write_text(json.dumps({"every": self.every, "episodes": self.episodes, "points": [asdict(p) for p in self.points]}, indent=1))
        return point


def curve_table(path: Path) -> list[str]:
    """Markdown rows of a curve.json (a model card's learning curve); [] when there is none."""
    path = Path(path)
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    lines = [f"Success on {data['episodes']} deterministic episodes every {data['every']:,} samples (curve.json):", "",
             "| samples | success per segment | episodes succeeded | mean episode steps | wall time |", "| --- | --- | --- | --- | --- |"]
    for p in data["points"]:
        steps = "-" if p.get("mean_episode_steps") is None else f"{p['mean_episode_steps']:.0f}"
        lines.append(f"| {p['samples']:,} | {p['success_rate']:.3f} | {p['episode_success_rate']:.3f} | {steps} | {p['wall_seconds'] / 3600:.2f} h |")
    return lines

"""The `tasktokens` command: `tasktokens GROUP [COMMAND] [--flags]`.

Each command is a typed dataclass parsed by tyro, with a ``run()`` method.
"""

from __future__ import annotations

import sys

import tyro

from tasktokens.cli.bench import BenchSim
from tasktokens.cli.motion import MotionCheck, MotionConvert, MotionHold, MotionImport, PlayMotion
from tasktokens.cli.motion_coverage import MotionCoverage
from tasktokens.cli.motion_synth import MotionSynthReach
from tasktokens.eval.bfm import BFMEval
from tasktokens.eval.compare import ReportConfig
from tasktokens.eval.export import ExportOnnx
from tasktokens.eval.probes import ProbeEval
from tasktokens.eval.switch import TokenSwitch
from tasktokens.eval.task import PlayTask, TaskEval, TaskSweep
from tasktokens.eval.tracker import PlayTracker, TrackerEval
from tasktokens.motion.clip import ClipError
from tasktokens.train.adapt import AdaptConfig
from tasktokens.train.checkpoint import CheckpointError
from tasktokens.train.distill import DistillConfig
from tasktokens.train.model_card import Ship
from tasktokens.train.tracker import TrackerTrainConfig
from tasktokens.viz.serve import View

# command words -> config class; the longest match of the leading words wins.
COMMANDS: dict[tuple[str, ...], type] = {
    ("motion", "check"): MotionCheck,
    ("motion", "convert"): MotionConvert,
    ("motion", "import"): MotionImport,
    ("motion", "coverage"): MotionCoverage,
    ("motion", "synth", "reach"): MotionSynthReach,
    ("motion", "hold"): MotionHold,
    ("bench", "sim"): BenchSim,
    ("play-motion",): PlayMotion,
    ("pretrain", "tracker"): TrackerTrainConfig,
    ("pretrain", "bfm"): DistillConfig,
    ("adapt",): AdaptConfig,
    ("eval", "tracker"): TrackerEval,
    ("eval", "bfm"): BFMEval,
    ("eval", "probes"): ProbeEval,
    ("eval", "task"): TaskEval,
    ("eval", "sweep"): TaskSweep,
    ("eval", "switch"): TokenSwitch,
    ("play",): PlayTask,
    ("play-tracker",): PlayTracker,
    ("ship",): Ship,
    ("export", "onnx"): ExportOnnx,
    ("view",): View,
    ("report",): ReportConfig,
}


def _usage() -> str:
    lines = ["usage: tasktokens COMMAND [--help]", "", "commands:"]
    for words, cls in COMMANDS.items():
        lines.append(f"  {' '.join(words):<22} {(cls.__doc__ or '').strip().splitlines()[0]}")
    return "\n".join(lines)


def run(argv: list[str] | None = None):
    """Parse the command line and run the command; returns what the command returns."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for n in (3, 2, 1):
        words = tuple(argv[:n])
        if words in COMMANDS:
            cls = COMMANDS[words]
            config = tyro.cli(cls, args=argv[n:], prog=f"tasktokens {' '.join(words)}", description=cls.__doc__)
            return config.run()
    print(_usage(), file=sys.stderr)
    raise SystemExit(0 if argv[:1] in (["-h"], ["--help"]) else 2)


USER_ERRORS = (ClipError, CheckpointError, KeyError, ValueError, FileNotFoundError, NotImplementedError)
"""Errors caused by input (files, names, config values): reported in one line, exit status 2."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point (returns nothing, so the exit status is 0 on success)."""
    try:
        run(argv)
    except USER_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"tasktokens: error: {message}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

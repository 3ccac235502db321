"""The `tasktokens` command: `tasktokens GROUP [COMMAND] [--flags]`.

Each command is a typed dataclass parsed by tyro, with a ``run()`` method.
"""

from __future__ import annotations

import importlib
import sys

# command words -> (module, config class, one-line description); the longest match of the leading
# words wins. A command's module is imported only when it runs (or prints its own --help), so
# `tasktokens --help` answers without loading torch or MuJoCo. tests/cli checks that every entry
# resolves to a class with a run() method.
COMMANDS: dict[tuple[str, ...], tuple[str, str, str]] = {
    ("motion", "check"): ("tasktokens.cli.motion", "MotionCheck", "Load every clip under the paths, play it through the kinematics and report failures."),
    ("motion", "convert"): ("tasktokens.cli.motion", "MotionConvert", "Convert DeepMimic .txt clips to the project's .npz format."),
    ("motion", "import"): ("tasktokens.cli.motion", "MotionImport", "Import motion from other formats (BVH retargeted by IK, SkeletonMotion .npy, DeepMimic .txt) as .npz clips."),
    ("motion", "export"): ("tasktokens.cli.motion", "MotionExport", "Write clips as BVH files of the character's own skeleton."),
    ("motion", "coverage"): ("tasktokens.cli.motion_coverage", "MotionCoverage", "Report what the clips cover, per skill and per task (speeds, turns, reach, leaps)."),
    ("motion", "synth", "reach"): ("tasktokens.cli.motion_synth", "MotionSynthReach", "Synthesize standing hand-reach clips to the reach task's targets by IK."),
    ("motion", "synth", "steps"): ("tasktokens.cli.motion_synth", "MotionSynthSteps", "Synthesize side and backward steps with a square pelvis by IK on a footstep plan."),
    ("motion", "hold"): ("tasktokens.cli.motion", "MotionHold", "Derive clips that end in a held pose."),
    ("motion", "splice"): ("tasktokens.cli.motion_derive", "MotionSplice", "Make a transition clip: a window of one clip cross-faded into a window of another."),
    ("motion", "mirror"): ("tasktokens.cli.motion_derive", "MotionMirror", "Write clips mirrored left/right."),
    ("bench", "sim"): ("tasktokens.cli.bench", "BenchSim", "Measure environment steps/s against raw MuJoCo physics steps/s."),
    ("play-motion",): ("tasktokens.cli.motion", "PlayMotion", "Play a clip through the simulator and write a video."),
    ("pretrain", "tracker"): ("tasktokens.train.tracker", "TrackerTrainConfig", "Train the full-body tracker (the BFM's teacher)."),
    ("pretrain", "bfm"): ("tasktokens.train.distill", "DistillConfig", "Distil the tracker into the BFM."),
    ("adapt",): ("tasktokens.train.adapt_config", "AdaptConfig", "Train a task token for one task on the frozen BFM, then evaluate it and render a video."),
    ("eval", "tracker"): ("tasktokens.eval.tracker", "TrackerEval", "Evaluate a tracker: success rates and MPJPE, overall, on locomotion and per clip."),
    ("eval", "bfm"): ("tasktokens.eval.bfm", "BFMEval", "Evaluate a BFM: teacher, full-goal and sparse-goal success, MPJPE."),
    ("eval", "probes"): ("tasktokens.eval.probes", "ProbeEval", "Probe a BFM's zero-shot skills under hand-written goals (no task token)."),
    ("eval", "token-reach"): ("tasktokens.eval.token_reach", "TokenReachEval", "Measure what one free token makes a frozen BFM do, against hand-written goals."),
    ("eval", "task"): ("tasktokens.eval.task", "TaskEval", "Measure the success rate of a method on a task."),
    ("eval", "sweep"): ("tasktokens.eval.task", "TaskSweep", "Measure a method's success under scaled gravity, friction or body mass."),
    ("eval", "switch"): ("tasktokens.eval.switch", "TokenSwitch", "Measure the success of task tokens switched at run time, task after task."),
    ("play",): ("tasktokens.eval.task", "PlayTask", "Render a video of a method on a task, with the task's markers."),
    ("play-tracker",): ("tasktokens.eval.tracker", "PlayTracker", "Render a video of the tracker following a clip."),
    ("ship",): ("tasktokens.train.model_card", "Ship", "Ship a trained run: checkpoint, resolved config and MODEL_CARD.md."),
    ("export", "onnx"): ("tasktokens.eval.export", "ExportOnnx", "Export a task's policy (frozen BFM and token, and/or prior) to ONNX."),
    ("view",): ("tasktokens.viz.serve", "View", "Serve recorded rollouts in the web viewer."),
    ("report",): ("tasktokens.eval.compare", "ReportConfig", "Run (or reuse) the whole comparison and write the report."),
    ("results",): ("tasktokens.eval.results", "ResultsTable", "Print the results table of the shipped task tokens (success beside the paper's, samples, wall time, machine, BFM)."),
}


def command_class(words: tuple[str, ...]) -> type:
    """The config class of a command (imports its module)."""
    module, name, _ = COMMANDS[words]
    return getattr(importlib.import_module(module), name)


def _usage() -> str:
    lines = ["usage: tasktokens COMMAND [--help]", "", "commands:"]
    for words, (_, _, description) in COMMANDS.items():
        lines.append(f"  {' '.join(words):<22} {description}")
    lines += ["", "`tasktokens COMMAND --help` lists a command's options."]
    return "\n".join(lines)


def parse(argv: list[str]):
    """The config of the command in argv, parsed by tyro (None: no command matches)."""
    for n in (3, 2, 1):
        words = tuple(argv[:n])
        if words in COMMANDS:
            import tyro

            cls = command_class(words)
            # a command may choose its defaults from its own arguments (adapt: per task, and a
            # resumed run's saved prior)
            default = cls.cli_default(argv[n:]) if hasattr(cls, "cli_default") else None
            return tyro.cli(cls, args=argv[n:], default=default, prog=f"tasktokens {' '.join(words)}", description=cls.__doc__)
    return None


def run(argv: list[str] | None = None):
    """Parse the command line and run the command; returns what the command returns."""
    argv = list(sys.argv[1:] if argv is None else argv)
    config = parse(argv)
    if config is not None:
        return config.run()
    print(_usage(), file=sys.stderr)
    if argv[:1] in (["-h"], ["--help"]):
        raise SystemExit(0)
    if argv:
        words = [w for w in argv[:3] if not w.startswith("-")] or argv[:1]
        print(f"tasktokens: error: unknown command {' '.join(words)!r}", file=sys.stderr)
    raise SystemExit(2)


USER_ERRORS = (KeyError, ValueError, FileNotFoundError, NotImplementedError)
"""Errors caused by input (files, names, config values): reported in one line, exit status 2
(ClipError, CheckpointError and TaskRegistryError are ValueErrors)."""


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

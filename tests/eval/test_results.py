"""`tasktokens results`: the table of the shipped task tokens, checked against their own files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tasktokens.cli.main import main
from tasktokens.eval.results import ResultsError, bfm_version, machine_summary, read_rows
from tasktokens.paths import REPO_ROOT

TOKENS = REPO_ROOT / "checkpoints" / "tokens"
# the README's best shipped policy per task, written out here rather than imported
BEST = {"direction": "direction_prior", "steering": "steering_prior", "reach": "reach_prior", "strike": "strike", "long_jump": "long_jump_prior"}
PAPER = {"direction": 0.993, "steering": 0.887, "reach": 0.949, "strike": 0.766, "long_jump": 0.998}
SMALL_FILES = ("eval.json", "train_state.json", "config.json", "MODEL_CARD.md")


def test_rows_match_the_shipped_files():
    rows = read_rows()
    assert [r.task for r in rows] == list(BEST)
    for row in rows:
        folder = TOKENS / BEST[row.task]
        report = json.loads((folder / "eval.json").read_text())
        state = json.loads((folder / "train_state.json").read_text())
        config = json.loads((folder / "config.json").read_text())
        assert row.policy == BEST[row.task]
        assert (row.method, row.success, row.episodes, row.samples) == (
            report["method"], report["success_rate"], report["episodes"], report["samples_trained"])
        assert row.wall_hours == pytest.approx(state["wall_seconds"] / 3600)
        assert row.bfm_path == config["bfm"]
        assert row.paper == PAPER[row.task]
        assert row.machine_detail in (folder / "MODEL_CARD.md").read_text()
    by_task = {r.task: r for r in rows}
    assert by_task["strike"].success == pytest.approx(0.659, abs=5e-4) and by_task["strike"].machine == "2-core CPU + lent H200, H100"
    assert by_task["reach"].bfm == "v6" and by_task["direction"].bfm == "v4"


def test_command_prints_markdown_and_writes_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    main(["results", "--markdown", "--json", str(out)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| task | shipped policy | method | success per segment | paper (Table 1) |")
    assert len(lines) == 2 + len(BEST)
    written = json.loads(out.read_text())
    for line, row in zip(lines[2:], written["rows"], strict=True):
        report = json.loads((TOKENS / BEST[row["task"]] / "eval.json").read_text())
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[:5] == [row["task"], f"`{BEST[row['task']]}`", report["method"], f"{report['success_rate']:.3f}", f"{PAPER[row['task']]:.3f}"]
        assert row["success"] == report["success_rate"]


@pytest.fixture()
def small_copy(tmp_path) -> Path:
    """The shipped policies' small files (no weights) in a folder of their own."""
    for folder in BEST.values():
        (tmp_path / folder).mkdir()
        for name in SMALL_FILES:
            shutil.copy(TOKENS / folder / name, tmp_path / folder / name)
    return tmp_path


def test_copy_reads_like_the_original(small_copy):
    assert read_rows(small_copy) == read_rows()


@pytest.mark.parametrize("damage", ["missing", "corrupt", "not_an_object", "no_success_rate"])
def test_a_bad_eval_json_is_one_error_naming_the_file(small_copy, capsys, damage):
    bad = small_copy / "strike" / "eval.json"
    if damage == "missing":
        bad.unlink()
    elif damage == "corrupt":
        bad.write_text('{"task": "strike", "success_rate": 0.6')
    elif damage == "not_an_object":
        bad.write_text("[0.6]")
    else:
        report = json.loads(bad.read_text())
        del report["success_rate"]
        bad.write_text(json.dumps(report))
    with pytest.raises(ResultsError, match=str(bad)):
        read_rows(small_copy)
    with pytest.raises(SystemExit) as exc:
        main(["results", "--tokens-dir", str(small_copy)])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no partial table
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tasktokens: error: ") and str(bad) in err[0]


def test_bfm_version_and_machine_summary():
    assert bfm_version("checkpoints/bfm/checkpoint.safetensors") == "v1"
    assert bfm_version("checkpoints/bfm_v5/checkpoint.safetensors") == "v5"
    assert bfm_version("/elsewhere/my_bfm.safetensors") == "/elsewhere/my_bfm.safetensors"
    assert machine_summary("x86_64, 2 CPU cores, no GPU, Linux") == "2-core CPU"
    assert machine_summary("2-core CPUs, no GPU: on an Intel Xeon VM, then on an AMD EPYC VM") == "2-core CPU (Intel Xeon, AMD EPYC)"
    assert machine_summary("a lent NVIDIA H200, this CPU (x86_64, 2 CPU cores), a lent H100") == "2-core CPU + lent H200, H100"
    assert machine_summary("a cluster of 8 nodes") == "a cluster of 8 nodes"

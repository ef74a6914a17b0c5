"""`townsquare notes score` on small TSV files."""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import pytest
from notes_world import NOW, World

from townsquare.notes import cli, tsv
from townsquare.notes import constants as c
from townsquare.notes.participants import ParticipantIds


def hex_id(code: int) -> str:
    return f"{code:064X}"


def write_world(world: World, directory: Path) -> dict[str, str]:
    """The world as public TSV files, participants as 64-character hex ids."""
    ids = ParticipantIds()
    top = int(max(world.ratings.rater_id.max(), world.notes.author_id.max()))
    for code in range(top + 1):
        ids.code(hex_id(code))
    paths = {name: str(directory / f"{name}.tsv") for name in ("notes", "ratings")}
    tsv.write_notes(paths["notes"], world.notes, ids)
    tsv.write_ratings(paths["ratings"], world.ratings, ids)
    return paths


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_score_writes_published_outputs(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_world(world, tmp_path)
    out = tmp_path / "out"
    argv = ["score", "--notes", paths["notes"], "--ratings", paths["ratings"]]
    assert cli.main([*argv, "--outdir", str(out), "--now-millis", str(NOW)]) == 0
    err = capsys.readouterr().err
    for phase in ("read", "prepare", "first fit", "helpfulness", "second fit", "statuses", "done"):
        assert f"notes score: {phase}" in err

    scored = read_rows(out / "scored_notes.tsv")
    assert list(scored[0]) == list(tsv.SCORED_NOTES_COLUMNS)
    by_id = {row["noteId"]: row for row in scored}
    assert by_id[str(world.target["both_like"])]["finalRatingStatus"] == c.CRH
    assert by_id[str(world.target["left_likes"])]["finalRatingStatus"] == c.NMR
    reject = by_id[str(world.target["both_reject"])]
    assert reject["finalRatingStatus"] == c.CRNH
    assert reject["decidedBy"] == c.RULE_CORE_MODEL
    assert reject["coreActiveRules"] == f"{c.RULE_INITIAL_NMR},{c.RULE_GENERAL_CRNH}"
    assert float(reject["coreNoteIntercept"]) < -0.05

    helpful = read_rows(out / "helpful_scores.tsv")
    assert list(helpful[0]) == list(tsv.HELPFUL_SCORES_COLUMNS)
    contrarian = {hex_id(r) for r in range(len(world.group)) if world.group[r] == 3}
    rows = {row["raterParticipantId"]: row for row in helpful}
    assert contrarian <= rows.keys()
    assert all(rows[p]["aboveHelpfulnessThreshold"] == "False" for p in contrarian)
    assert all(rows[p]["coreRaterIntercept"] == "" for p in contrarian)

    history = read_rows(out / "note_status_history.tsv")
    assert list(history[0]) == list(tsv.STATUS_HISTORY_COLUMNS)
    assert len(history) == len(world.notes)

    # The history feeds the next run; with nothing new, nothing changes.
    again = tmp_path / "again"
    status = ["--status", str(out / "note_status_history.tsv")]
    assert cli.main([*argv, *status, "--outdir", str(again), "--now-millis", str(NOW)]) == 0
    second = read_rows(again / "scored_notes.tsv")
    assert [r["finalRatingStatus"] for r in second] == [r["finalRatingStatus"] for r in scored]


def test_missing_input_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["score", "--notes", str(tmp_path / "nope.tsv"), "--ratings", str(tmp_path / "r.tsv")]
    assert cli.main([*argv, "--outdir", str(tmp_path / "out")]) == 2
    assert "error:" in capsys.readouterr().err


def test_register_adds_notes_score_to_a_parent_cli() -> None:
    parser = argparse.ArgumentParser(prog="townsquare")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["notes", "score", "--notes", "n", "--ratings", "r", "--outdir", "o", "--seed", "3"]
    )
    assert args.func is cli.run_score
    assert (args.notes, args.ratings, args.outdir, args.seed, args.status) == (
        "n", "r", "o", 3, None,
    )  # fmt: skip


def test_module_runs_standalone(world: World, tmp_path: Path) -> None:
    paths = write_world(world, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "townsquare.notes.cli", "score", "--notes", paths["notes"],
         "--ratings", paths["ratings"], "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "notes score: done" in proc.stderr
    assert (tmp_path / "out" / "scored_notes.tsv").exists()

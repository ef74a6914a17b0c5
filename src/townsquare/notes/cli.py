"""`townsquare notes score`: score the public Community Notes TSV files;
`townsquare notes export --outdir DIR`: this square's notes as those files.

    townsquare notes score --notes notes.tsv --ratings ratings.tsv \\
        --status noteStatusHistory.tsv --enrollment userEnrollment.tsv --outdir DIR

writes DIR/scored_notes.tsv, DIR/helpful_scores.tsv and DIR/note_status_history.tsv, and reports
each phase with its time on stderr.  Standalone: `python -m townsquare.notes.cli score ...`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from townsquare.notes import tsv
from townsquare.notes.scorer import score

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `notes score` and `notes export` to a parent CLI; the chosen command is in
    args.func(args) -> int."""
    notes = subparsers.add_parser("notes", help="community notes: scoring and data files")
    _add_commands(notes.add_subparsers(dest="notes_command", metavar="COMMAND", required=True))


def _add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="score notes from the public TSV files (the published core algorithm)",
        description="Score notes with the Community Notes core algorithm (docs/notes.md).",
    )
    p.add_argument("--notes", required=True, help="notes TSV (notes-00000.tsv)")
    p.add_argument("--ratings", required=True, help="ratings TSV, or a directory of them")
    p.add_argument("--status", help="noteStatusHistory TSV from the previous run")
    p.add_argument("--enrollment", help="userEnrollment TSV (read and checked, not used)")
    p.add_argument("--outdir", required=True, help="directory for the output TSV files")
    p.add_argument("--seed", type=int, default=0, help="seed of the factor initialisation")
    p.add_argument(
        "--now-millis",
        type=int,
        help="the run's time in epoch milliseconds (default: now); fixes replays",
    )
    p.set_defaults(func=run_score)

    e = sub.add_parser(
        "export",
        help="write townsquare's notes, ratings and status history as the published TSV files",
        description="Export this square's community notes in the public Community Notes format "
        "(notes, ratings, noteStatusHistory), ready for `townsquare notes score`.",
    )
    e.add_argument("--outdir", required=True, help="directory for the TSV files")
    e.add_argument("--data-dir", help="data directory (env TOWNSQUARE_DATA_DIR)")
    e.add_argument("--database-url", help="sqlite:///path or postgresql://...")
    e.set_defaults(func=run_export)


def _log(message: str) -> None:
    print(f"notes score: {message}", file=sys.stderr, flush=True)


def _timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    _log(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def run_score(args: argparse.Namespace) -> int:
    try:
        return _run_score(args)
    except (tsv.TsvError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run_score(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    now_millis = args.now_millis if args.now_millis is not None else int(time.time() * 1000)
    os.makedirs(args.outdir, exist_ok=True)
    ids = tsv.ParticipantIds()
    notes = _timed(f"read {args.notes}", lambda: tsv.read_notes(args.notes, ids))
    ratings = _timed(f"read {args.ratings}", lambda: tsv.read_ratings(args.ratings, ids))
    status = (
        _timed(f"read {args.status}", lambda: tsv.read_status_history(args.status, ids))
        if args.status
        else None
    )
    enrollment = (
        _timed(f"read {args.enrollment}", lambda: tsv.read_enrollment(args.enrollment, ids))
        if args.enrollment
        else None
    )
    _log(f"{len(notes)} notes, {len(ratings)} ratings, {len(ids)} participants")
    result = score(
        notes,
        ratings,
        status,
        enrollment,
        now_millis=now_millis,
        rng=np.random.default_rng(args.seed),
        progress=_log,
    )
    out = {
        name: os.path.join(args.outdir, name)
        for name in ("scored_notes.tsv", "helpful_scores.tsv", "note_status_history.tsv")
    }

    def write() -> None:
        tsv.write_scored_notes(out["scored_notes.tsv"], result.notes, now_millis)
        tsv.write_helpful_scores(out["helpful_scores.tsv"], result.raters, ids)
        tsv.write_status_history(out["note_status_history.tsv"], result.history, ids)

    _timed("write outputs", write)
    _log(f"done in {time.perf_counter() - start:.2f} s; wrote {', '.join(out.values())}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path
    from typing import Any

    from townsquare.config import Settings
    from townsquare.context import build_context
    from townsquare.notes.export import export
    from townsquare.store.migrate import upgrade

    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = Path(args.data_dir)
    if args.database_url:
        overrides["database_url"] = args.database_url
    settings = Settings.from_env(**overrides)
    upgrade(settings.resolved_database_url)

    async def run() -> int:
        ctx = build_context(settings)
        try:
            done = await export(ctx, args.outdir)
        finally:
            await ctx.db.dispose()
        print(f"{done.notes} notes, {done.ratings} ratings, {done.history} status rows: "
              + ", ".join(done.paths))
        return 0

    try:
        return asyncio.run(run())
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m townsquare.notes.cli", description="Community notes commands."
    )
    _add_commands(parser.add_subparsers(dest="notes_command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the community notes scorer on synthetic public-format TSV files.

    .venv/bin/python bench/notes_scorer.py                 # 300k and 10M ratings
    .venv/bin/python bench/notes_scorer.py --sizes 300000  # one size

For each size a first subprocess generates deterministic synthetic data (two opposed camps of
raters, neutral raters, contrarians; good, partisan, bad and lukewarm notes) and writes it as
public TSV files under bench/.data/ (kept between runs).  A second, fresh subprocess then does
exactly what `townsquare notes score` does: read the TSV files, score, write the outputs; its
wall times per phase and its peak resident memory (getrusage ru_maxrss) are what we report.
Prints a table and writes docs/benchmarks-notes.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
DOC = ROOT / "docs" / "benchmarks-notes.md"
NOW_MILLIS = 1_700_000_000_000 + 40 * 86_400_000


def _generate(size: int, seed: int, directory: Path) -> dict[str, object]:
    from townsquare.notes import synthetic, tsv

    start = time.perf_counter()
    data = synthetic.generate(size, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    tsv.write_notes(str(directory / "notes.tsv"), data.notes)
    tsv.write_ratings(str(directory / "ratings.tsv"), data.ratings)
    return {"seconds": time.perf_counter() - start, "ratings": len(data.ratings)}


def _score(directory: Path, seed: int) -> dict[str, object]:
    import numpy as np

    from townsquare.notes import tsv
    from townsquare.notes.scorer import score

    times: dict[str, float] = {}
    t = time.perf_counter()
    ids = tsv.ParticipantIds()
    notes = tsv.read_notes(str(directory / "notes.tsv"), ids)
    ratings = tsv.read_ratings(str(directory / "ratings.tsv"), ids)
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    result = score(notes, ratings, now_millis=NOW_MILLIS, rng=np.random.default_rng(seed))
    times["score"] = time.perf_counter() - t
    t = time.perf_counter()
    out = directory / "out"
    out.mkdir(exist_ok=True)
    tsv.write_scored_notes(str(out / "scored_notes.tsv"), result.notes, NOW_MILLIS)
    tsv.write_helpful_scores(str(out / "helpful_scores.tsv"), result.raters, ids)
    tsv.write_status_history(str(out / "note_status_history.tsv"), result.history, ids)
    times["write"] = time.perf_counter() - t
    r1, r2 = result.report.first_round, result.report.second_round
    counts = np.bincount(result.notes.final_status, minlength=3).tolist()
    return {
        "ratings": len(ratings),
        "notes": len(notes),
        "participants": len(ids),
        "file_mb": (directory / "ratings.tsv").stat().st_size / 1e6,
        "times": times,
        "phases": result.report.seconds,
        "sweeps": [r1.sweeps if r1 else 0, r2.sweeps if r2 else 0],
        "raters_kept": result.report.raters_kept,
        "statuses": counts,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # Other work on the machine slows the timings; say how busy it was.
        "load_avg": os.getloadavg()[0],
    }


def _child(mode: str, size: int, seed: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--sizes", str(size), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} {size} failed:\n{proc.stderr}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _row(r: dict[str, object]) -> str:
    t = r["times"]
    assert isinstance(t, dict)
    total = t["read"] + t["score"] + t["write"]
    crh, crnh = r["statuses"][1], r["statuses"][2]  # type: ignore[index]
    return (
        f"| {r['ratings']:,} | {r['notes']:,} | {r['participants']:,} | {r['file_mb']:,.0f} MB"
        f" | {t['read']:.1f} s | {t['score']:.1f} s | {t['write']:.1f} s | {total:.1f} s"
        f" | {r['peak_rss_mb']:,.0f} MB | {r['sweeps'][0]} + {r['sweeps'][1]}"  # type: ignore[index]
        f" | {crh:,} / {crnh:,} | {r['load_avg']:.1f} |"
    )


HEADER = (
    "| ratings | notes | participants | ratings.tsv | read TSV | score | write | total"
    " | peak RSS | ALS sweeps (fit 1 + 2) | CRH / CRNH | load avg |\n"
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=["generate", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--no-doc", action="store_true", help="do not write the docs page")
    args = parser.parse_args()
    if args.child:
        size = args.sizes[0]
        directory = DATA / f"notes-{size}-seed{args.seed}"
        result = (
            _generate(size, args.seed, directory)
            if args.child == "generate"
            else _score(directory, args.seed)
        )
        print(json.dumps(result))
        return

    rows = []
    print(HEADER)
    for size in args.sizes:
        directory = DATA / f"notes-{size}-seed{args.seed}"
        if not (directory / "ratings.tsv").exists():
            gen = _child("generate", size, args.seed)
            print(f"(generated {size:,} ratings in {gen['seconds']:.0f} s)", file=sys.stderr)
        result = _child("score", size, args.seed)
        rows.append(_row(result))
        print(rows[-1], flush=True)
        print(f"  phases: {json.dumps(result['phases'])}", file=sys.stderr)
    if args.no_doc:
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    DOC.write_text(
        "# Benchmarks: community notes scorer\n\n"
        f"Produced by `.venv/bin/python bench/notes_scorer.py` on {machine}, "
        f"{time.strftime('%Y-%m-%d')}.  Each row is one fresh process doing what "
        "`townsquare notes score` does: read the public-format TSV files, run both fits "
        "and all status rules, write scored_notes / helpful_scores / note_status_history.  "
        "Peak RSS is that process's `ru_maxrss`; load avg is the 1-minute load average when it "
        "finished (the machine is shared; above 2, on 2 cores, other work slowed the run).  "
        "Data: `townsquare.notes.synthetic`, "
        f"seed {args.seed} (40 ratings per note and per rater on average).\n\n"
        f"{HEADER}\n" + "\n".join(rows) + "\n\n"
        "For scale: issue 6 quotes the reference implementation (PyTorch, full-batch Adam) at "
        "about 11 minutes and 1.1 GB for 300,000 ratings.  The fit here is alternating least "
        "squares on the same objective (docs/notes.md), a few NumPy bincount passes per sweep.\n"
    )
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

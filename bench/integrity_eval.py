"""Integrity evaluation and timing: a synthetic day with injected campaigns among organic
look-alikes; precision and recall per attack kind, and how long detection takes.

    .venv/bin/python bench/integrity_eval.py --accounts 2000 5000 20000 100000

Prints one JSON line per size (in-memory columns: the detection job's work without the
database reads). Figures go to docs/benchmarks-integrity.md.
"""

from __future__ import annotations

import argparse
import json
import time

from townsquare.integrity import evaluation


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for n in args.accounts:
        t = time.perf_counter()
        net = evaluation.generate(n, seed=args.seed)
        generated = time.perf_counter() - t
        t = time.perf_counter()
        det = evaluation.detect(net)
        total = time.perf_counter() - t
        report = evaluation.evaluate(net, det)
        report["generate_seconds"] = round(generated, 1)
        report["detect_seconds"] = round(total, 1)
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

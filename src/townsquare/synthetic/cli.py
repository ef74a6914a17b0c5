"""`townsquare bench generate | run`: the synthetic public square and the scale benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def cmd_generate(args: argparse.Namespace) -> int:
    import json

    from townsquare.cli import _migrate, _settings
    from townsquare.synthetic.load import load
    from townsquare.synthetic.network import Spec, generate
    from townsquare.synthetic.progress import Progress

    settings = _settings(args)
    _migrate(settings)
    progress = Progress(args.quiet)
    progress.begin(f"generate {args.accounts:,} accounts (seed {args.seed})")
    net = generate(Spec(accounts=args.accounts, seed=args.seed,
                        posts_per_account=args.posts_per_account,
                        likes_per_post=args.likes_per_post))
    took = progress.end()
    print(f"generated {args.accounts:,} accounts, {len(net.follow_src):,} follows, "
          f"{len(net.post_author):,} posts, {len(net.like_post):,} likes in {took:.1f}s",
          flush=True)
    out = Path(args.truth_dir) if args.truth_dir else settings.data_dir / "synthetic"
    load(net, settings.resolved_database_url, out, tokens=args.tokens, quiet=args.quiet,
         progress=progress)
    stats = json.loads((out / "load.json").read_text())
    stats["generate_s"] = round(took, 1)
    stats["total_s"] = round(progress.elapsed(), 1)
    (out / "load.json").write_text(json.dumps(stats, indent=2))
    rows = ", ".join(f"{k} {v:,}" for k, v in stats["rows"].items())
    print(f"loaded in {progress.elapsed():.1f}s total (generate {took:.1f}s, load "
          f"{stats['load_s']:.1f}s); {rows}; database {stats['database_bytes'] / 2**20:,.0f} MB;"
          f" peak RSS {stats['peak_rss_mb']:,} MB; ground truth and load.json in {out}",
          flush=True)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import runpy
    import sys

    script = Path(__file__).resolve().parents[3] / "bench" / "scale_run.py"
    if not script.exists():
        print("bench/scale_run.py is part of the source checkout", file=sys.stderr)
        return 2
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest  # `bench run -- --config`
    sys.argv = [str(script), *rest]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def register(sub: Any) -> None:
    from townsquare.cli import _common

    bench = sub.add_parser("bench", help="synthetic network and scale benchmark")
    bsub = bench.add_subparsers(dest="bench_command", required=True)
    p = bsub.add_parser("generate", help="generate and bulk-load a synthetic public square")
    _common(p)
    p.add_argument("--accounts", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--posts-per-account", type=float, default=5.0)
    p.add_argument("--likes-per-post", type=float, default=2.0,
                   help="mean likes per post (more makes denser social proof)")
    p.add_argument("--tokens", type=int, default=20_000,
                   help="accounts given a bench token (synthetic-<seed>-<index>)")
    p.add_argument("--truth-dir", help="where the ground truth goes (default <data>/synthetic)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_generate)
    p = bsub.add_parser("run", help="run bench/scale_run.py: townsquare bench run -- --config ...")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_run)

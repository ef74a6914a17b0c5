"""Progress of a long load on stderr: phase, rows, rate, ETA of the phase and of all rows.

On a terminal one line is redrawn in place; into a log file (not a tty) a line is written
every `every` seconds and at the end of each phase, so `tail -f` of a 1M-account load reads
well.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import TextIO


def _eta(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or unknown
        return "?"
    s = int(seconds)
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def peak_rss_mb() -> float:
    """The largest resident set of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Progress:
    def __init__(self, quiet: bool = False, total_rows: int = 0, *,
                 stream: TextIO | None = None, every: float = 10.0) -> None:
        self.quiet = quiet
        self.out = stream or sys.stderr
        self.tty = self.out.isatty()
        self.every = 0.2 if self.tty else every
        self.start = time.monotonic()
        self.total_rows = total_rows
        self.rows_done = 0
        self.phase = ""
        self.phase_total = 0
        self.phase_done = 0
        self.phase_start = self.start
        self.last = 0.0
        self.timings: dict[str, float] = {}
        self.unit = "rows"
        self.rows_start: float | None = None

    def _write(self, line: str, final: bool) -> None:
        if self.quiet:
            return
        if self.tty:
            self.out.write(f"\r{line:<120}" + ("\n" if final else ""))
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def begin(self, phase: str, total: int = 0, unit: str = "rows") -> None:
        self.phase, self.phase_total, self.phase_done = phase, total, 0
        self.unit = unit
        self.phase_start = time.monotonic()
        if self.rows_start is None and unit == "rows" and total:
            self.rows_start = self.phase_start  # the overall rate counts from the first rows
        self.last = 0.0
        if total == 0 or not self.tty:
            self._write(f"[{self.elapsed():7.1f}s] {phase} ...", final=not self.tty)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def advance(self, rows: int) -> None:
        self.phase_done += rows
        if self.unit == "rows":
            self.rows_done += rows
        now = time.monotonic()
        if now - self.last >= self.every and self.phase_done < self.phase_total:
            self.last = now
            self._write(self._line(now), final=False)

    def _line(self, now: float) -> str:
        took = max(now - self.phase_start, 1e-9)
        rate = self.phase_done / took
        pct = 100 * self.phase_done / max(self.phase_total, 1)
        width = 20
        bar = "#" * int(width * pct / 100)
        left = (self.phase_total - self.phase_done) / rate if rate else float("nan")
        line = (f"[{now - self.start:7.1f}s] {self.phase:<14} [{bar:<{width}}] "
                f"{self.phase_done:>11,}/{self.phase_total:,} {self.unit} {pct:3.0f}% "
                + (f"{rate:>9,.0f} rows/s  ETA {_eta(left)}" if self.unit == "rows" else ""))
        if self.total_rows and self.unit == "rows":
            all_rate = self.rows_done / max(now - (self.rows_start or self.start), 1e-9)
            left = (self.total_rows - self.rows_done) / all_rate if all_rate else float("nan")
            line += f" | all {100 * self.rows_done / self.total_rows:3.0f}% ETA {_eta(left)}"
        return line

    def item(self, name: str, took: float, at_least: float = 1.0) -> None:
        """One step of a phase (an index build): a line of its own when it took a while."""
        if took >= 0.1:
            self.timings[name] = round(took, 2)
        self.advance(1)
        if took >= at_least:
            self._write(f"[{self.elapsed():7.1f}s]   {name} {took:.1f}s", final=True)

    def end(self, note: str = "") -> float:
        now = time.monotonic()
        took = now - self.phase_start
        self.timings[self.phase] = round(took, 2)
        if self.phase_total:
            line = self._line(now) if self.tty else (
                f"[{now - self.start:7.1f}s] {self.phase:<14} {self.phase_done:>11,} "
                f"{self.unit} in {took:6.1f}s ({self.phase_done / max(took, 1e-9):,.0f} "
                f"{self.unit}/s)")
        else:
            line = f"[{now - self.start:7.1f}s] {self.phase} done in {took:.1f}s"
        self._write(line + (f" {note}" if note else ""), final=True)
        return took

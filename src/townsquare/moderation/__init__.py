"""Transparent moderation: labels over removal, statements of reasons, a public log, appeals,
and each person's own filters. Pure policy lives here; writes are in actions/moderation.py."""

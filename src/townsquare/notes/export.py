"""`townsquare notes export`: townsquare's own notes, ratings and status history as the
published TSV files (notes-00000.tsv, ratings-00000.tsv, noteStatusHistory-00000.tsv), so
`townsquare notes score` runs on them exactly as on the public data set.

Participant ids are townsquare account ids written as decimal strings (the public files use
64-character hex strings; the reader accepts any string).  tweetId is the post's id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from townsquare.context import Context
from townsquare.notes import app_bridge as bridge
from townsquare.notes import tsv
from townsquare.store.tables_notes import community_notes, note_ratings, note_status

FILES = ("notes-00000.tsv", "ratings-00000.tsv", "noteStatusHistory-00000.tsv")


@dataclass(frozen=True)
class Exported:
    notes: int
    ratings: int
    history: int
    paths: tuple[str, ...]


async def export(ctx: Context, outdir: str) -> Exported:
    cn, r = community_notes, note_ratings
    async with ctx.db.read() as conn:
        note_rows = (await conn.execute(
            select(cn.c.id, cn.c.account_id, cn.c.classification, cn.c.status_id, cn.c.reasons,
                   cn.c.summary).order_by(cn.c.id))).all()
        rating_rows = (await conn.execute(
            select(r.c.note_id, r.c.account_id, r.c.version, bridge.HELPFUL_NUM,
                   r.c.helpful_tags, r.c.not_helpful_tags).order_by(r.c.note_id, r.c.id))).all()
        history_rows = (await conn.execute(
            select(note_status.c.note_id, cn.c.account_id,
                   *(note_status.c[name] for name in bridge.HISTORY_COLUMNS[2:]))
            .join(cn, cn.c.id == note_status.c.note_id).order_by(note_status.c.note_id))).all()
    extra = bridge.notes_extra([(row.status_id, row.reasons, row.summary, row.classification)
                                for row in note_rows])
    notes = bridge.notes_frame([(row.id, row.account_id, row.classification)
                                for row in note_rows], extra)
    ratings = bridge.ratings_frame(rating_rows)
    history = bridge.history_frame(history_rows)
    os.makedirs(outdir, exist_ok=True)
    paths = tuple(os.path.join(outdir, name) for name in FILES)
    tsv.write_notes(paths[0], notes)
    tsv.write_ratings(paths[1], ratings)
    tsv.write_status_history(paths[2], history)
    return Exported(len(notes), len(ratings), len(history), paths)

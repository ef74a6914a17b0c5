"""The next noteStatusHistory, from the previous one and this run's statuses
(published note_status_history.update_note_status_history, for a core-only scorer)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c
from townsquare.notes.frames import StatusHistoryFrame

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
Obj = NDArray[np.object_]


def next_history(
    previous: StatusHistoryFrame,
    note_id: I64,
    author_id: I64,
    created_at_millis: I64,
    final_status: I8,
    core_status: I8,
    decided_by: Obj,
    now_millis: int,
) -> StatusHistoryFrame:
    """`previous` must already be aligned to note_id (one row per note, NaN / STATUS_NONE for
    notes it did not contain); see scorer._align_history."""
    now = float(now_millis)
    n = len(note_id)
    first_status = previous.first_non_nmr_status.copy()
    first_ms = previous.first_non_nmr_millis.copy()
    recent_status = previous.most_recent_non_nmr_status.copy()
    recent_ms = previous.most_recent_non_nmr_millis.copy()
    locked = previous.locked_status.copy()
    lock_ms = previous.lock_millis.copy()

    # Lock notes older than two weeks whose status came from a rule with locking enabled.
    lockable = (
        (locked == c.STATUS_NONE)
        & (now - created_at_millis > c.NOTE_LOCK_MILLIS)
        & np.isin(decided_by, list(c.LOCKING_RULES))
    )
    locked[lockable] = final_status[lockable]
    lock_ms[lockable] = now

    # Notes from before status history existed keep their old first / most recent statuses.
    tracked = (created_at_millis >= c.DELETED_NOTE_TOMBSTONES_LAUNCH_MILLIS) & (
        final_status != c.STATUS_NMR
    )
    first_time = tracked & (first_status == c.STATUS_NONE)
    first_status[first_time] = final_status[first_time]
    first_ms[first_time] = now
    # Flips between CRH and CRNH (not to NMR) move the most recent non-NMR status.
    changed = tracked & (recent_status != final_status)
    recent_status[changed] = final_status[changed]
    recent_ms[changed] = now

    return StatusHistoryFrame(
        note_id=note_id,
        author_id=author_id,
        created_at_millis=created_at_millis,
        first_non_nmr_millis=first_ms,
        first_non_nmr_status=first_status,
        current_status_millis=np.full(n, now),
        current_status=final_status.copy(),
        most_recent_non_nmr_millis=recent_ms,
        most_recent_non_nmr_status=recent_status,
        lock_millis=lock_ms,
        locked_status=locked,
        retro_lock_millis=previous.retro_lock_millis.copy(),
        current_core_status=core_status.copy(),
        current_decided_by=decided_by.copy(),
    )

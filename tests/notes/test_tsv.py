"""Public TSV files: published column names, both rating formats, round trips, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from townsquare.notes import constants as c
from townsquare.notes import synthetic, tsv
from townsquare.notes.frames import EnrollmentFrame, StatusHistoryFrame

A = "A" * 63 + "1"  # participant ids look like 64 hex characters
B = "0123456789ABCDEF" * 4

NOTES_TSV = (
    "\t".join(tsv.NOTE_COLUMNS)
    + "\n"
    + "\t".join(
        [
            "1354864556552712192",
            A,
            "1611949612925",
            "1354859316956471296",
            c.MISLEADING,
            "",
            "",
            "",
            "1",
            "0",
            "0",
            "0",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            '"Says ""hello""\tacross\na line"',
            "0",
        ]
    )
    + "\n"
    + "\t".join(
        [
            "1354893336285327360",
            B,
            "1611956474394",
            "1354855806097592322",
            c.NOT_MISLEADING,
            "BELIEVABLE_BY_MANY",
            "LITTLE_HARM",
            "EASY",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            "0",
            "0",
            "0",
            "0",
            "plain summary",
            "0",
        ]
    )
    + "\n"
)


def rating_row(note: str, rater: str, level: str, tags: set[str], helpful: str = "0") -> str:
    values = {
        "noteId": note, "raterParticipantId": rater, "createdAtMillis": "1611962478366",
        "version": "2", "agree": "0", "disagree": "0", "helpful": helpful, "notHelpful": "0",
        "helpfulnessLevel": level, "ratedOnTweetId": "-1",
    }  # fmt: skip
    return "\t".join(values.get(col, "1" if col in tags else "0") for col in tsv.RATING_COLUMNS)


def test_notes_round_trip_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "notes.tsv"
    src.write_text(NOTES_TSV, encoding="utf-8")
    ids = tsv.ParticipantIds()
    notes = tsv.read_notes(str(src), ids)
    assert list(notes.note_id) == [1354864556552712192, 1354893336285327360]
    assert list(notes.classification) == [c.CLASS_MISLEADING, c.CLASS_NOT_MISLEADING]
    assert list(ids.names(notes.author_id)) == [A, B]
    assert notes.extra["summary"][0] == 'Says "hello"\tacross\na line'
    out = tmp_path / "again.tsv"
    tsv.write_notes(str(out), notes, ids)
    assert out.read_bytes() == src.read_bytes()


def test_ratings_current_format(tmp_path: Path) -> None:
    path = tmp_path / "ratings.tsv"
    path.write_text(
        "\t".join(tsv.RATING_COLUMNS)
        + "\n"
        + rating_row("11", A, c.HELPFUL, {"helpfulClear", "helpfulGoodSources"})
        + "\n"
        + rating_row("11", B, c.SOMEWHAT_HELPFUL, set())
        + "\n"
        + rating_row("12", A, c.NOT_HELPFUL, {"notHelpfulIncorrect"})
        + "\n"
        + rating_row("12", B, "", set())  # no answer
        + "\n",
        encoding="utf-8",
    )
    ids = tsv.ParticipantIds()
    r = tsv.read_ratings(str(path), ids)
    assert list(r.note_id) == [11, 11, 12, 12]
    assert list(ids.names(r.rater_id)) == [A, B, A, B]
    np.testing.assert_array_equal(r.helpful_num, [1.0, 0.5, 0.0, np.nan])
    assert r.helpful_tags[0, c.HELPFUL_TAGS.index("helpfulClear")]
    assert r.helpful_tags[0].sum() == 2
    assert r.not_helpful_tags[2, c.NOT_HELPFUL_TAGS.index("notHelpfulIncorrect")]
    assert r.not_helpful_tags.sum() == 1
    assert (r.created_at_millis == 1611962478366).all()


def test_ratings_old_format_with_helpful_and_not_helpful_columns(tmp_path: Path) -> None:
    cols = ["noteId", "participantId", "createdAtMillis", "version", "agree", "disagree",
            "helpful", "notHelpful", "helpfulInformative"]  # fmt: skip
    cols[1] = "raterParticipantId"
    rows = [
        ["5", A, "1611962478366", "1", "0", "0", "1", "0", "1"],
        ["5", B, "1611962478367", "1", "0", "0", "0", "1", "0"],
        ["6", B, "1611962478368", "1", "0", "0", "0", "0", "0"],
    ]
    path = tmp_path / "old.tsv"
    path.write_text("\n".join("\t".join(x) for x in [cols, *rows]), encoding="utf-8")  # no final \n
    r = tsv.read_ratings(str(path), tsv.ParticipantIds())
    np.testing.assert_array_equal(r.helpful_num, [1.0, 0.0, np.nan])
    assert list(r.helpful_tags[:, c.HELPFUL_TAGS.index("helpfulInformative")]) == [1, 0, 0]


def test_fast_and_csv_ratings_readers_agree(tmp_path: Path) -> None:
    data = synthetic.generate(3000, seed=4)
    path = tmp_path / "ratings.tsv"
    tsv.write_ratings(str(path), data.ratings)
    fast_ids, slow_ids = tsv.ParticipantIds(), tsv.ParticipantIds()
    fast = tsv.read_ratings(str(path), fast_ids)
    slow = tsv.read_ratings_csv(str(path), slow_ids)
    for name in ("note_id", "created_at_millis", "helpful_num", "helpful_tags", "not_helpful_tags"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    np.testing.assert_array_equal(fast_ids.names(fast.rater_id), slow_ids.names(slow.rater_id))
    # And both give back what was written.
    np.testing.assert_array_equal(fast.helpful_num, data.ratings.helpful_num)
    np.testing.assert_array_equal(
        fast_ids.names(fast.rater_id).astype(np.int64), data.ratings.rater_id
    )


def test_ratings_directory_and_many_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = synthetic.generate(4000, seed=5)
    (tmp_path / "ratings").mkdir()
    half = len(data.ratings) // 2
    tsv.write_ratings(
        str(tmp_path / "ratings" / "ratings-00000.tsv"), data.ratings.take(slice(0, half))
    )
    tsv.write_ratings(
        str(tmp_path / "ratings" / "ratings-00001.tsv"), data.ratings.take(slice(half, None))
    )
    monkeypatch.setattr("townsquare.notes.tsv_ratings.BLOCK_BYTES", 4096)  # many blocks
    ids = tsv.ParticipantIds()
    r = tsv.read_ratings(str(tmp_path / "ratings"), ids)
    np.testing.assert_array_equal(r.note_id, data.ratings.note_id)
    np.testing.assert_array_equal(ids.names(r.rater_id).astype(np.int64), data.ratings.rater_id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("11\tx\n", "tab-separated fields"),
        ("1x\tabc\t5\tHELPFUL\n", "noteId: not an integer"),
        ("\tabc\t5\tHELPFUL\n", "noteId: empty"),
    ],
)
def test_bad_ratings_are_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("noteId\traterParticipantId\tcreatedAtMillis\thelpfulnessLevel\n" + body)
    with pytest.raises(tsv.TsvError, match=message):
        tsv.read_ratings(str(path), tsv.ParticipantIds())


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.tsv"
    path.write_text("noteId\tcreatedAtMillis\n1\t2\n")
    with pytest.raises(tsv.TsvError, match="noteAuthorParticipantId"):
        tsv.read_notes(str(path), tsv.ParticipantIds())


def test_status_history_round_trip(tmp_path: Path) -> None:
    ids = tsv.ParticipantIds()
    a, b = ids.code(A), ids.code(B)
    nan = np.nan
    s = np.array
    history = StatusHistoryFrame(
        note_id=s([1, 2], dtype=np.int64),
        author_id=s([a, b], dtype=np.int64),
        created_at_millis=s([1652918400000, 1700000000000], dtype=np.int64),
        first_non_nmr_millis=s([1652918500000.0, nan]),
        first_non_nmr_status=s([c.STATUS_CRH, c.STATUS_NONE], dtype=np.int8),
        current_status_millis=s([1700000000001.0, 1700000000001.0]),
        current_status=s([c.STATUS_CRH, c.STATUS_NMR], dtype=np.int8),
        most_recent_non_nmr_millis=s([1652918500000.0, nan]),
        most_recent_non_nmr_status=s([c.STATUS_CRH, c.STATUS_NONE], dtype=np.int8),
        lock_millis=s([1654000000000.0, nan]),
        locked_status=s([c.STATUS_CRH, c.STATUS_NONE], dtype=np.int8),
        retro_lock_millis=s([nan, nan]),
        current_core_status=s([c.STATUS_CRH, c.STATUS_NMR], dtype=np.int8),
        current_decided_by=s([c.RULE_CORE_MODEL, None], dtype=object),
    )
    path = tmp_path / "noteStatusHistory.tsv"
    tsv.write_status_history(str(path), history, ids)
    header, first = path.read_text().splitlines()[:2]
    assert header.split("\t") == list(tsv.STATUS_HISTORY_COLUMNS)
    assert first.split("\t")[:5] == ["1", A, "1652918400000", "1652918500000.0", c.CRH]
    back = tsv.read_status_history(str(path), ids)
    for name in (
        "note_id",
        "author_id",
        "created_at_millis",
        "first_non_nmr_status",
        "current_status",
        "locked_status",
        "current_core_status",
        "current_decided_by",
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(history, name))  # fmt: skip
    for name in ("first_non_nmr_millis", "lock_millis", "most_recent_non_nmr_millis"):
        np.testing.assert_array_equal(getattr(back, name), getattr(history, name))
    again = tmp_path / "again.tsv"
    tsv.write_status_history(str(again), back, ids)
    assert again.read_bytes() == path.read_bytes()


def test_enrollment_round_trip(tmp_path: Path) -> None:
    text = (
        "\t".join(tsv.ENROLLMENT_COLUMNS)
        + f"\n{A}\tearnedIn\t5\t1652918400000\t\tCORE\t13.0"
        + f"\n{B}\tnewUser\t5\t1652918400001\t1652918400002.0\tEXPANSION\t\n"
    )
    path = tmp_path / "userEnrollment.tsv"
    path.write_text(text)
    ids = tsv.ParticipantIds()
    frame = tsv.read_enrollment(str(path), ids)
    assert isinstance(frame, EnrollmentFrame)
    assert list(frame.enrollment_state) == ["earnedIn", "newUser"]
    np.testing.assert_array_equal(frame.modeling_group, [13.0, np.nan])
    again = tmp_path / "again.tsv"
    tsv.write_enrollment(str(again), frame, ids)
    assert again.read_text() == text

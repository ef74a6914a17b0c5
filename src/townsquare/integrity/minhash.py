"""Near-duplicate text: MinHash signatures over character 5-grams, LSH banding, clusters.

Everything is vectorised with NumPy over one concatenated byte buffer, so a day of posts of a
large network (millions of texts) is hashed in seconds rather than minutes of Python loops.
Short texts ("lol", "good morning") are not eligible: many people write them independently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SHINGLE = 5
NUM_HASHES = 32
BANDS = 8  # 8 bands x 4 rows: pairs above ~0.6 Jaccard become candidates
MIN_CHARS = 40  # shorter texts are not compared
SIMILARITY = 0.7  # estimated Jaccard needed to call two texts near-identical
_NOISE = re.compile(r"https?://\S+|@\w+")
_BIN_BITS = 5  # 2**5 == NUM_HASHES bins
_rng = np.random.default_rng(20211)
_A = (_rng.integers(1, 2**63, NUM_HASHES, dtype=np.uint64) | np.uint64(1))
_B = _rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)


def normalise(text: str) -> str:
    """Lowercase, URLs and mentions dropped, spacing collapsed: trivial edits do not hide copies."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(_NOISE.sub(" ", text.lower()).split())


def signatures(texts: Sequence[str], *, chunk: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    """(eligible indices, signatures uint64[n, NUM_HASHES]) for the texts long enough."""
    norm = [normalise(t) for t in texts]
    eligible = np.array([i for i, t in enumerate(norm) if len(t.encode()) >= MIN_CHARS],
                        dtype=np.int64)
    out = np.empty((len(eligible), NUM_HASHES), dtype=np.uint64)
    for start in range(0, len(eligible), chunk):
        ids = eligible[start:start + chunk]
        out[start:start + len(ids)] = _signature_block([norm[i].encode() for i in ids])
    return eligible, out


def _signature_block(blobs: list[bytes]) -> np.ndarray:
    """One-permutation MinHash: one hash per 5-byte window, split into NUM_HASHES bins by its
    top bits, the minimum kept per (text, bin); empty bins borrow the next bin's value
    (rotation densification), so short texts still compare fairly."""
    lengths = np.array([len(b) for b in blobs], dtype=np.int64)
    buf = np.frombuffer(b"".join(blobs), dtype=np.uint8).astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    n = len(buf) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE):
            h = h * np.uint64(1_000_003) + buf[k:k + n]
        h = h * _A[0] + _B[0]
        h ^= h >> np.uint64(29)
        h = h * _A[1]
    # Windows that cross from one text into the next are dropped.
    owner = np.repeat(np.arange(len(blobs)), lengths)[:n]
    valid = np.arange(n) + SHINGLE <= (starts + lengths)[owner]
    h, owner = h[valid], owner[valid]
    bins = (h >> np.uint64(64 - _BIN_BITS)).astype(np.int64)
    empty = np.iinfo(np.uint64).max
    flat = np.full(len(blobs) * NUM_HASHES, empty, dtype=np.uint64)
    np.minimum.at(flat, owner * NUM_HASHES + bins, h & np.uint64((1 << (64 - _BIN_BITS)) - 1))
    sig = flat.reshape(len(blobs), NUM_HASHES)
    for shift in range(1, NUM_HASHES):
        hole = sig == empty
        if not hole.any():
            break
        rolled = np.roll(sig, -shift, axis=1)
        fill = hole & (rolled != empty)
        sig[fill] = rolled[fill] + np.uint64(shift)
    return sig


def clusters(sig: np.ndarray, *, threshold: float = SIMILARITY) -> np.ndarray:
    """A cluster label per signature row; rows with no near-duplicate get their own label.

    LSH: rows sharing all hashes of any band are candidates; each candidate is checked against
    its bucket's previous row (estimated Jaccard = share of equal hashes), and the accepted edges'
    connected components are the clusters.
    """
    n = len(sig)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rows = NUM_HASHES // BANDS
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    for band in range(BANDS):
        part = sig[:, band * rows:(band + 1) * rows]
        key = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key = key * np.uint64(0x9E3779B97F4A7C15) + part[:, c]
        order = np.argsort(key, kind="stable")
        sk = key[order]
        # Each row is checked against the previous row of its bucket (a chain, linear in
        # the bucket's size however large a copy-paste burst is).
        same = sk[1:] == sk[:-1]
        src.append(order[:-1][same])
        dst.append(order[1:][same])
    a = np.concatenate(src)
    b = np.concatenate(dst)
    if len(a):
        similar = (sig[a] == sig[b]).mean(axis=1) >= threshold
        a, b = a[similar], b[similar]
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def jaccard_estimate(x: np.ndarray, y: np.ndarray) -> float:
    return float((x == y).mean())

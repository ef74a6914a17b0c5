"""Participant ids of the public data (64-character hex strings) as int64 codes."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray


class ParticipantIds:
    """Hands out one int64 code per distinct participant string, shared by all files of a run."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._names: list[str] = []

    def __len__(self) -> int:
        return len(self._names)

    def code(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            code = self._codes[name] = len(self._names)
            self._names.append(name)
        return code

    def codes(self, names: Iterable[str]) -> NDArray[np.int64]:
        return np.fromiter((self.code(n) for n in names), dtype=np.int64)

    def names(self, codes: NDArray[np.int64]) -> NDArray[np.object_]:
        table = np.asarray(self._names, dtype=object)
        return table[codes] if len(table) else np.zeros(len(codes), dtype=object)

"""Fixtures for the notes scorer tests."""

from __future__ import annotations

import pytest
from notes_world import World, build_world


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()

"""Shared fixtures: the repository's testdata/ and the installed package."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent.parent
TESTDATA = Path(os.environ.get("SEALVAULT_TESTDATA", REPO / "testdata"))


def load(name: str) -> Any:
    with open(TESTDATA / name, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO

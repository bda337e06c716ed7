"""The README's Python blocks run as written, against the installed package."""

from __future__ import annotations

import os
import pathlib
import re

import pytest


def _readme() -> pathlib.Path:
    testdata = os.environ.get("SEALVAULT_TESTDATA")
    root = pathlib.Path(testdata).parent if testdata else pathlib.Path(__file__).resolve().parents[2]
    return root / "README.md"


BLOCKS = re.findall(r"```python\n(.*?)```", _readme().read_text(encoding="utf-8"), re.S)


def test_readme_has_python_blocks() -> None:
    assert BLOCKS, "README.md lost its Python usage block"


@pytest.mark.parametrize("block", BLOCKS)
def test_readme_block_runs(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})

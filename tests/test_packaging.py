"""The package metadata: the licence is an SPDX expression (PEP 639), which needs setuptools 77;
the table form `license = { text = ... }` made every install print setuptools' deprecation
warning three times."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata
from pathlib import Path

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_licence_is_an_spdx_expression() -> None:
    project = tomllib.loads(PYPROJECT.read_text())
    assert project["project"]["license"] == "LicenseRef-Proprietary"
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert metadata("relaybird")["License-Expression"] == "LicenseRef-Proprietary"

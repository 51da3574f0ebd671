"""A merge left half-done must not land: no conflict markers in any tracked text file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)


def test_no_conflict_markers_in_tracked_files() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, listed):
        path = ROOT / name.decode()
        if not path.is_file() or path.suffix not in {
            ".py",
            ".md",
            ".html",
            ".js",
            ".json",
            ".toml",
            ".css",
            ".txt",
            ".csv",
            ".yml",
            ".yaml",
            ".cfg",
            "",
        }:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if MARKER.search(text):
            offenders.append(name.decode())
    assert offenders == []

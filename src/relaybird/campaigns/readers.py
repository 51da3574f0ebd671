"""Streaming readers for uploaded lists: rows come out one at a time, memory stays flat."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from relaybird.errors import InvalidInput

XLSX_MAGIC = b"PK\x03\x04"
# A single CSV cell larger than this is not a contact list.
csv.field_size_limit(1 << 20)


@dataclass
class Progress:
    """How far a reader got: bytes of the file (CSV) or rows of the sheet (XLSX)."""

    done: int = 0
    total: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._progress.done += n
        return n


def is_xlsx(path: Path, filename: str) -> bool:
    with path.open("rb") as fh:
        magic = fh.read(4)
    return magic == XLSX_MAGIC or filename.lower().endswith(".xlsx")


def read_rows(path: Path, filename: str, progress: Progress) -> Iterator[list[str]]:
    """The header first, then every row, as lists of strings."""
    if is_xlsx(path, filename):
        yield from _xlsx_rows(path, progress)
    else:
        yield from _csv_rows(path, progress)


def _csv_rows(path: Path, progress: Progress) -> Iterator[list[str]]:
    progress.total = path.stat().st_size
    with path.open("rb") as head:
        sample = head.read(8192).decode("utf-8-sig", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    with path.open("rb") as raw:
        buffered = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="replace", newline="")
        yield from csv.reader(text, dialect)


def _xlsx_rows(path: Path, progress: Progress) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    fh = path.open("rb")
    try:
        # A file object, not the path: openpyxl would refuse a path without an .xlsx suffix.
        book = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:
        fh.close()
        raise InvalidInput(f"not a readable XLSX file: {exc}") from None
    try:
        sheet = book.worksheets[0]
        progress.total = int(sheet.max_row or 0)
        for values in sheet.iter_rows(values_only=True):
            progress.done += 1
            yield [_cell(v) for v in values]
    finally:
        book.close()
        fh.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores a phone typed without + as a number: 420601123456.0
        return str(int(value))
    return str(value)

"""Streaming readers for uploaded lists: rows come out one at a time, memory stays flat.

Every reader is bounded (issue 11 item 4, issue 12 item 18), by ``UploadLimits`` (settings
``RELAYBIRD_UPLOAD_MAX_*``):
- a row wider than ``max_columns``, a cell longer than ``max_cell`` or (CSV) a row longer than
  ``max_row`` characters comes out as a ``RefusedRow`` (no cells, the reason naming the limit):
  the importer stores it as INVALID_RECORD; as the header it refuses the file (422);
- an XLSX file is checked before openpyxl opens it: the unpacked size of its parts
  (``max_unpacked``), each sheet's declared dimension, and the cells of every row (an expat
  scan that builds nothing), since openpyxl builds a whole row in memory before it hands over
  its first cell (and its load walks every sheet). A row over the column cap refuses the whole
  XLSX file (422).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from relaybird.errors import InvalidInput

if TYPE_CHECKING:
    from relaybird.config import Settings

XLSX_MAGIC = b"PK\x03\x04"
# Our own row limit bounds every field; csv's global per-field limit must not fire first (its
# error names no setting). Never above a C long.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class UploadLimits:
    """How large an uploaded list's rows may be (see config.py's ``upload_max_*``)."""

    max_columns: int = 1_000
    max_cell: int = 32_767
    max_row: int = 1 << 20
    max_unpacked: int = 512 << 20

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_columns=settings.upload_max_columns,
            max_cell=settings.upload_max_cell,
            max_row=settings.upload_max_row,
            max_unpacked=settings.upload_max_unpacked,
        )


class RefusedRow(list[str]):
    """A row the limits refuse: no cells, and why (naming the limit and its setting)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def __reduce__(self) -> Any:  # pickled to the validation worker processes
        return (RefusedRow, (self.reason,))


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


def read_rows(
    path: Path, filename: str, progress: Progress, limits: UploadLimits | None = None
) -> Iterator[list[str]]:
    """The header first, then every row, as lists of strings (a ``RefusedRow`` when a row is
    over the limits)."""
    limits = limits or UploadLimits()
    if is_xlsx(path, filename):
        yield from _xlsx_rows(path, progress, limits)
    else:
        yield from _csv_rows(path, progress, limits)


def bounded(cells: list[str], limits: UploadLimits) -> list[str]:
    """The row itself, or a ``RefusedRow`` saying which limit it is over."""
    if len(cells) > limits.max_columns:
        return RefusedRow(
            f"the row has {len(cells)} columns; at most {limits.max_columns} are read "
            "(RELAYBIRD_UPLOAD_MAX_COLUMNS)"
        )
    for index, cell in enumerate(cells):
        if len(cell) > limits.max_cell:
            return RefusedRow(
                f"column {index + 1} has {len(cell)} characters; a cell has at most "
                f"{limits.max_cell} (RELAYBIRD_UPLOAD_MAX_CELL)"
            )
    return cells


# --- CSV -----------------------------------------------------------------------------------


class _RowTooLong(Exception):
    pass


class _Lines:
    """The text's lines for csv.reader, read at most ``max_row`` characters at a time. When the
    row being read (one line, or several inside a quoted cell) passes ``max_row``, the rest of
    that row is skipped (up to a line end outside quotes) and ``_RowTooLong`` raised: no line
    is ever held whole in memory. The reader sets ``row_chars = 0`` after each row."""

    def __init__(self, text: IO[str], max_row: int, quotechar: str | None) -> None:
        self.text = text
        self.max_row = max_row
        self.quotechar = quotechar or "\x00"
        self.row_chars = 0

    def __iter__(self) -> Iterator[str]:
        readline = self.text.readline
        limit = max_row = self.max_row
        limit += 1
        while line := readline(limit):
            # A row goes on to a next line only inside a quoted cell: a continuation line
            # starts inside quotes.
            inside = self.row_chars > 0
            self.row_chars += len(line)
            if self.row_chars > max_row:
                inside ^= line.count(self.quotechar) % 2 == 1
                while line and (inside or not line.endswith(("\n", "\r"))):
                    line = readline(1 << 16)
                    inside ^= line.count(self.quotechar) % 2 == 1
                self.row_chars = 0
                raise _RowTooLong
            yield line


# Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def csv_encoding(path: Path) -> str:
    """The codec of an uploaded CSV: the one its byte-order mark names (UTF-8, UTF-16 or UTF-32,
    as Excel's "CSV UTF-8" and "Unicode Text" write them), else UTF-8, which the whole file must
    then be. Anything else (Latin-1, Windows-1252, UTF-16 without a mark...) is refused with
    what was found: guessing a legacy code page would put wrong letters in messages customers
    receive."""
    with path.open("rb") as fh:
        head = fh.read(4)
        for bom, codec in _BOMS:
            if head.startswith(bom):
                return codec
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        while True:
            chunk = fh.read(1 << 20)
            if offset == 0 and b"\x00" in chunk[:4096]:
                raise InvalidInput(
                    "the file has NUL bytes: UTF-16 without a byte-order mark? Save it as "
                    '"CSV UTF-8" (or UTF-16 with a byte-order mark) and upload it again'
                )
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = offset + exc.start - len(decoder.getstate()[0])
                raise InvalidInput(
                    f"the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02X} at offset "
                    f'{max(at, 0)}; Latin-1 or Windows-1252?): save it as "CSV UTF-8" (or '
                    "UTF-16 with a byte-order mark) and upload it again"
                ) from None
            if not chunk:
                return "utf-8"
            offset += len(chunk)


def _csv_rows(path: Path, progress: Progress, limits: UploadLimits) -> Iterator[list[str]]:
    progress.total = path.stat().st_size
    encoding = csv_encoding(path)
    with path.open("rb") as head:
        sample = head.read(8192).decode(encoding, errors="ignore")
    # Only the delimiter is sniffed (from the header line); quoting is always RFC 4180's: a
    # header without quotes would make the sniffer drop doubled quotes ("" inside a cell).
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    dialect: Any = type("Sniffed", (csv.excel,), {"delimiter": delimiter})
    with path.open("rb") as raw:
        buffered = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")
        lines = _Lines(text, limits.max_row, getattr(dialect, "quotechar", '"'))
        while True:
            # A refused row ends a csv.reader (it keeps no state we could resume); the next
            # reader starts at the following line.
            try:
                for cells in csv.reader(lines, dialect):
                    # A cell can only be over max_cell in a row longer than that.
                    long = lines.row_chars > limits.max_cell
                    lines.row_chars = 0
                    if long or len(cells) > limits.max_columns:
                        yield bounded(cells, limits)
                    else:
                        yield cells
                return
            except _RowTooLong:
                yield RefusedRow(
                    f"the row is longer than {limits.max_row} characters (RELAYBIRD_UPLOAD_MAX_ROW)"
                )
            except csv.Error as exc:
                lines.row_chars = 0
                yield RefusedRow(f"not a readable CSV row: {exc}")


# --- XLSX ----------------------------------------------------------------------------------

_COLUMN = re.compile(r"^[A-Z]{1,3}")


class _TooWide(Exception):
    def __init__(self, row: int, cells: int) -> None:
        self.row, self.cells = row, cells


def _column_number(ref: str) -> int:
    """``"XFD1048576"`` → 16384 (the column of a cell reference), 0 when there is none."""
    match = _COLUMN.match(ref.replace("$", "").upper())
    number = 0
    for letter in match.group(0) if match else "":
        number = number * 26 + ord(letter) - 64
    return number


def _check_unpacked(book: zipfile.ZipFile, limits: UploadLimits) -> None:
    unpacked = sum(info.file_size for info in book.infolist())
    if unpacked > limits.max_unpacked:
        raise InvalidInput(
            f"the XLSX file unpacks to {unpacked} bytes; at most {limits.max_unpacked} are read "
            "(RELAYBIRD_UPLOAD_MAX_UNPACKED)"
        )


def _scan_part(source: IO[bytes], limits: UploadLimits) -> None:
    """Count the cells of every row of one XML part without building anything; refuse
    (InvalidInput) a declared dimension or a row wider than ``max_columns``, and a cell's or a
    shared string's text longer than ``max_cell`` (openpyxl loads every shared string at once;
    Excel itself writes at most 32,767 characters to a cell)."""
    state = {"row": 0, "cells": 0, "depth": 0, "in_text": 0, "text": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local in ("t", "v"):
            state["in_text"] += 1
        elif local in ("c", "si"):
            state["text"] = 0
        if local == "c" and state["depth"]:
            state["cells"] += 1
            if state["cells"] > limits.max_columns:
                raise _TooWide(state["row"], state["cells"])
        elif local == "row":
            state["row"] += 1
            state["cells"] = 0
            state["depth"] += 1
        elif local == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            if _column_number(last) > limits.max_columns:
                raise InvalidInput(
                    f"the sheet declares {_column_number(last)} columns ({attrs.get('ref')}); "
                    f"at most {limits.max_columns} are read (RELAYBIRD_UPLOAD_MAX_COLUMNS)"
                )

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            state["depth"] = max(0, state["depth"] - 1)
        elif local in ("t", "v"):
            state["in_text"] = max(0, state["in_text"] - 1)

    def text(data: str) -> None:
        if state["in_text"]:
            state["text"] += len(data)
            if state["text"] > limits.max_cell:
                raise InvalidInput(
                    f"a cell of the XLSX file has more than {limits.max_cell} characters; a cell "
                    f"has at most {limits.max_cell} (RELAYBIRD_UPLOAD_MAX_CELL)"
                )

    def no_doctype(*_: Any) -> None:
        raise InvalidInput("not a readable XLSX file: a part declares a DTD")

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = no_doctype
    try:
        while chunk := source.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _TooWide as wide:
        raise InvalidInput(
            f"row {wide.row} of the sheet has more than {limits.max_columns} cells; at most "
            f"{limits.max_columns} columns are read (RELAYBIRD_UPLOAD_MAX_COLUMNS)"
        ) from None


def _check_package(fh: IO[bytes], limits: UploadLimits) -> None:
    """Before openpyxl opens the file (its load already walks every worksheet up to its data):
    the unpacked size, then every XML part's dimension and row widths. A part that is not XML
    (an image) is left to openpyxl."""
    try:
        parts = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"not a readable XLSX file: {exc}") from None
    with parts:
        _check_unpacked(parts, limits)
        for info in parts.infolist():
            if info.is_dir():
                continue
            try:
                with parts.open(info) as source:
                    _scan_part(source, limits)
            except xml.parsers.expat.ExpatError as exc:
                if info.filename.lower().endswith((".xml", ".rels")):
                    raise InvalidInput(f"not a readable XLSX file: {exc}") from None
            # zipfile raises NotImplementedError for a compression method it cannot unpack.
            except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError) as exc:
                raise InvalidInput(f"not a readable XLSX file: {exc}") from None
    fh.seek(0)


def _xlsx_rows(path: Path, progress: Progress, limits: UploadLimits) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    fh = path.open("rb")
    try:
        _check_package(fh, limits)
        # A file object, not the path: openpyxl would refuse a path without an .xlsx suffix.
        book = load_workbook(fh, read_only=True, data_only=True)
    except InvalidInput:
        fh.close()
        raise
    except Exception as exc:
        fh.close()
        raise InvalidInput(f"not a readable XLSX file: {exc}") from None
    try:
        if not book.worksheets:
            raise InvalidInput("not a readable XLSX file: it has no worksheet")
        sheet = book.worksheets[0]
        progress.total = int(sheet.max_row or 0)
        for values in sheet.iter_rows(values_only=True):
            progress.done += 1
            yield bounded([_cell(v) for v in values], limits)
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

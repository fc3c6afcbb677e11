"""Files -> DataFrames of text, in chunks, whatever the sheet's format.

CSV (comma, semicolon or tab; UTF-8 with or without BOM, or Latin-1) is
read in chunks so that memory does not grow with the file; XLSX is read
with python-calamine (its sheets hold at most ~1M rows). Every cell comes
back as text or, for XLSX, as the value Excel stored (numbers, dates):
typing is the transform step's job, so that every door types alike.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CHUNK_ROWS = 200_000
SNIFF_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t"]


class ExtractError(Exception):
    """The file cannot be read as a table; says which file and why."""

    def __init__(self, file: str, reason: str):
        self.file, self.reason = file, reason
        super().__init__(f"{file}: {reason}")


@dataclass(frozen=True)
class SheetFormat:
    kind: str  # "csv" or "xlsx"
    encoding: str = "utf-8-sig"
    delimiter: str = ","


def sniff(path: Path) -> SheetFormat:
    """Tell CSV from XLSX by content, not by name, and find the CSV's
    encoding and delimiter; refuse what is neither."""
    name = Path(path).name
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise ExtractError(name, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return SheetFormat("xlsx") if _is_xlsx(path) else _refuse_zip(name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractError(name, "an old binary Excel file (.xls): save it as .xlsx or .csv")
    if b"\x00" in head:
        raise ExtractError(name, "a binary file, not a CSV or XLSX sheet")
    encoding = _encoding(head)
    text = head.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(DELIMITERS, key=header.count)
    return SheetFormat("csv", encoding, delimiter)


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _refuse_zip(name: str):
    raise ExtractError(name, "a ZIP archive, not a sheet: unpack it and load the files inside")


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if exc.start < len(head) - 4:
            return "latin-1"
    return "utf-8-sig"


def read_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The sheet's rows as DataFrames of at most ``chunk_rows`` rows; the
    index keeps each row's position in the whole file (0 = first data row)."""
    path = Path(path)
    fmt = sniff(path)
    if fmt.kind == "xlsx":
        yield from _xlsx_chunks(path, chunk_rows)
        return
    try:
        reader = pd.read_csv(
            path,
            sep=fmt.delimiter,
            encoding=fmt.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
        )
        seen_any = False
        for chunk in reader:
            seen_any = True
            yield chunk
        if not seen_any:
            yield _header_only(path, fmt)
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(path.name, "the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ExtractError(path.name, f"not a readable CSV: {exc}") from exc


def _header_only(path: Path, fmt: SheetFormat) -> pd.DataFrame:
    with open(path, encoding=fmt.encoding) as fh:
        header = next(csv.reader(io.StringIO(fh.readline()), delimiter=fmt.delimiter))
    return pd.DataFrame(columns=[h.strip() for h in header], dtype=str)


def _xlsx_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except CalamineError as exc:
        raise ExtractError(path.name, f"not a readable XLSX workbook: {exc}") from exc
    if not rows:
        raise ExtractError(path.name, "the workbook's first sheet is empty")
    header = [str(h).strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        yield pd.DataFrame(columns=header, dtype=object)
    for start in range(0, len(body), chunk_rows):
        part = body[start : start + chunk_rows]
        frame = pd.DataFrame(part, columns=header, dtype=object)
        frame.index = range(start, start + len(part))
        # calamine gives "" for empty cells: the same as an empty CSV field.
        yield frame.replace("", None)

"""Files -> DataFrames of text, in chunks, whatever the sheet's format.

CSV (comma, semicolon or tab; UTF-8 with or without BOM, UTF-16 with a
BOM, Windows-1252 or Latin-1) is read in chunks so that memory does not
grow with the file; XLSX is read with python-calamine (its sheets hold
at most ~1M rows). Every cell comes back as text or, for XLSX, as the
value Excel stored (numbers, dates): typing is the transform step's
job, so that every door types alike.
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
    # Blank lines before the header (skipped; data rows keep their numbers).
    blank_lines: int = 0


def sniff(path: Path) -> SheetFormat:
    """Tell CSV from XLSX by content, not by name, and find the CSV's
    encoding and delimiter; refuse what is neither."""
    name = Path(path).name
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        complete = not fh.read(1)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text"
        return _csv_format(head, "utf-16")
    if not head.strip():
        raise ExtractError(name, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return SheetFormat("xlsx") if _is_xlsx(path) else _refuse_zip(name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractError(name, "an old binary Excel file (.xls): save it as .xlsx or .csv")
    if b"\x00" in head:
        raise ExtractError(name, "a binary file, not a CSV or XLSX sheet")
    return _csv_format(head, _encoding(head, complete))


def _csv_format(head: bytes, encoding: str) -> SheetFormat:
    lines = head.decode(encoding, errors="replace").splitlines()
    blank = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    header = lines[blank] if blank < len(lines) else ""
    delimiter = max(DELIMITERS, key=header.count)
    return SheetFormat("csv", encoding, delimiter, blank)


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _refuse_zip(name: str):
    raise ExtractError(name, "a ZIP archive, not a sheet: unpack it and load the files inside")


def _encoding(head: bytes, complete: bool) -> str:
    """UTF-8 if the head decodes as UTF-8, else a one-byte encoding.
    ``complete``: the head is the whole file (no character was cut)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if complete or exc.start < len(head) - 4:
            return _one_byte_encoding(head)
    return "utf-8-sig"


def _one_byte_encoding(head: bytes) -> str:
    """Windows-1252 (Excel's CSV on Windows) is Latin-1 with printable
    characters (’ “ ” € …) where Latin-1 has control codes; a byte it
    leaves undefined means Latin-1."""
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


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
            skiprows=fmt.blank_lines,
            # Blank lines are read (and dropped below) so that every later
            # row keeps the number a spreadsheet shows for it.
            skip_blank_lines=False,
        )
        seen_any = False
        for chunk in reader:
            seen_any = True
            chunk.index += fmt.blank_lines
            yield _without_empty_rows(chunk)
        if not seen_any:
            yield _header_only(path, fmt)
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(path.name, "the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ExtractError(path.name, f"not a readable CSV: {exc}") from exc


def _without_empty_rows(chunk: pd.DataFrame) -> pd.DataFrame:
    """Rows with no value at all (a blank line, ",,,," from Excel) are not
    data; the others keep their index, hence their row numbers."""
    return chunk.dropna(how="all")


def _header_only(path: Path, fmt: SheetFormat) -> pd.DataFrame:
    with open(path, encoding=fmt.encoding) as fh:
        for _ in range(fmt.blank_lines):
            fh.readline()
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
        yield _without_empty_rows(frame.replace("", None))

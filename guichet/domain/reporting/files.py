"""Export files under GUICHET_FILES_DIR/exports/<organisation id>/, written in constant memory.

A file is written batch by batch to a temporary name (one per attempt, so a resumed job never
appends to a dead attempt's file), fsync'ed, hashed, then renamed to its final name; only then is
the job marked COMPLETED. CSV is RFC 4180 (CRLF, quotes doubled), UTF-8 without BOM so the
header row is exactly `columns`; every text cell is neutralised against spreadsheet formulas
(domain/invoices/export.safe_cell). JSONL is one self-contained JSON object per line.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson

from guichet.domain.invoices.export import safe_cell

EXTENSIONS = {"CSV": "csv", "JSONL": "jsonl", "ZIP": "zip"}
CONTENT_TYPES = {"CSV": "text/csv; charset=utf-8", "JSONL": "application/x-ndjson", "ZIP": "application/zip"}


@dataclass(frozen=True)
class ExportStore:
    root: Path

    def folder(self, organisation_id: int) -> Path:
        return self.root / "exports" / str(int(organisation_id))

    def temporary(self, organisation_id: int, export_id: int, attempt: int) -> Path:
        folder = self.folder(organisation_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f".tmp-{int(export_id)}-{int(attempt)}"

    def final_name(self, export_id: int, attempt: int, file_format: str) -> str:
        return f"export-{int(export_id)}-{int(attempt)}.{EXTENSIONS[file_format]}"

    def path(self, organisation_id: int, file_name: str) -> Path:
        if "/" in file_name or "\\" in file_name or file_name.startswith("."):
            raise ValueError("not a stored file name")
        return self.folder(organisation_id) / file_name

    def publish(self, temporary: Path, organisation_id: int, file_name: str) -> None:
        os.replace(temporary, self.path(organisation_id, file_name))

    def discard(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return safe_cell(" ".join(value))
    if isinstance(value, str):
        return safe_cell(value)
    return str(value)


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


class TableWriter:
    """Rows to a CSV or JSONL file, a batch at a time."""

    def __init__(self, handle: IO[bytes], file_format: str, columns: Sequence[str]) -> None:
        self.handle = handle
        self.format = file_format
        self.columns = tuple(columns)
        if file_format == "CSV":
            self._write_csv([list(self.columns)])

    def _write_csv(self, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        self.handle.write(buffer.getvalue().encode())

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if self.format == "CSV":
            self._write_csv([[_csv_value(v) for v in row] for row in rows])
            return
        self.handle.write(
            b"".join(
                orjson.dumps({c: _json_value(v) for c, v in zip(self.columns, row, strict=True)}) + b"\n"
                for row in rows
            )
        )


class PdfZipWriter:
    """Invoice PDFs into a ZIP, with index.csv (header = columns) written last."""

    def __init__(self, handle: IO[bytes], columns: Sequence[str]) -> None:
        self.zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED)
        self.index = io.BytesIO()
        self.table = TableWriter(self.index, "CSV", columns)

    def add(self, invoice_gid: str, number: str, pdf: bytes) -> None:
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in number) + ".pdf"
        self.zip.writestr(name, pdf)
        self.table.write([[invoice_gid, number, name, hashlib.sha256(pdf).hexdigest()]])

    def close(self) -> None:
        self.zip.writestr("index.csv", self.index.getvalue())
        self.zip.close()


def finish(handle: IO[bytes], path: Path) -> tuple[int, str]:
    """Flush and fsync the file; its size and hex SHA-256 (read back in chunks)."""
    handle.flush()
    os.fsync(handle.fileno())
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as reader:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()

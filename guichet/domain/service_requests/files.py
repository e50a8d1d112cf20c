"""Attachment bytes on disk under GUICHET_FILES_DIR: written so that file and record agree.

A file is written to a temporary name in its final folder, flushed and fsync'ed, renamed to a
name no other upload uses, and only then is its row marked UPLOADED and committed; if that
commit fails the renamed file is removed. A crash between rename and commit leaves a file whose
row is not UPLOADED: the purge removes it with the row after 24 hours. Files are kept per
organisation (`attachments/<organisation id>/`), and a path is only ever built from a row.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class FileStore:
    root: Path

    def folder(self, organisation_id: int) -> Path:
        return self.root / "attachments" / str(int(organisation_id))

    def path(self, organisation_id: int, file_name: str) -> Path:
        if "/" in file_name or "\\" in file_name or file_name.startswith("."):
            raise ValueError("not a stored file name")
        return self.folder(organisation_id) / file_name

    def write(self, organisation_id: int, storage_key: str, data: bytes) -> str:
        """Write `data` durably under a fresh name starting with `storage_key`; answer that name."""
        folder = self.folder(organisation_id)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{storage_key}.{secrets.token_hex(8)}"
        temporary = folder / f".tmp-{name}"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / name)
        _fsync_folder(folder)
        return name

    def read(self, organisation_id: int, file_name: str) -> bytes | None:
        try:
            return self.path(organisation_id, file_name).read_bytes()
        except (OSError, ValueError):
            return None

    def remove(self, organisation_id: int, file_name: str) -> None:
        with contextlib.suppress(OSError):
            (self.folder(organisation_id) / Path(file_name).name).unlink()

    def older_than(self, cutoff: datetime) -> list[tuple[int, str]]:
        """(organisation id, file name) of every stored file last written before `cutoff`."""
        found: list[tuple[int, str]] = []
        base = self.root / "attachments"
        if not base.is_dir():
            return found
        for folder in base.iterdir():
            if not folder.is_dir() or not folder.name.isdigit():
                continue
            for path in folder.iterdir():
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff.timestamp():
                        found.append((int(folder.name), path.name))
        return found

    def remove_prefixed(self, organisation_id: int, storage_key: str) -> int:
        """Remove every file written for `storage_key` (recorded or not); answer how many."""
        removed = 0
        folder = self.folder(organisation_id)
        if not folder.is_dir():
            return 0
        for path in folder.iterdir():
            name = path.name.removeprefix(".tmp-")
            if name.startswith(storage_key + "."):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

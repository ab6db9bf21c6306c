"""The one store of uploaded files: content-addressed by SHA-256 under ``FILES_DIR``.

Decision order documents and attachments are written here; two uploads of the same bytes share
one file. Nothing here deletes: a stored file goes only when retention finds no row naming it.
"""

import hashlib
from pathlib import Path

from ..errors import NotFound

__all__ = ["store", "stored_path"]

_AREA = "documents"


def store(files_dir: str, data: bytes) -> tuple[str, str]:
    """Write ``data`` under its SHA-256 (once); return ``(relative path, sha256)``.

    >>> import tempfile
    >>> store(tempfile.mkdtemp(), b"order")[0][:17]
    'documents/3e/3eeb'
    """
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(_AREA) / digest[:2] / digest
    path = Path(files_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return str(relative), digest


def stored_path(files_dir: str, relative: str) -> Path:
    """Return the absolute path of a stored file, or raise NotFound (missing, or outside)."""
    root = Path(files_dir).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("the stored file is missing")
    return path

"""Where ticket attachments' bytes live: a small adapter interface, and the local-disk implementation
(files under `var/attachments` by default). The database keeps each attachment's metadata and key."""

import os
import tempfile
from pathlib import Path
from typing import Protocol

ATTACHMENTS_DIR_ENV = "BAIYING_ATTACHMENTS_DIR"


class AttachmentStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalAttachmentStore:
    """Files under `root`, one per key (`tenant/ticket/attachment`); written to a temporary file and
    renamed, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def from_environment(cls) -> "LocalAttachmentStore":
        return cls(Path(os.environ.get(ATTACHMENTS_DIR_ENV) or Path("var") / "attachments"))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"attachment key {key!r} leaves the store")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

"""What a ticket attachment may be: a size cap and a list of content types, each checked against the
file's first bytes (a PNG must start like a PNG), so a declared type cannot smuggle in something else."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from baiying.errors import DomainError
from baiying.tickets.errors import InvalidTicket

DEFAULT_MAX_BYTES = 1024 * 1024  # the API's default body cap; a larger cap needs a larger body cap too


class AttachmentTooLarge(DomainError):
    code = "attachment-too-large"


class UnsupportedAttachmentType(DomainError):
    code = "unsupported-attachment-type"


def _text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_SIGNATURES: Final[Mapping[str, tuple[bytes, ...]]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "audio/wav": (b"RIFF",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
}
TEXT_TYPES: Final = ("text/plain", "text/csv")


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int = DEFAULT_MAX_BYTES
    content_types: frozenset[str] = field(default_factory=lambda: frozenset({*_SIGNATURES, *TEXT_TYPES}))

    def check(self, filename: str, content_type: str | None, data: bytes) -> str:
        """The attachment's content type (without parameters); raises InvalidTicket for a bad file name,
        AttachmentTooLarge over the cap, UnsupportedAttachmentType for a type not allowed or content
        that is not of the declared type."""
        if (
            not filename
            or len(filename) > 200
            or any(c in filename for c in "/\\\x00")
            or filename in (".", "..")
        ):
            raise InvalidTicket(
                f"file name {filename!r} must be 1 to 200 characters without / or \\", {"field": "filename"}
            )
        if len(data) > self.max_bytes:
            raise AttachmentTooLarge(
                f"{filename!r} is {len(data)} bytes; attachments may be at most {self.max_bytes} bytes",
                {"size_bytes": len(data), "max_bytes": self.max_bytes},
            )
        if not data:
            raise InvalidTicket(f"{filename!r} is empty", {"field": "body"})
        kind = (content_type or "").split(";")[0].strip().lower()
        allowed = sorted(self.content_types)
        if kind not in self.content_types:
            raise UnsupportedAttachmentType(
                f"content type {kind or 'none'!r} is not accepted; send one of {', '.join(allowed)}",
                {"content_type": kind, "allowed": allowed},
            )
        signatures = _SIGNATURES.get(kind)
        matches = _text(data) if signatures is None else data.startswith(signatures)
        if not matches:
            raise UnsupportedAttachmentType(
                f"{filename!r} is declared {kind} but its content is not",
                {"content_type": kind, "allowed": allowed},
            )
        return kind

"""An upload handler that stops writing a file to disk once it is larger than any form accepts.

Django streams uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file: without a cap,
a 2 GB upload fills the disk before any form sees it. This handler comes first in
FILE_UPLOAD_HANDLERS: past the cap it keeps counting but passes nothing on, and hands the
form an empty file that carries the real size, so the form's size check still answers with
the usual French message ("« x.pdf » pèse 50 Mio : la taille maximale est de 10 Mio").
The proxy's body limit (docs/security.md) bounds the bandwidth; this bounds the disk.
"""

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


def cap_bytes() -> int:
    """The largest file any upload field accepts (attachments, spreadsheet imports)."""
    return max(
        int(getattr(settings, "MAILLAGE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)),
        int(getattr(settings, "MAILLAGE_IMPORT_MAX_BYTES", 0)),
    )


class OversizedUpload(UploadedFile):
    """A refused file: no content kept, only its name, type and real size."""

    def __init__(self, name: str, content_type: str | None, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class SizeCapUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.cap = cap_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        # None stops the chunk here: the next handlers (memory, temporary file) never see it.
        return raw_data if self.received <= self.cap else None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= self.cap:
            return None  # the next handler returns the real file
        return OversizedUpload(self.file_name or "", self.content_type, self.received, self.charset)

"""Recognise the accepted attachment formats by their content, never by name or browser type.

Pure (no Django import): the upload form reads the first bytes and the zip directory.
"""

import io
import zipfile
from typing import IO, Any

PDF = "pdf"
ODT = "odt"
DOCX = "docx"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def detect_kind(stream: IO[Any]) -> str | None:
    """ "pdf", "odt" or "docx" when the content really is one, else None."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            # OpenDocument: the first member is an uncompressed "mimetype" naming the type.
            if names and names[0] == "mimetype":
                # A tiny member: never decompress an announced-huge one (zip bomb).
                if archive.getinfo("mimetype").file_size > 100:
                    return None
                if archive.read("mimetype").strip() == ODT_MIMETYPE:
                    return ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError):
        return None
    finally:
        stream.seek(0)
    return None


def detect_bytes(data: bytes) -> str | None:
    return detect_kind(io.BytesIO(data))

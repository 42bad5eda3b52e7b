"""Recognise the accepted attachment formats by their content, never by name or browser type.

Pure (no Django import): the upload form reads the first bytes and the zip directory.
``inspect`` adds what a recognised format is not enough to trust: the name's extension must
name the same format, and polyglots (a PDF that is also a zip or carries appended data, an
office document starting like a PDF or a web page) and active content (PDF JavaScript or
launch actions, office macros) are refused.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
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


# Problems ``inspect`` reports (the form turns them into French messages).
NOT_A_DOCUMENT = "not_a_document"
WRONG_EXTENSION = "wrong_extension"
POLYGLOT = "polyglot"
ACTIVE_CONTENT = "active_content"

EXTENSIONS = {PDF: ".pdf", ODT: ".odt", DOCX: ".docx"}
# Readers look for "%PDF-" in the first 1024 bytes and "%%EOF" in the last 1024 (Acrobat's
# rule); browsers sniff HTML in the first 512.
HEAD = TAIL = 1024
CHUNK = 1024 * 1024
HTML_MARKERS = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|img)[\s/>]",
    re.IGNORECASE,
)
# Name tokens of a PDF's active content: long enough never to occur by chance in binary data.
PDF_ACTIVE = (b"/JavaScript", b"/Launch")
ZIP_END = b"PK\x05\x06"


@dataclass(frozen=True)
class Verdict:
    kind: str | None
    problem: str = ""

    @property
    def accepted(self) -> bool:
        return self.kind is not None and not self.problem


def extension_of(name: str) -> str:
    base = re.split(r"[/\\]", name)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def inspect(name: str, stream: IO[Any]) -> Verdict:
    """The format of an upload by its content, and the first reason to refuse it if any."""
    kind = detect_kind(stream)
    if kind is None:
        return Verdict(None, NOT_A_DOCUMENT)
    if extension_of(name) != EXTENSIONS[kind]:
        return Verdict(kind, WRONG_EXTENSION)
    try:
        problem = _pdf_problem(stream) if kind == PDF else _zip_problem(stream, kind)
    finally:
        stream.seek(0)
    return Verdict(kind, problem)


def _pdf_problem(stream: IO[Any]) -> str:
    stream.seek(0)
    if HTML_MARKERS.search(stream.read(HEAD)):
        return POLYGLOT
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - TAIL))
    tail = stream.read()
    end = tail.rfind(b"%%EOF")
    # Nothing but line ends or padding after the last %%EOF: appended data is how a PDF
    # carries a second format (a zip, a web page).
    if end < 0 or tail[end + 5 :].strip(b"\r\n\t \x00"):
        return POLYGLOT
    stream.seek(0)
    if zipfile.is_zipfile(stream):
        return POLYGLOT
    stream.seek(0)
    previous = b""
    while chunk := stream.read(CHUNK):
        window = previous + chunk
        if any(token in window for token in PDF_ACTIVE):
            return ACTIVE_CONTENT
        previous = chunk[-16:]
    return ""


def _zip_problem(stream: IO[Any], kind: str) -> str:
    stream.seek(0)
    head = stream.read(HEAD)
    if b"%PDF-" in head or HTML_MARKERS.search(head):
        return POLYGLOT
    # The end-of-archive record (and its declared comment) must end the file: no appended data.
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 22 - 0xFFFF))
    tail = stream.read()
    at = tail.rfind(ZIP_END)
    if at < 0 or at + 22 > len(tail):
        return POLYGLOT
    comment_length = int.from_bytes(tail[at + 20 : at + 22], "little")
    if at + 22 + comment_length != len(tail):
        return POLYGLOT
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        names = archive.namelist()
    if kind == DOCX and any(n.lower().endswith("vbaproject.bin") for n in names):
        return ACTIVE_CONTENT
    if kind == ODT and any(n.startswith(("Basic/", "Scripts/")) for n in names):
        return ACTIVE_CONTENT
    return ""


def safe_name(name: str, kind: str) -> str:
    """The original name as shown and offered for download: no folders, no control
    characters, at most 255 characters with the format's extension kept."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in base)
    base = " ".join(base.split())
    extension = EXTENSIONS[kind]
    stem = base[: -len(extension)] if base.lower().endswith(extension) else base
    # No leading dot (a hidden file once saved), no trailing dot or space (Windows drops them).
    stem = stem.strip(". ")[: 255 - len(extension)].strip(". ") or "document"
    return stem + extension

"""Which encoding a text file (a CSV, an HTML "export to Excel") was written in, decided from its bytes.

Agencies' files arrive as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text", LE or BE, by its BOM),
Windows-1258 (Excel's plain "CSV" on a Vietnamese Windows: tone marks as combining characters) or
Windows-1252 (the same on a Western Windows). Text decoded from Windows-1258 is NFC-normalised, so that
"Bô\u0301i" reads as "Bối" like text typed anywhere else.
"""
from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"  # Python's codec reads the BOM and the byte order from it
LEGACY = ("cp1258", "cp1252")
_BOMS = ((codecs.BOM_UTF8, UTF8_BOM), (codecs.BOM_UTF16_LE, UTF16), (codecs.BOM_UTF16_BE, UTF16))
# Control bytes no text holds (tab, line feed, carriage return and NUL apart): a binary file's.
_CONTROL_BYTES = tuple(bytes([b]) for b in (*range(1, 9), 11, 12, *range(14, 32)))
# Letters Vietnamese writes and Windows-1252 cannot: seen after a Windows-1258 decoding, they say it was right.
_VIETNAMESE_ONLY = frozenset(
    "ăắằẳẵặĂẮẰẲẴẶđĐơớờởỡợƠỚỜỞỠỢưứừửữựƯỨỪỬỮỰảạấầẩẫậẢẠẤẦẨẪẬẻẽẹếềểễệẺẼẸẾỀỂỄỆỉĩịỈĨỊỏọốồổỗộỎỌỐỒỔỖỘ"
    "ủũụỦŨỤỳỷỹỵỲỶỸỴ"
)


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``head`` announces, if any."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for text written two bytes a character without a BOM (mostly ASCII, so one
    byte of each pair is zero), else None."""
    sample = head[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def binary(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file with no BOM and not UTF-16 are a binary file's: NUL bytes
    more than a stray few (over 1 % of the first 4 KB), or NULs among other control bytes. A text export with a
    few empty characters (NUL) left in its cells is text."""
    sample = head[:4096]
    nuls = sample.count(b"\x00")
    if not nuls:
        return False
    limit = max(4, len(sample) // 100)
    return nuls > limit or sum(sample.count(byte) for byte in _CONTROL_BYTES) > limit


def first_non_utf8(path: Path, block_size: int = 1 << 20) -> bytes | None:
    """None when the whole file is UTF-8; else the block where it first stops being UTF-8 (read in blocks: a
    million-row export never sits in memory)."""
    decoder = codecs.getincrementaldecoder(UTF8)()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(block_size), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return block
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return block[-4:]  # a multi-byte character cut off at the end of the file
    return None


def undecodable_line(path: Path, block_size: int = 1 << 20) -> int | None:
    """The line (1-based) where a file in none of the encodings above stops being text: the first byte that
    neither Windows-1258 nor Windows-1252 defines by then (each leaves a few undefined); None if one decodes it
    all."""
    failed: dict[str, int] = {}
    offset = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(block_size), b""):
            for encoding in LEGACY:
                if encoding not in failed:
                    try:
                        block.decode(encoding)
                    except UnicodeDecodeError as error:
                        failed[encoding] = offset + error.start
            if len(failed) == len(LEGACY):
                break
            offset += len(block)
    if len(failed) < len(LEGACY):
        return None
    position, line, offset = max(failed.values()), 1, 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(block_size), b""):
            line += block.count(b"\n", 0, max(0, position - offset))
            offset += len(block)
            if offset >= position:
                break
    return line


def is_utf8(data: bytes, complete: bool) -> bool:
    """Whether ``data`` is UTF-8; when not ``complete`` (the first bytes of a file), a character cut off at the
    end does not count against it."""
    try:
        codecs.getincrementaldecoder(UTF8)().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def legacy_encoding(sample: bytes) -> str | None:
    """Windows-1258 or Windows-1252 for non-UTF-8 bytes: the one whose decoding gives more Vietnamese letters
    (after NFC, a Windows-1258 tone mark joins its vowel), less tone marks left alone; None if neither decodes."""
    best, best_score = None, None
    for encoding in LEGACY:
        try:
            text = unicodedata.normalize("NFC", sample.decode(encoding))
        except UnicodeDecodeError:
            continue
        stray = sum(1 for char in text if unicodedata.combining(char))
        score = sum(1 for char in text if char in _VIETNAMESE_ONLY) - 3 * stray
        if best_score is None or score > best_score:
            best, best_score = encoding, score
    return best


def decode(data: bytes, declared: str | None = None) -> str:
    """All of ``data`` as text: a BOM first, then UTF-8 if it is valid, then the ``declared`` encoding (an HTML
    page's charset) if it decodes, then Windows-1258/1252 (undecodable bytes replaced); NFC-normalised."""
    encoding = bom_encoding(data) or utf16_without_bom(data)
    if encoding is None:
        if is_utf8(data, complete=True):
            encoding = UTF8
        elif declared and _decodes(data, declared):
            encoding = declared
        else:
            encoding = legacy_encoding(data) or LEGACY[1]
    return unicodedata.normalize("NFC", data.decode(encoding, errors="replace")).lstrip("\ufeff")


def normalised_lines(lines):
    """``lines`` NFC-normalised one at a time (for a streamed Windows-1258 file)."""
    normalize, is_normalized = unicodedata.normalize, unicodedata.is_normalized
    for line in lines:
        yield line if is_normalized("NFC", line) else normalize("NFC", line)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
        data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True

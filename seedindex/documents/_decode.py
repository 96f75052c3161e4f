"""Bytes to text: UTF-8, UTF-16 and UTF-32 with their byte order marks, and legacy
8-bit text (Windows-1252, else Latin-1) when a file is not UTF-8 but reads as text."""

from __future__ import annotations

import codecs
import re

_BINARY_PROBE = 8192
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)  # before UTF-16's: LE starts alike
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Control bytes that text does not hold (tab, line ends, form feed and ^Z aside).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")
_CONTROL_SHARE = 0.01


def decode(data: bytes | bytearray) -> tuple[str, bool]:
    """The text of ``data``, and whether it was read as a legacy 8-bit encoding.

    Raises ValueError saying why the bytes are not text.
    """
    if data.startswith(_UTF32_BOMS):
        return _strict(data, "utf-32"), False
    if data.startswith(_UTF16_BOMS):
        return _strict(data, "utf-16"), False
    if b"\0" in data[:_BINARY_PROBE]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError as exc:
        problem = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    if len(_CONTROL_BYTES.findall(data[: 1 << 20])) > _CONTROL_SHARE * min(len(data), 1 << 20):
        raise ValueError(f"{problem}, nor text in a legacy encoding")
    try:
        return data.decode("cp1252"), True
    except UnicodeDecodeError:  # five bytes Windows-1252 leaves undefined
        return data.decode("latin-1"), True


def _strict(data: bytes | bytearray, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        name = encoding.upper()
        raise ValueError(f"not valid {name} despite its byte order mark") from None

from __future__ import annotations

import codecs

import pytest

from seedindex.documents import decode


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain", "plain"),
        (codecs.BOM_UTF8 + "bom é".encode(), "bom é"),
        (codecs.BOM_UTF16_LE + "utf16 é".encode("utf-16-le"), "utf16 é"),
        (codecs.BOM_UTF16_BE + "utf16 é".encode("utf-16-be"), "utf16 é"),
        (codecs.BOM_UTF32_LE + "utf32 é".encode("utf-32-le"), "utf32 é"),
        (codecs.BOM_UTF32_BE + "utf32 é".encode("utf-32-be"), "utf32 é"),
        (b"", ""),
    ],
)
def test_decodes_utf8_and_utf16_and_utf32_with_bom(data: bytes, text: str) -> None:
    assert decode(data) == (text, False)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("café naïve, “quoted” – dash".encode("cp1252"), "café naïve, “quoted” – dash"),
        (b"Gr\xfc\xdfe aus K\xf6ln\r\n", "Grüße aus Köln\r\n"),
        (b"undefined in cp1252: \x81\x8d", "undefined in cp1252: \x81\x8d"),  # Latin-1
    ],
)
def test_legacy_8_bit_text_is_read_and_said_to_be(data: bytes, text: str) -> None:
    assert decode(data) == (text, True)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0", "binary"),
        (bytes(range(1, 32)) * 10 + b"\xff", "not valid UTF-8 (byte 0xff"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "not valid UTF-16"),
    ],
)
def test_bytes_that_are_no_text_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        decode(data)


def test_decode_reports_where_utf8_breaks_in_binary_looking_data() -> None:
    with pytest.raises(ValueError, match="offset 2"):
        decode(b"ok\xff" + b"\x01" * 10)

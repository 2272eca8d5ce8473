"""Reading text files whatever encoding an agency's spreadsheet program saved them in.

:func:`decode_text` turns the bytes of a CSV file into text: UTF-8 (with or without a
byte-order mark), UTF-16 (little or big endian, with a mark, or without one when the
file is plainly ASCII text in UTF-16) and Windows-1252 (what Excel on Windows writes as
"CSV").  Anything else raises :class:`UnknownEncoding`, whose message names what the
file looks like, so that the sender knows what to change.
"""

from __future__ import annotations

import codecs


class UnknownEncoding(ValueError):
    """The bytes are not text in an encoding StatDesk reads; ``str()`` says what they are."""


def _looks_utf16(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for BOM-less UTF-16 text of mostly ASCII characters."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, name of the encoding it was read in). Raises :class:`UnknownEncoding`."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0 \
            and data[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        raise UnknownEncoding("UTF-32 text")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            raise UnknownEncoding("marked as UTF-8 but not valid UTF-8") from None
    for bom, codec, name in ((codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
                             (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE")):
        if data.startswith(bom):
            try:
                return data[2:].decode(codec), name
            except UnicodeDecodeError:
                raise UnknownEncoding(f"marked as {name} but not valid {name}") from None
    guess = _looks_utf16(data)
    if guess is not None:
        try:
            return data.decode(guess), guess.upper().replace("UTF-16-", "UTF-16 ")
        except UnicodeDecodeError:
            raise UnknownEncoding("UTF-16 text that cannot be decoded") from None
    if b"\x00" in data:
        raise UnknownEncoding("binary data, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise UnknownEncoding("neither UTF-8, UTF-16 nor Windows-1252 text (perhaps another "
                              "code page)") from None


__all__ = ["UnknownEncoding", "decode_text"]

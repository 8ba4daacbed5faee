"""HTML bytes -> str: the page's charset from BOM, UTF-8 validity, HTTP header, meta tag, detection.

Order and why:
1. a byte-order mark decides (as browsers do);
2. bytes that are valid UTF-8 are UTF-8: servers and meta tags often claim
   latin-1 for UTF-8 pages, while non-UTF-8 text almost never decodes as UTF-8;
3. the HTTP header's charset, then the first `<meta charset>` in the head (a declared
   UTF-8 that does not validate is UTF-8 with the bad bytes replaced);
4. charset-normalizer's guess; 5. UTF-8 with replacement characters.
Declared labels are read as the WHATWG Encoding Standard does (gb2312 means
GBK/gb18030, latin-1 means windows-1252, ...), which is what pages are written for.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

# Labels whose WHATWG decoder is a superset with another Python name.
_WHATWG = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "iso-8859-9": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "big5": "big5hkscs",
}


def python_codec(label: str) -> str | None:
    """A declared charset label -> a Python codec name, or None if unknown."""
    label = label.strip().lower()
    name = _WHATWG.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(html: bytes, content_type: str) -> list[str]:
    """Codecs declared by the HTTP header, then by the first meta tag."""
    declared = []
    header = _HEADER_CHARSET.search(content_type)
    meta = _META_CHARSET.search(html[:8192])
    for label in (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None):
        codec = python_codec(label) if label else None
        if codec and codec not in declared:
            declared.append(codec)
    return declared


def decode_html(html: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode a page; returns (text, how) where `how` names the rule that decided."""
    for bom, codec in BOMS:
        if html.startswith(bom):
            return html.decode(codec, errors="replace"), "bom"
    try:
        return html.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for codec in declared_charsets(html, content_type):
        if codec == "utf-8":
            # Declared, and not valid: a cut or corrupt sequence in UTF-8 text (a real page of
            # trafilatura's evaluation set has one), not another charset. Detection guessed mac_latin2
            # for that page and garbled all of it; replacing the bad bytes loses one character.
            return html.decode(codec, errors="replace"), "declared"
        try:
            return html.decode(codec), "declared"
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(html).best()
    if best is not None:
        return str(best), "detected"
    return html.decode("utf-8", errors="replace"), "fallback"

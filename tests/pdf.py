"""Reading back the PDFs our printouts write (fpdf2, uncompressed), for the tests that check them."""

import re


def _cmap(stream: str) -> dict[int, str]:
    cmap = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", stream, re.S):
        for gid, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[int(gid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    return cmap


def pdf_text(pdf: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF. Unicode TTF text is written as 2-byte glyph ids, so
    each (...) Tj string is mapped back through the ToUnicode CMap of the font selected by Tf."""
    raw = pdf.decode("latin-1")
    objects = dict(re.findall(r"(\d+) 0 obj(.*?)endobj", raw, re.S))
    cmaps = {}
    for name, number in re.findall(r"/(F\d+) (\d+) 0 R", raw):
        to_unicode = re.search(r"/ToUnicode (\d+) 0 R", objects[number])
        cmaps[name] = _cmap(objects[to_unicode.group(1)]) if to_unicode else {}
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
    text, cmap = [], {}
    for m in re.finditer(r"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", raw, re.S):
        if m.group(1):
            cmap = cmaps[m.group(1)]
            continue
        codes = re.sub(
            r"\\(.)", lambda e: escapes.get(e.group(1), e.group(1)), m.group(2), flags=re.S
        )
        glyphs = [ord(codes[k]) << 8 | ord(codes[k + 1]) for k in range(0, len(codes) - 1, 2)]
        text.append("".join(cmap.get(g, "?") for g in glyphs))
    return "\n".join(text)

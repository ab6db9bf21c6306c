"""The redaction mark's font: one glyph, U+2588 FULL BLOCK, drawn here.

The vendored Noto Sans has no ``█``, so without this font WeasyPrint would draw the mark of a
masked name (``domain.mentions.MASK_MARK``) with whatever system font has it, or not at all.
``report.css`` declares this font as a face of "Noto Sans" and "Noto Sans Mono" for U+2588 only
(``unicode-range``), so text and diagrams alike take the mark from it. The file
``assettrack/static/fonts/RedactionMark.ttf`` is made by ``python -m
assettrack.services.pdf_mark_font``;
the block covers the line box of Noto Sans (ascender 1069, descender -293 of 1000 units).
"""

import sys
from pathlib import Path

__all__ = ["FONT_FILE", "build"]

FONT_FILE = Path(__file__).resolve().parent.parent / "static" / "fonts" / "RedactionMark.ttf"
_FAMILY = "assettrack Redaction Mark"
_ADVANCE = 600
_TOP, _BOTTOM = 880, -200


def build(path: Path = FONT_FILE) -> Path:
    """Write the font to ``path``; return it."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def box(width, bottom, top):
        pen = TTGlyphPen(None)
        if width:
            pen.moveTo((0, bottom))
            pen.lineTo((0, top))
            pen.lineTo((width, top))
            pen.lineTo((width, bottom))
            pen.closePath()
        return pen.glyph()

    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", "uni2588"])
    builder.setupCharacterMap({0x2588: "uni2588"})
    builder.setupGlyf(
        {".notdef": box(0, 0, 0), "space": box(0, 0, 0), "uni2588": box(_ADVANCE, _BOTTOM, _TOP)}
    )
    builder.setupHorizontalMetrics(
        {".notdef": (_ADVANCE, 0), "space": (260, 0), "uni2588": (_ADVANCE, 0)}
    )
    builder.setupHorizontalHeader(ascent=1069, descent=-293)
    builder.setupNameTable(
        {"familyName": _FAMILY, "styleName": "Regular", "psName": "assettrack-RedactionMark"}
    )
    builder.setupOS2(
        sTypoAscender=1069, sTypoDescender=-293, usWinAscent=1069, usWinDescent=293, fsType=0
    )
    builder.setupPost()
    builder.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else FONT_FILE))

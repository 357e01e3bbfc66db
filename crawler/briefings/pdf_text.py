"""A PDF briefing to lines of text, with pypdf.

A PDF has no headings, only type: a line set wholly in a larger size than the body text (or in
bold, where the body is not) is an item's headline. Lines are numbered as in the text read
(pages one after the other). A PDF with no text on any page is an image-only scan: it is read
as empty, and reading says why.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pypdf

from crawler.briefings.documents import BriefingError, Line, ReadDocument

MAX_PDF_PAGES = 500
# How much larger than the body text a line's type must be to make it a headline.
HEADING_SIZE_RATIO = 1.15


@dataclass
class _TypeOfLines:
    """What pypdf's text visitor saw: each line's text with the size and weight of its type."""

    lines: list[list[tuple[str, float, bool]]] = field(default_factory=lambda: [[]])

    def visit(self, text: str, cm: list[float], tm: list[float], font: Any, font_size: float) -> None:
        scale = (abs(cm[0] * cm[3] - cm[1] * cm[2]) * abs(tm[0] * tm[3] - tm[1] * tm[2])) ** 0.5
        base_font = str(font.get("/BaseFont", "")) if font else ""
        for position, piece in enumerate(text.split("\n")):
            if position:
                self.lines.append([])
            if piece.strip():
                self.lines[-1].append((piece, round(font_size * scale, 1), "bold" in base_font.lower()))

    def headlines(self) -> set[str]:
        """The texts of the lines set as headlines."""
        sizes: Counter[float] = Counter()
        bold_characters = characters = 0
        for line in self.lines:
            for piece, size, bold in line:
                sizes[size] += len(piece)
                characters += len(piece)
                bold_characters += len(piece) * bold
        if not sizes:
            return set()
        body_size = sizes.most_common(1)[0][0]
        body_is_bold = bold_characters > characters / 2
        return {
            " ".join("".join(piece for piece, _, _ in line).split())
            for line in self.lines
            if line
            and (
                all(size > body_size * HEADING_SIZE_RATIO for _, size, _ in line)
                or (not body_is_bold and all(bold for _, _, bold in line))
            )
        }


def read_pdf(data: bytes, name: str) -> ReadDocument:
    seen = _TypeOfLines()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BriefingError(f"{name}: an encrypted PDF (save it again without a password)")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise BriefingError(
                f"{name}: {len(reader.pages)} pages, over the {MAX_PDF_PAGES} a briefing may have"
            )
        texts = [page.extract_text(visitor_text=seen.visit) for page in reader.pages]
    except BriefingError:
        raise
    except Exception as error:  # pypdf's errors on a broken file are of many kinds: all say the same
        raise BriefingError(f"{name}: not a readable PDF ({type(error).__name__}: {error})") from None
    text = "\n".join(texts)
    headlines = seen.headlines()
    lines = [
        Line(number, " ".join(content.split()), " ".join(content.split()) in headlines)
        for number, content in enumerate(text.splitlines(), start=1)
        if content.strip()
    ]
    problems = []
    if not lines:
        problems.append(
            f"no text on any of its {len(reader.pages)} page(s): an image-only scan? (run OCR first)"
        )
    return ReadDocument("pdf", text, lines, problems)

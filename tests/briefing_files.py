"""Briefing files the tests make: the synthetic weekly briefing set in type as a PDF, and scans."""

from __future__ import annotations

import io
import json
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from tests.helpers import FIXTURES

BRIEFINGS = FIXTURES / "briefings"
WEEKLY_TEXT = BRIEFINGS / "weekly.txt"
# The citations of the weekly briefing in every format, reviewed by hand (without `line`).
WEEKLY_CITATIONS = [
    json.loads(line) for line in (BRIEFINGS / "weekly.expected.jsonl").read_text().splitlines()
]


def pdf_of_text(text: str, headlines: set[str]) -> bytes:
    """`text` set as a word processor would: `headlines` in 14-point bold, the rest in 9-point."""
    pdf = FPDF(format="A4")
    pdf.set_margins(12, 12)
    pdf.add_page()
    for line in text.splitlines():
        if not line.strip():
            pdf.ln(3)
            continue
        headline = line in headlines
        pdf.set_font("Helvetica", "B" if headline else "", 14 if headline else 9)
        pdf.multi_cell(0, 7 if headline else 4.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def weekly_pdf() -> bytes:
    """The weekly text briefing as a PDF, its title and item headlines set as headlines."""
    text = WEEKLY_TEXT.read_text(encoding="utf-8")
    headlines = {citation["item"] for citation in WEEKLY_CITATIONS} | {text.splitlines()[0]}
    return pdf_of_text(text, headlines)


def scanned_pdf() -> bytes:
    """A PDF holding one page that is only an image: a scan with no text layer."""
    image = io.BytesIO()
    Image.new("L", (600, 800), color=235).save(image, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    return bytes(pdf.output())


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path

"""`sourcevault briefing parse`: the synthetic briefings of tests/fixtures/briefings in text,
Markdown, HTML and PDF give the same citations; bad input gives a warning naming the line or a
one-line error, never a traceback."""

from __future__ import annotations

import json

import pytest

from crawler.briefings import BriefingError, parse_briefing
from tests.briefing_files import BRIEFINGS, WEEKLY_CITATIONS, scanned_pdf, weekly_pdf, write

FIELDS = ["position", "item", "label", "claimed_date", "url", "kind", "platform", "outlet", "post_id", "line"]


def weekly(format_name: str) -> tuple[str, bytes]:
    if format_name == "pdf":
        return "weekly.pdf", weekly_pdf()
    name = {"text": "weekly.txt", "markdown": "weekly.md", "html": "weekly.html"}[format_name]
    return name, (BRIEFINGS / name).read_bytes()


@pytest.mark.parametrize("format_name", ["text", "markdown", "html", "pdf"])
def test_every_format_gives_the_reviewed_citations(format_name, registry):
    name, data = weekly(format_name)
    parsed = parse_briefing(data, name, registry=registry)
    assert parsed.format == format_name
    cited = [
        {key: value for key, value in citation.to_json().items() if key != "line"}
        for citation in parsed.citations
    ]
    assert cited == WEEKLY_CITATIONS
    assert parsed.warnings == ()


@pytest.mark.parametrize("format_name", ["text", "markdown", "html", "pdf"])
def test_a_citation_names_the_line_its_source_is_written_on(format_name, registry):
    name, data = weekly(format_name)
    parsed = parse_briefing(data, name, registry=registry)
    # Text, Markdown and HTML: the file's own lines; PDF: the lines of the text read from it.
    lines = (parsed.text if format_name == "pdf" else data.decode()).splitlines()
    for citation in parsed.citations:
        written = lines[citation.line - 1]
        assert (citation.label or "") in written or (citation.url or "") in written.replace("&amp;", "&")


def test_the_items_are_the_headings_of_a_marked_up_briefing(registry):
    parsed = parse_briefing((BRIEFINGS / "weekly.md").read_bytes(), "weekly.md", registry=registry)
    headlines = [item.headline for item in parsed.items]
    # The h1 title is not an item; ##, ### and a setext heading are.
    assert headlines[0] == "Taiwan Reports Record Incursions Near the Median Line"
    assert "Netizens Mock an Official's Speech" in headlines
    assert (
        "Hong Kong Lawmakers Debate Amendments to the Security Law, With Invented Details Added for Length"
        in headlines
    )
    assert len(headlines) == 10
    assert [item.line for item in parsed.items][:2] == [5, 13]


def test_a_pdf_headline_set_on_two_lines_is_one_item(registry):
    parsed = parse_briefing(weekly_pdf(), "weekly.pdf", registry=registry)
    headline = (
        "Hong Kong Lawmakers Debate Amendments to the Security Law, With Invented Details Added for Length"
    )
    assert headline not in parsed.text.splitlines()  # the PDF wrapped it
    assert headline in [item.headline for item in parsed.items]


def test_links_outside_the_briefing_are_not_citations(registry):
    parsed = parse_briefing((BRIEFINGS / "weekly.html").read_bytes(), "weekly.html", registry=registry)
    assert not [citation for citation in parsed.citations if "invented-institute" in (citation.url or "")]
    assert "window.analytics" not in parsed.text and "Follow us" not in parsed.text
    # An inline link of a summary paragraph stays in the text, outside any source block.
    assert "monitoring them https://www.invented-coastguard.example/news" in parsed.text


def test_the_command_prints_one_line_per_citation_in_order(cli):
    result = cli("briefing", "parse", str(BRIEFINGS / "weekly.txt"))
    rows = result.stdout.splitlines()
    assert result.exit_code == 0 and result.stderr == ""
    assert len(rows) == len(WEEKLY_CITATIONS)
    assert rows[0].split() == [
        "1",
        "2024-04-02",
        "page",
        "ltn",
        "Liberty",
        "Times",
        "https://news.ltn.com.tw/news/world/breakingnews/4630001",
    ]
    assert rows[4].split()[:5] == ["5", "2024-06-09", "missing_url/x", "-", "Twitter"]


def test_the_command_prints_json_lines_with_every_field(cli):
    result = cli("briefing", "parse", str(BRIEFINGS / "weekly.html"), "--json")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert [list(citation) for citation in objects] == [FIELDS] * len(WEEKLY_CITATIONS)
    assert [citation["position"] for citation in objects] == list(range(1, len(WEEKLY_CITATIONS) + 1))


# Bad input ---------------------------------------------------------------------------------


def test_rough_edges_give_the_citation_with_null_fields_and_a_warning_naming_the_line(registry):
    parsed = parse_briefing(
        (BRIEFINGS / "rough-edges.txt").read_bytes(), "rough-edges.txt", registry=registry
    )
    read = [
        (c.label, c.claimed_date and c.claimed_date.isoformat(), c.url, c.kind, c.platform, c.outlet)
        for c in parsed.citations
    ]
    assert read == [
        (
            "自由時報",
            "2022-03-28",
            "https://news.ltn.com.tw/news/politics/breakingnews/3872002",
            "page",
            None,
            "ltn",
        ),
        (
            "Liberty Times",
            None,
            "https://news.ltn.com.tw/news/world/breakingnews/4630002",
            "page",
            None,
            "ltn",
        ),
        ("CNA", None, "https://www.cna.com.tw/news/acn/202404030001.aspx", "page", None, "cna"),
        ("CNA", "2024-04-13", "https://www.cna.com.tw/news/acn/202404130001.aspx", "page", None, "cna"),
        (
            "Epoch Times",
            None,
            "https://www.epochtimes.com/b5/24/4/13/n14200001.htm",
            "page",
            None,
            "epochtimes",
        ),
        ("微博", "2024-06-09", None, "missing_url", "weibo", None),
        (None, None, "https://news.ltn.com.tw/news/world/breakingnews/", "page", None, "ltn"),
        (
            "Global Times (环球时报)",
            "2024-06-09",
            "https://world.huanqiu.com/article/4HxYzAbCdE1",
            "page",
            None,
            "huanqiu",
        ),
        (
            "Sina",
            "2024-06-10",
            "https://news.sina.com.cn/c/2024-06-10/doc-inaxyzab1234567.shtml",
            "page",
            None,
            "sina",
        ),
    ]
    assert [(warning.line, warning.message.split(":")[0]) for warning in parsed.warnings] == [
        (12, "date '2024/13/45' is not a day of the calendar; its claimed date is null"),
        (14, "date '03/04/2024' could be day/month or month/day"),
        (18, "no date for 'Epoch Times'"),
        (21, "'4630003' follows the URL https"),
        (30, "a URL alone on its line outside any source block (no 'Source"),
    ]


def test_a_briefing_in_a_chinese_encoding_reads_as_in_utf8(registry):
    text = (BRIEFINGS / "rough-edges.txt").read_text(encoding="utf-8")
    in_utf8 = parse_briefing(text.encode(), "rough-edges.txt", registry=registry)
    in_gb18030 = parse_briefing(text.encode("gb18030"), "rough-edges.txt", registry=registry)
    assert in_gb18030.citations == in_utf8.citations


def test_related_postings_with_nothing_after_them_are_not_a_citation(registry):
    parsed = parse_briefing(
        (BRIEFINGS / "no-citations.txt").read_bytes(), "no-citations.txt", registry=registry
    )
    assert parsed.citations == ()
    assert [str(warning) for warning in parsed.warnings] == [
        "no citations: no 'Source:' or 'Sources:' line with a source after it"
    ]


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("empty.txt", lambda: b"", "no citations: an empty file"),
        (
            "no-citations.txt",
            (BRIEFINGS / "no-citations.txt").read_bytes,
            "no citations: no 'Source:'",
        ),
        ("scan.pdf", scanned_pdf, "no text on any of its 1 page(s): an image-only scan? (run OCR first)"),
        ("broken.pdf", lambda: weekly_pdf()[:600], "not a readable PDF ("),
        ("briefing.pdf", lambda: b"Source: LTN, April 2, 2024\n", "not a PDF (it does not start with %PDF-)"),
        ("photo.txt", scanned_pdf, ""),  # a PDF named .txt is still read as a PDF
        ("briefing.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), "a PNG image, not a briefing"),
        ("data.bin", lambda: bytes(range(256)) * 8, "binary data, not a briefing"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_1(cli, tmp_path, name, make, error):
    path = write(tmp_path, name, make())
    result = cli("briefing", "parse", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}: ")
    assert error in result.stderr


def test_warnings_name_file_and_line_and_the_citations_still_print(cli):
    path = BRIEFINGS / "rough-edges.txt"
    result = cli("briefing", "parse", str(path), "--json")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 9
    assert result.stderr.splitlines()[0] == (
        f"warning: {path}:12: date '2024/13/45' is not a day of the calendar; its claimed date is null"
    )


def test_the_library_raises_briefing_error_for_what_is_no_briefing(registry):
    with pytest.raises(BriefingError, match=r"^photo.png: a PNG image, not a briefing$"):
        parse_briefing(b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.png", registry=registry)

"""Every command docs/extraction.md shows, run on the page it names, printing what the page shows.

The pages are real fixtures: the Wayback capture of he.xinhuanet.com (trafilatura's evaluation
data) and a 2013 Apple Daily page (lulalala/taiwanese_news_parser), saved under the names the
page uses.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests.helpers import ROOT, fixture_page, invoke

PAGE = ROOT / "docs" / "extraction.md"
SAVED_AS = {
    "capture.html": "generic/trafilatura-zh/archive.org.he.xinhuanet.com.25340717.html.gz",
    "apple-2013.html": "generic/cited-pages/appledaily_realtimenews_politics_20130629_217673.html.gz",
}
CONSOLE_BLOCK = re.compile(r"```console\n\$ (?P<command>[^\n]+)\n(?P<output>.*?)```", re.S)
BLOCKS = list(CONSOLE_BLOCK.finditer(PAGE.read_text(encoding="utf-8")))


def test_the_page_shows_commands():
    assert len(BLOCKS) == 2


@pytest.mark.parametrize("block", BLOCKS, ids=[block["command"].split()[2] for block in BLOCKS])
def test_each_command_prints_what_the_page_shows(tmp_path, block):
    program, *args = shlex.split(block["command"])
    assert program == "sourcevault" and args[0] == "extract"
    saved = tmp_path / args[1]
    saved.write_bytes(fixture_page(SAVED_AS[args[1]]))
    result = invoke("extract", str(saved), *args[2:])
    assert result.exit_code == 0, result.output
    printed = json.dumps(json.loads(result.output), ensure_ascii=False, indent=2)
    # The page shows an excerpt: every line it shows (… stands for the lines it leaves out).
    for line in block["output"].splitlines():
        if line.strip() not in ("…", ""):
            assert line.rstrip(",") in printed, line

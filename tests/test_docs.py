"""The documentation as a test: every command README.md and docs/ show runs and prints what they show.

How the pages are read and run: tests/doc_commands.py. docs/adding-an-outlet.md is run by
tests/test_outlet_tooling.py, which goes on to check the suite's registry-driven tests on its result.
"""

from __future__ import annotations

import ast
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crawler.archive import Archive
from tests.doc_commands import (
    DOCS,
    ROOT,
    VENV_BIN,
    documents,
    fenced_blocks,
    matches,
    parse_document,
    run_document,
    shown_shell_commands,
    steps,
    unknown_words,
)
from tests.helpers import archive_tables

# The pages whose console blocks other tests run, with the test and what it runs: the commands that
# start so ("": the whole page). A block of such a page with any other command is run here, so
# every block is run, none twice.
RUN_ELSEWHERE = {
    "adding-an-outlet.md": ("tests/test_outlet_tooling.py", ""),
    "briefings.md": ("tests/test_briefing_docs.py", "sourcevault briefing parse "),
    "extraction.md": ("tests/test_extraction_docs.py", ""),
    "outlets-and-urls.md": ("tests/test_pages_by_url.py", "sourcevault outlets explain "),
}
README_MAX_LINES = 250
SCHEMA_PAGE = DOCS / "schema.md"


def run_elsewhere(page: Path) -> str | None:
    return RUN_ELSEWHERE[page.name][1] if page.name in RUN_ELSEWHERE else None


def pages_with_commands() -> list[Path]:
    """The pages with a step run here."""
    return [page for page in documents() if steps(parse_document(page), run_elsewhere(page))]


class PageCommands:
    """A page whose commands are run here. Each such page is a class of its own (`TestPage…`,
    below): `--dist loadscope` makes a class one unit of work, so the pages run side by side on
    xdist's workers instead of one after another on one."""

    pytestmark = pytest.mark.slow
    page: Path

    def test_every_command_the_page_shows_prints_what_it_shows(self, fresh_clone):
        assert run_document(self.page, fresh_clone, run_elsewhere(self.page)) > 0


def page_class_name(page: Path) -> str:
    return "TestPage" + "".join(word.capitalize() for word in re.split(r"\W+", page.stem))


for page_with_commands in pages_with_commands():
    globals()[page_class_name(page_with_commands)] = type(
        page_class_name(page_with_commands), (PageCommands,), {"page": page_with_commands}
    )


def test_the_pages_that_show_commands_are_run_here_or_elsewhere():
    run_here = {page.name for page in pages_with_commands()}
    assert {page_class_name(DOCS / name) for name in run_here} <= set(globals())
    assert {"README.md", "operator.md", "researcher.md", "schema.md"} <= run_here
    for name, (test, _) in RUN_ELSEWHERE.items():
        document = parse_document(DOCS / name)
        assert len(steps(document, run_elsewhere(DOCS / name))) < len(steps(document)), (
            f"{name}: none for {test}"
        )
        assert f"docs/{name}" in (ROOT / test).read_text(encoding="utf-8"), test


@pytest.mark.parametrize(
    ("shown", "printed", "same"),
    [
        ("a\n…\nd\n", "a\nb\nc\nd\n", True),
        ("a\n…\nd\n", "a\nd\n", True),
        ("a\nd\n", "a\nb\nd\n", False),
        ("run 1, … → …\n", "run 1, 2026-11-28 → 2026-11-29  \n\n", True),
        ("x …z\n", "x yyy\n", False),
        ("a\n", "a\nb\n", False),
        ("", "something\n", False),
    ],
)
def test_an_elision_mark_stands_for_lines_or_parts_of_a_line_and_nothing_else_differs(shown, printed, same):
    assert matches(shown, printed) is same


def test_every_shown_but_not_run_command_names_commands_and_options_that_exist():
    shown = 0
    for page in documents():
        for line, block in fenced_blocks(page, "sh"):
            for arguments in shown_shell_commands(block):
                shown += 1
                assert unknown_words(arguments) == [], f"{page.name}, block at line {line}"
    assert shown > 0


def test_only_console_blocks_show_commands_to_run():
    for page in documents():
        for line, block in fenced_blocks(page, "(?!console$)[a-z]*"):
            assert not re.search(r"(?m)^\$ ", block), f"{page.name}, block at line {line}: a console block?"


INLINE_COMMAND = re.compile(r"`(sourcevault [^`]+)`")


def test_every_command_named_in_the_text_has_the_options_it_shows():
    named = 0
    for page in documents():
        for match in INLINE_COMMAND.finditer(page.read_text(encoding="utf-8")):
            for arguments in shown_shell_commands(match[1].replace("\n", " ")):
                named += 1
                assert unknown_words(arguments) == [], f"{page.name}: `{match[1]}`"
    assert named > 0


def test_the_readme_is_short_and_links_pages_that_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", text)
    unlinked = {path.name for path in DOCS.glob("*.md")} - {"index.md"} - {Path(link).name for link in links}
    assert unlinked == set(), "pages missing from the README's list of pages"
    for link in links:
        assert (ROOT / link).is_file(), link


def test_the_site_builds_without_a_warning(tmp_path):
    built = subprocess.run(
        [str(VENV_BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr
    assert (tmp_path / "site" / "adding-an-outlet" / "index.html").is_file()


def test_the_schema_page_documents_every_table_and_column(tmp_path):
    text = SCHEMA_PAGE.read_text(encoding="utf-8")
    rows = {
        row[0]: row[2]
        for row in (line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| `"))
    }
    rows = {name.strip().strip("`"): columns for name, columns in rows.items()}
    # All but the records of migrations (the page's opening says what they are) and the FTS5 index's
    # own shadow tables.
    tables = archive_tables(
        tmp_path / "archive.db",
        leave_out=r"_sqlite_|alembic_version|(article|post)_search_(data|idx|config|docsize)$",
    )
    assert set(rows) == set(tables)
    for table, columns in tables.items():
        for column in columns:
            assert f"`{column}`" in rows[table], f"{table}.{column}"


def test_the_schema_pages_queries_run(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    connection = sqlite3.connect(path)
    queries = [
        query
        for block in re.findall(r"```sql\n(.*?)```", SCHEMA_PAGE.read_text(encoding="utf-8"), re.S)
        for query in re.sub(r"(?m)^--.*$", "", block).split(";")
        if query.strip()
    ]
    assert queries
    for query in queries:
        connection.execute(query, [None] * query.count("?")).fetchall()
    connection.close()


CODE_MAP = DOCS / "architecture.md"
MAPPED_FOLDERS = ("crawler", "pipelines")
# A name the code map gives in backticks that stands for a file or a folder.
MAPPED_NAME = re.compile(r"`([\w./-]+(?:\.py|\.toml|\.html|/))`")


def code_map_sections() -> list[tuple[list[str], str]]:
    """The code map's sections: the folders each heading names (none for the others), and its text."""
    sections: list[tuple[list[str], str]] = []
    for section in re.split(r"(?m)^(?=#)", CODE_MAP.read_text(encoding="utf-8")):
        heading, _, text = section.partition("\n")
        sections.append((re.findall(r"`([\w/]+/)`", heading), text))
    return sections


def docstring_only(path: Path) -> bool:
    """A package's __init__.py that holds only its docstring: the map's heading says it."""
    if path.name != "__init__.py":
        return False
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def test_the_code_map_names_every_module_in_the_section_of_its_folder():
    sections = {folder: text for folders, text in code_map_sections() for folder in folders}
    files = [
        path.relative_to(ROOT).as_posix()
        for top in MAPPED_FOLDERS
        for path in sorted((ROOT / top).rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not docstring_only(path)
    ]
    assert len(files) > 100
    unnamed = []
    for file in files:
        folder = max((folder for folder in sections if file.startswith(folder)), key=len)
        inner = file.removeprefix(folder)
        names = {inner, f"{Path(folder).name}/{inner}"}
        names |= {f"{parent.as_posix()}/" for parent in Path(inner).parents if parent != Path(".")}
        if not any(f"`{name}`" in sections[folder] for name in names):
            unnamed.append(f"{file} (section {folder})")
    assert unnamed == []


def test_every_file_and_folder_the_code_map_names_exists():
    everywhere = {path.name for top in (*MAPPED_FOLDERS, "bench") for path in (ROOT / top).rglob("*")}
    stale = []
    for folders, text in code_map_sections():
        bases = [ROOT, *(ROOT / folder for folder in folders), *(ROOT / folder / ".." for folder in folders)]
        for name in MAPPED_NAME.findall(text):
            if not any((base / name).exists() for base in bases) and (
                "/" in name.rstrip("/") or name.rstrip("/") not in everywhere
            ):
                stale.append(name)
    assert stale == []

"""deploy/: the systemd units and the crontab line are valid, and call sourcevault as it parses."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from crawler.cli import main
from tests.helpers import ROOT

DEPLOY = ROOT / "deploy"
UNITS = (DEPLOY / "sourcevault-crawl.service", DEPLOY / "sourcevault-crawl.timer")


def sourcevault_invocations() -> list[list[str]]:
    """Every `sourcevault ...` command line in deploy/, as arguments (redirections left out)."""
    service = (DEPLOY / "sourcevault-crawl.service").read_text(encoding="utf-8")
    lines = [
        line.split("=", 1)[1].lstrip("-") for line in service.splitlines() if line.startswith("ExecStart=")
    ]
    crontab = (DEPLOY / "crontab").read_text(encoding="utf-8")
    lines += [
        line for line in crontab.splitlines() if line and not line.startswith("#") and "=" not in line[:20]
    ]
    invocations = []
    for line in lines:
        for command in re.split(r";|&&", line):
            words = shlex.split(command.split(">>")[0])
            if words and words[0].endswith("/sourcevault"):
                invocations.append(words[1:])
    return invocations


def test_deploy_runs_the_crawl_then_the_report_with_valid_options():
    invocations = sourcevault_invocations()
    assert [arguments[0] for arguments in invocations] == ["crawl", "report", "crawl", "report"]
    for name, *options in invocations:
        # Parsing raises on an option that does not exist or a value that does not fit.
        main.commands[name].make_context(name, options)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian systemd)")
def test_systemd_units_verify_cleanly():
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, UNITS)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")

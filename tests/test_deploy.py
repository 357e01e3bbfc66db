"""deploy/: the systemd units and the crontab line are valid, call sourcevault as it parses, make the
folders they write to, and run the report after the crawl however it ends; a crawl stopped the way
they stop it (SIGTERM) closes its run cleanly and the report says so."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess

import pytest

from crawler.cli import main
from tests.helpers import ROOT, SOURCEVAULT, run_sourcevault
from tests.loopback import ALLOW_LOOPBACK, LoopbackSite, outlet_toml

DEPLOY = ROOT / "deploy"
CRAWL_UNIT = DEPLOY / "sourcevault-crawl.service"
REPORT_UNIT = DEPLOY / "sourcevault-report.service"
POSTS_UNIT = DEPLOY / "sourcevault-posts.service"
UNITS = (
    CRAWL_UNIT,
    REPORT_UNIT,
    DEPLOY / "sourcevault-crawl.timer",
    POSTS_UNIT,
    DEPLOY / "sourcevault-posts.timer",
)
CRONTAB = DEPLOY / "crontab"
# Where the units and the crontab expect the checkout, its venv and the archive.
CHECKOUT = "/opt/sourcevault"
COMMAND = f"{CHECKOUT}/.venv/bin/sourcevault"
STATE_DIR = "/var/lib/sourcevault"
# Downloads allowed to take far longer than the loopback site's slowest page.
SLOW_DOWNLOADS = (*ALLOW_LOOPBACK, "-s", "DOWNLOAD_TIMEOUT=60", "-s", "AUTOTHROTTLE_ENABLED=False")


def unit_settings(unit) -> list[tuple[str, str]]:
    """(key, value) of every setting of a unit file, in file order."""
    lines = unit.read_text(encoding="utf-8").splitlines()
    return [
        (key, value)
        for key, _, value in (line.partition("=") for line in lines if line and line[0] not in "#;[")
    ]


def setting(unit, key: str) -> list[str]:
    return [value for name, value in unit_settings(unit) if name == key]


def cron_jobs() -> list[str]:
    lines = CRONTAB.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#") and "=" not in line[:20]]


def shell_commands() -> list[list[str]]:
    """Every command the services and the crontab run, as words (redirections left out)."""
    lines = [command.lstrip("-") for unit in UNITS for command in setting(unit, "ExecStart")]
    lines += [job.split(maxsplit=5)[5] for job in cron_jobs()]
    return [shlex.split(command.split(">>")[0]) for line in lines for command in re.split(r";|&&", line)]


def sourcevault_invocations() -> list[list[str]]:
    """The arguments of every `sourcevault` those commands run, in order."""
    return [words[words.index(COMMAND) + 1 :] for words in shell_commands() if COMMAND in words]


def test_deploy_runs_the_crawl_then_the_report_with_valid_options():
    invocations = sourcevault_invocations()
    assert [arguments[0] for arguments in invocations] == [
        "crawl",
        "report",
        "posts",
        "crawl",
        "report",
        "posts",
    ]
    for arguments in invocations:
        # Parsing raises on an option that does not exist or a value that does not fit.
        words = arguments[1:] if arguments[0] == "posts" else arguments
        group = main.commands["posts"] if arguments[0] == "posts" else main
        name, *options = words
        group.commands[name].make_context(name, list(options))
        assert options[options.index("--db") + 1] == f"{STATE_DIR}/archive.db"


def test_the_report_follows_the_crawl_however_it_ends():
    # systemd: the crawl unit starts the report unit when it finishes and when it fails, which
    # includes being stopped at TimeoutStartSec=.
    assert setting(CRAWL_UNIT, "OnSuccess") == setting(CRAWL_UNIT, "OnFailure") == [REPORT_UNIT.name]
    assert setting(CRAWL_UNIT, "TimeoutStartSec") and setting(CRAWL_UNIT, "Type") == ["oneshot"]
    assert [command.split()[1] for command in setting(REPORT_UNIT, "ExecStart")] == ["report"]
    # cron: the crawl, cut off by timeout(1) as systemd cuts it off, then the report after `;`.
    job, posts_job = cron_jobs()
    assert f"{COMMAND} posts recheck --due " in posts_job
    crawl, report = job.split(maxsplit=5)[5].split(";")
    assert re.search(rf"timeout --kill-after=\S+ \S+ {COMMAND} crawl ", crawl)
    assert report.split()[:2] == [COMMAND, "report"]


def test_the_folders_the_deploy_writes_to_are_made_by_it():
    for unit in (CRAWL_UNIT, REPORT_UNIT, POSTS_UNIT):
        assert setting(unit, "StateDirectory") == ["sourcevault"]
        assert setting(unit, "WorkingDirectory") == [STATE_DIR]
    # cron makes nothing itself: the one-time `install -d` the crontab and the operator guide show does.
    (install_line,) = re.findall(r"^#\s+(install -d .*)$", CRONTAB.read_text(encoding="utf-8"), re.M)
    made = shlex.split(install_line)[-2:]
    jobs = cron_jobs()
    assert all(job.split(maxsplit=5)[5].startswith(f"cd {STATE_DIR} && ") for job in jobs)
    logs = [log for job in jobs for log in re.findall(r">>\s*(\S+)", job)]
    assert {STATE_DIR, *(log.rsplit("/", 1)[0] for log in logs)} == set(made)
    assert install_line in (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")


def test_documentation_links_name_files_of_the_checkout():
    for unit in UNITS:
        (link,) = setting(unit, "Documentation")
        assert link.startswith(f"file://{CHECKOUT}/")
        assert (ROOT / link.removeprefix(f"file://{CHECKOUT}/")).is_file()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian systemd)")
def test_systemd_units_verify_cleanly(tmp_path):
    # systemd-analyze checks that the command exists: point the units at this venv's.
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(COMMAND, str(SOURCEVAULT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.slow
def test_a_crawl_stopped_with_sigterm_closes_its_run_and_the_report_says_so(tmp_path):
    site = LoopbackSite()
    with site.running():
        site.add_article("/daily/a/1", "第1則新聞")
        site.add_article("/daily/a/2", "第2則新聞")
        # Still downloading when the crawl is stopped: held until the test releases it.
        site.fault("/daily/a/2", "hold")
        site.add_feed("/daily/feed.xml", ["/daily/a/1", "/daily/a/2"])
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"]), encoding="utf-8")
        database = tmp_path / "archive.db"
        crawl = subprocess.Popen(
            [str(SOURCEVAULT), "crawl", "--registry", str(registry), "--db", str(database), *SLOW_DOWNLOADS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        site.wait_for_request("/daily/a/2")
        crawl.send_signal(signal.SIGTERM)
        site.release("/daily/a/2")
        _, stderr = crawl.communicate(timeout=120)

    assert crawl.returncode != 0 and "Traceback" not in stderr, stderr
    report = run_sourcevault("report", "--db", str(database), "--json")
    assert report.returncode == 3, report.stderr
    alerts = json.loads(report.stdout)["alerts"]
    assert "run_unfinished" in [alert["kind"] for alert in alerts]


WORKER_UNIT = DEPLOY / "sourcevault-worker@.service"
WORKER_ENVIRONMENT = "/etc/sourcevault/worker.env"


def test_the_worker_template_runs_a_crawl_worker_forever_on_the_archive_its_environment_names():
    (command,) = setting(WORKER_UNIT, "ExecStart")
    program, name, *options = shlex.split(command)
    assert (program, name) == (COMMAND, "crawl")
    # systemd puts the environment file's URL in place of ${SOURCEVAULT_DB}.
    url = "postgresql://sourcevault@db.example.org/archive"
    given = [url if option == "${SOURCEVAULT_DB}" else option for option in options]
    context = main.commands["crawl"].make_context("crawl", given)
    assert (context.params["worker"], context.params["forever"], context.params["db_path"]) == (
        True,
        True,
        url,
    )
    assert setting(WORKER_UNIT, "EnvironmentFile") == [WORKER_ENVIRONMENT]
    assert f"SOURCEVAULT_DB={url}" in WORKER_UNIT.read_text(encoding="utf-8")
    assert setting(WORKER_UNIT, "Type") == ["simple"] and setting(WORKER_UNIT, "Restart") == ["on-failure"]
    assert setting(WORKER_UNIT, "KillSignal") == ["SIGTERM"]
    assert setting(WORKER_UNIT, "StateDirectory") == ["sourcevault"]
    assert setting(WORKER_UNIT, "WorkingDirectory") == [STATE_DIR]
    (link,) = setting(WORKER_UNIT, "Documentation")
    assert (ROOT / link.removeprefix(f"file://{CHECKOUT}/")).is_file()
    assert WORKER_UNIT.name in (ROOT / "docs" / "postgresql.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian systemd)")
def test_the_worker_template_verifies_cleanly_as_an_instance(tmp_path):
    instance = tmp_path / "sourcevault-worker@1.service"
    instance.write_text(
        WORKER_UNIT.read_text(encoding="utf-8").replace(COMMAND, str(SOURCEVAULT)), encoding="utf-8"
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")

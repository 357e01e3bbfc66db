"""Start-up cost of the quick commands, beside Python doing nothing and Python importing click.

Runs each command as its own process (the way a user or a script runs it) and reads its CPU
seconds (user + system) from the operating system's accounting of the finished child. The
commands and the two references run in turn, round after round, so a machine that slows down
during the run slows them all alike; each figure is the median over the rounds. The archive
searched is the demo's (built first, in a temporary folder).

    python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCEVAULT = str(Path(sys.executable).parent / "sourcevault")
REFERENCES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import click'": [sys.executable, "-c", "import click"],
}


def commands(archive: Path) -> dict[str, list[str]]:
    db = ["--db", str(archive)]
    return {
        "sourcevault --version": [SOURCEVAULT, "--version"],
        "sourcevault --help": [SOURCEVAULT, "--help"],
        "sourcevault search": [SOURCEVAULT, "search", "颱風", *db],
        "sourcevault show 1": [SOURCEVAULT, "show", "1", *db],
        "sourcevault stats": [SOURCEVAULT, "stats", *db],
    }


def cpu_seconds(command: list[str]) -> float:
    """The CPU seconds (user + system) the command's process took, start-up included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "demo.db"
        subprocess.run(
            [SOURCEVAULT, "demo", "--db", str(archive)], stdout=subprocess.DEVNULL, check=True, cwd=folder
        )
        measured = {**REFERENCES, **commands(archive)}
        times: dict[str, list[float]] = {name: [] for name in measured}
        cpu_seconds(measured["python -c pass"])  # warm the page cache
        for _ in range(rounds):
            for name, command in measured.items():
                times[name].append(cpu_seconds(command))
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    python, click = medians["python -c pass"], medians["python -c 'import click'"]
    print(f"start-up CPU seconds (user + system), median of {rounds} rounds, {os.cpu_count()} cores")
    print(f"{'command':<28}{'cpu s':>8}{'min':>8}{'max':>8}{'× python':>10}{'× click':>9}")
    for name, median in medians.items():
        runs = times[name]
        print(
            f"{name:<28}{median:>8.3f}{min(runs):>8.3f}{max(runs):>8.3f}"
            f"{median / python:>10.2f}{median / click:>9.2f}"
        )


if __name__ == "__main__":
    main()

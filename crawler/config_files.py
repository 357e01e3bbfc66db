"""Where sourcevault finds its configuration: config/ of the checkout it runs from, else the copy
installed with it.

config/ at the top of a checkout is the source of truth that operators edit; a wheel carries a copy
of it as crawler/config/ (pyproject.toml: [tool.hatch.build.targets.wheel] sources). Which one
is read depends only on where this code runs from, never on the working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder above the package: a checkout (it holds pyproject.toml), or site-packages when installed.
CHECKOUT_DIR = PACKAGE_DIR.parent
BUNDLED_CONFIG_DIR = PACKAGE_DIR / "config"


def in_checkout() -> bool:
    """True when sourcevault runs from a checkout (an editable install), not from an installed wheel."""
    return (CHECKOUT_DIR / "pyproject.toml").is_file()


def config_file(name: str) -> Path:
    """config/NAME of the checkout, or the copy installed with sourcevault."""
    return CHECKOUT_DIR / "config" / name if in_checkout() else BUNDLED_CONFIG_DIR / name

"""`python -m crawler.cli`, the same as `sourcevault`."""

from crawler.cli import main

main()

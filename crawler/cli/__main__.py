"""`python -m crawler.cli`, the same as `sourcevault`."""

from crawler.cli import main

# Guarded: a child process started by `spawn` (crawler/briefings/posts.py) imports this module again.
if __name__ == "__main__":
    main()

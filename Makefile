# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

# uv (from PyPI, as pip is) installs the same packages as pip does at a quarter of pip's CPU time,
# downloading in parallel: the set-up of a fresh clone is a good part of CI's time on a busy machine.
# It compiles the packages' bytecode once, at install (uv does not by default): where
# PYTHONDONTWRITEBYTECODE is set, every `sourcevault` process the tests start would otherwise compile
# Scrapy, Twisted, SQLAlchemy and the rest from source again (half of a crawl's CPU time).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $@

## demo: crawl the bundled offline snapshot into data/archive.db and print per-outlet counts
demo: $(STAMP)
	$(BIN)/sourcevault demo

## test: lint and run the whole offline test suite, on every core (pytest-xdist; a test
## module or class stays on one worker, so its shared fixtures are built once; the ones with
## slow tests start first, in the order tests/conftest.py gives)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m compileall -q crawler pipelines  # the checkout's own bytecode, for the same reason
	$(BIN)/pytest -q -n auto --dist loadscope --no-loadscope-reorder --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: start-up cost of the quick commands against bare Python; extraction cost and
## generic-extraction quality against bare trafilatura; language
## tagging against bare langdetect; crawl throughput and memory against bare Scrapy;
## deduplication precision, recall and cost as the archive grows; search latency, recall,
## index size and build rate at 10,000 and 100,000 articles; briefing parsing per 1,000
## citations against reading the text alone; `briefing add` citations archived per second
## against a bare Scrapy fetch of the same URLs; archive write rate of one and three crawl workers
## into PostgreSQL against one crawl into SQLite (a server of its own: Debian's postgresql); raw
## originals on PostgreSQL as bytea rows against content-addressed files
## (the whole run: about 100 minutes)
bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/generic.py
	$(BIN)/python bench/language.py
	$(BIN)/python -m bench.crawl
	$(BIN)/python bench/dedup.py
	$(BIN)/python bench/search.py
	$(BIN)/python -m bench.briefing_parse
	$(BIN)/python -m bench.briefing_add
	$(BIN)/python -m bench.workers
	$(BIN)/python -m bench.raw_originals

clean:
	rm -rf $(VENV) dist

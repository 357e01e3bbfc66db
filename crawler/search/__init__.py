"""Chinese full-text search over the archive: the one place where a query meets the index.

SQLite's FTS5 cannot search Chinese as it comes (its `unicode61` tokenizer takes a run of Han
characters for one word; `trigram` never matches a 2-character word), and Python's sqlite3 cannot
register a tokenizer of its own. So the text is transformed in Python before FTS5 sees it:
titles and bodies in Simplified script, as overlapping character pairs; outlet, language and
date as filter tokens. Any substring of a text is then found: recall is 1.0 against a substring
scan, for Chinese and Latin alike.

- `tokens`: what the index holds, the vocabulary indexing and queries share;
- `query`: a researcher's query and filters, parsed into FTS5 expressions;
- `index`: keeping the index in step with the articles, whatever tool writes them;
- `results`: searching it: counts, matching ids, the best matches by bm25;
- `snippets`: the article's own text around a match, the matches marked.

The CLI (`sourcevault search`, `export --query`) and the Datasette search page all call
`crawler.search.results.search`, so they match identically.
"""

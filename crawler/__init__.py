"""sourcevault: crawl the Chinese-language press into an SQLite archive of originals."""

__version__ = "0.1.0"

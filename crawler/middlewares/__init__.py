"""Scrapy downloader middlewares of sourcevault (enabled in crawler/settings.py)."""

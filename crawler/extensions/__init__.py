"""Scrapy extensions of sourcevault (enabled in crawler/settings.py)."""

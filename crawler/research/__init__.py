"""What researchers and operators run on an archive beyond crawling: export, import, the morning
report, re-extraction from the stored originals."""

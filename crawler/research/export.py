"""Export articles: as JSON lines or CSV (the article fields), or as a WARC file of their raw originals.

The WARC file is a replay snapshot (`sourcevault crawl --replay`) and a web archive any standard
tool reads (warcio, pywb): every exported article's original as the response it was, plus each
outlet's newest feed, sitemap, listing and list-API responses, so a replay rediscovers the
articles the way the crawl found them. An article fetched through a redirect gets a
synthetic 301 record from the URL requested to the URL answered (the archive keeps only the
final response). Imported articles have no HTTP response: their original, the JSON record,
is written as a `resource` record, which replays ignore.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, TextIO

from warcio.warcwriter import WARCWriter

from crawler.archive import Archive
from crawler.archive.articles import ARTICLE_JSON_COLUMNS
from crawler.archive.captures import IMPORT_PAGE_KIND, CaptureRecord
from crawler.warc_snapshots import RecordedExchange, warc_date, write_exchange

SYNTHETIC_REDIRECT_ORIGIN = "synthetic: redirect written by sourcevault export (captures.url to final_url)"


def write_jsonl(records: Iterable[dict[str, Any]], output: TextIO) -> int:
    count = 0
    for record in records:
        output.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], output: TextIO, fields: Iterable[str] = ()) -> int:
    """One row per record under a header (`fields`, else the first record's); lists and objects as JSON."""
    writer: csv.DictWriter[str] | None = None
    if fields:
        writer = csv.DictWriter(output, fieldnames=list(fields), lineterminator="\n")
        writer.writeheader()
    count = 0
    for record in records:
        if writer is None:
            writer = csv.DictWriter(output, fieldnames=list(record), lineterminator="\n")
            writer.writeheader()
        writer.writerow(
            {
                name: json.dumps(value, ensure_ascii=False) if name in ARTICLE_JSON_COLUMNS else value
                for name, value in record.items()
            }
        )
        count += 1
    return count


def _response_exchanges(archive: Archive, capture: CaptureRecord) -> Iterator[RecordedExchange]:
    """A fetched capture as the exchange(s) a replay needs: a redirect first if there was one."""
    assert capture.body_sha256 is not None and capture.http_status is not None
    final_url = capture.final_url or capture.url
    if final_url != capture.url:
        yield RecordedExchange(
            url=capture.url,
            status=301,
            headers=[("Location", final_url)],
            body=b"",
            fetched_at=capture.fetched_at,
            method=capture.request_method,
            request_body=capture.request_body,
            origin=SYNTHETIC_REDIRECT_ORIGIN,
        )
    yield RecordedExchange(
        url=final_url,
        status=capture.http_status,
        headers=capture.response_headers,
        body=archive.captures.raw_body(capture.body_sha256),
        fetched_at=capture.fetched_at,
        method=capture.request_method if final_url == capture.url else "GET",
        request_body=capture.request_body if final_url == capture.url else b"",
    )


def _write_import_record(writer: WARCWriter, archive: Archive, capture: CaptureRecord) -> None:
    assert capture.body_sha256 is not None
    body = archive.captures.raw_body(capture.body_sha256)
    record = writer.create_warc_record(
        capture.url,
        "resource",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/json",
        warc_headers_dict={
            "WARC-Date": warc_date(capture.fetched_at),
            "WARC-Sourcevault-Origin": f"imported record ({capture.imported_from})",
        },
    )
    writer.write_record(record)


def write_warc(archive: Archive, article_ids: Iterable[int], output: BinaryIO) -> int:
    """Write the originals of these articles (and their outlets' discovery responses); count articles."""
    writer = WARCWriter(output, gzip=True)
    capture_ids: list[int] = []
    outlets: set[str] = set()
    for record in archive.queries.article_records(article_ids):
        capture_ids.append(record["capture_id"])
        outlets.add(record["outlet"])
    for capture in archive.captures.latest_discovery(sorted(outlets)):
        for exchange in _response_exchanges(archive, capture):
            write_exchange(writer, exchange)
    for capture in archive.captures.records(capture_ids):
        if capture.page_kind == IMPORT_PAGE_KIND:
            _write_import_record(writer, archive, capture)
            continue
        for exchange in _response_exchanges(archive, capture):
            write_exchange(writer, exchange)
    return len(capture_ids)

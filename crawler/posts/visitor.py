"""Weibo's visitor handshake: a visitor cookie without an account, as yt-dlp gets one.

m.weibo.cn answers anonymous clients with a login wall more and more often (HTTP 432, `ok: -100`,
the Sina Visitor System page: docs/posts.md, Limits). yt-dlp then asks passport.weibo.com for a
visitor: POST `visitor/genvisitor` answers JSONP with a `tid` and a `confidence`, and GET
`visitor/visitor?a=incarnate&t=<tid>&w=2&c=<confidence, 3 digits>&cb=cross_domain&from=weibo`
sets the visitor cookies, SUB and SUBP (yt-dlp/yt-dlp@01b2334:yt_dlp/extractor/weibo.py,
`_update_visitor_cookies`). yt-dlp's `_rand` cache-buster is left out, so that a recorded
handshake replays. Requests as data, answers read here; nothing fetches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlencode

GENVISITOR_URL = "https://passport.weibo.com/visitor/genvisitor"
INCARNATE_URL = "https://passport.weibo.com/visitor/visitor"
# The browser fingerprint yt-dlp sends.
FINGERPRINT = (
    '{"os":"2","browser":"Gecko57,0,0,0","fonts":"undefined","screenInfo":"1440*900*24","plugins":""}'
)
GENVISITOR_FORM = {"cb": "gen_callback", "fp": FINGERPRINT}
VISITOR_COOKIES = ("SUB", "SUBP")
JSONP = re.compile(r"^[^(]*\((?P<json>.*)\)\s*;?\s*$", re.DOTALL)
LARGEST_ANSWER = 64 * 1024


class HandshakeFailed(ValueError):
    """The handshake's answer is not what it should be; the message says which part (one line)."""


def genvisitor_body() -> bytes:
    return urlencode(GENVISITOR_FORM).encode("ascii")


def incarnate_url(body: bytes) -> str:
    """The second request of the handshake, from genvisitor's JSONP answer."""
    text = body[:LARGEST_ANSWER].decode("utf-8", errors="replace").strip()
    match = JSONP.match(text)
    try:
        document = json.loads(match.group("json") if match else text)
    except ValueError:
        raise HandshakeFailed("genvisitor: the answer is not JSON(P)") from None
    data = document.get("data") if isinstance(document, dict) else None
    tid = data.get("tid") if isinstance(data, dict) else None
    if not isinstance(tid, str) or not tid:
        raise HandshakeFailed("genvisitor: no data.tid in the answer")
    confidence = data.get("confidence", 100)
    if not isinstance(confidence, int) or isinstance(confidence, bool) or not 0 <= confidence <= 999:
        raise HandshakeFailed(f"genvisitor: data.confidence is {confidence!r}, not a number up to 999")
    query = {
        "a": "incarnate",
        "t": tid,
        "w": 2,
        "c": f"{confidence:03d}",
        "cb": "cross_domain",
        "from": "weibo",
    }
    return f"{INCARNATE_URL}?{urlencode(query)}"


def visitor_cookie(set_cookie_headers: Iterable[str]) -> str:
    """The Cookie header the visitor cookies make, from incarnate's Set-Cookie headers."""
    found: dict[str, str] = {}
    for header in set_cookie_headers:
        name, _, rest = header.partition("=")
        if name.strip() in VISITOR_COOKIES:
            found[name.strip()] = rest.split(";", 1)[0].strip()
    missing = [name for name in VISITOR_COOKIES if not found.get(name)]
    if missing:
        raise HandshakeFailed(f"incarnate: no {missing[0]} cookie set")
    return "; ".join(f"{name}={found[name]}" for name in VISITOR_COOKIES)

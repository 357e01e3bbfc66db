"""Block pages served with status 200: a bot challenge or captcha instead of the page asked for.

An outlet that starts blocking the crawler rarely answers 403: it serves an interstitial with
200, which would otherwise pass for a short page and be archived as "not an article" night
after night without anyone noticing. Such a capture is recorded as failed ("blocked: ...") and
`sourcevault report` raises an alert.
"""

from __future__ import annotations

import re

# Interstitials are small; an article page is not searched, so that a comment box's captcha
# script on a real article never reads as a block.
CHALLENGE_PAGE_MAX_BYTES = 64 * 1024
# (what the page is, a signature only that vendor's interstitial carries)
CHALLENGE_MARKERS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    (
        "Cloudflare challenge page",
        re.compile(
            rb"<title>\s*Just a moment\.\.\.\s*</title>|/cdn-cgi/challenge-platform/|cf_chl_opt", re.I
        ),
    ),
    (
        "Cloudflare block page",
        re.compile(rb"Attention Required! \| Cloudflare|id=\"cf-error-details\"", re.I),
    ),
    ("Imperva challenge page", re.compile(rb"_Incapsula_Resource|Incapsula incident ID", re.I)),
    ("Akamai block page", re.compile(rb"<title>\s*Access Denied\s*</title>", re.I)),
    ("DataDome captcha page", re.compile(rb"captcha-delivery\.com", re.I)),
    ("PerimeterX captcha page", re.compile(rb"px-captcha", re.I)),
    ("Alibaba Cloud slider captcha page", re.compile(rb"/_____tmd_____/", re.I)),
    ("Tencent captcha page", re.compile(rb"TencentCaptcha|captcha\.qq\.com", re.I)),
    ("GeeTest captcha page", re.compile(rb"static\.geetest\.com|initGeetest", re.I)),
)


def challenge_page(body: bytes) -> str | None:
    """What kind of block page `body` is, or None when it is not one."""
    if len(body) > CHALLENGE_PAGE_MAX_BYTES:
        return None
    return next((name for name, marker in CHALLENGE_MARKERS if marker.search(body)), None)

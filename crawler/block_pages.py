"""Block pages served with status 200: a bot challenge or captcha instead of the page asked for.

An outlet that starts blocking the crawler rarely answers 403: it serves an interstitial with
200, which would otherwise pass for a short page and be archived as "not an article" night
after night without anyone noticing. Such a capture is recorded as failed ("blocked: ...") and
`sourcevault report` raises an alert.
"""

from __future__ import annotations

# Interstitials are small; an article page is not searched, so that a comment box's captcha
# script on a real article never reads as a block.
CHALLENGE_PAGE_MAX_BYTES = 64 * 1024
# (what the page is, signatures only that vendor's interstitial carries, in lower case)
CHALLENGE_MARKERS: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    (
        "Cloudflare challenge page",
        (b"<title>just a moment...</title>", b"/cdn-cgi/challenge-platform/", b"cf_chl_opt"),
    ),
    ("Cloudflare block page", (b"attention required! | cloudflare", b'id="cf-error-details"')),
    ("Imperva challenge page", (b"_incapsula_resource", b"incapsula incident id")),
    ("Akamai block page", (b"<title>access denied</title>",)),
    ("DataDome captcha page", (b"captcha-delivery.com",)),
    ("PerimeterX captcha page", (b"px-captcha",)),
    ("Alibaba Cloud slider captcha page", (b"/_____tmd_____/",)),
    ("Tencent captcha page", (b"tencentcaptcha", b"captcha.qq.com")),
    ("GeeTest captcha page", (b"static.geetest.com", b"initgeetest")),
)


def challenge_page(body: bytes) -> str | None:
    """What kind of block page `body` is, or None when it is not one."""
    if len(body) > CHALLENGE_PAGE_MAX_BYTES:
        return None
    # Substring tests on one lowered copy: case-insensitive regexes over every page cost more
    # than the rest of the spider.
    lowered = body.lower()
    return next((name for name, markers in CHALLENGE_MARKERS if any(m in lowered for m in markers)), None)

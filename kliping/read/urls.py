"""URLs and the registered domains they belong to."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import tldextract

# The public suffix list snapshot bundled with tldextract: never fetched from the network.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


MAX_URL_CHARS = 8192


# An http(s) URL whose host is ASCII letters, digits, dots and hyphens (with an optional port),
# the rest printable ASCII without spaces: one `urlsplit` would accept with a host. Decided by
# this pattern alone, such a URL (nearly every scraper's) costs 1 µs instead of 7.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#][!-~]*)?")


def trusted_url(value: Any) -> str | None:
    """A URL is trusted as source_url only when it is an absolute http(s) URL with a host,
    no whitespace and nothing unprintable in it (control characters, lone surrogates)."""
    if not isinstance(value, str):
        return None
    if len(value) <= MAX_URL_CHARS and _PLAIN_URL.fullmatch(value):
        return value
    return _trusted_url_slowly(value)


def _trusted_url_slowly(value: str) -> str | None:
    """`trusted_url` for a URL `_PLAIN_URL` does not match: by `urlsplit`."""
    value = value.strip()
    if not value or len(value) > MAX_URL_CHARS or not value.isprintable():
        return None
    if len(value.split(maxsplit=1)) > 1:  # whitespace inside
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return str(value)


# The host of a lower-cased URL whose host is ASCII letters, digits, dots and hyphens, ended by
# an optional port and then a path, query, fragment or the end: `urlsplit(url).hostname` of such
# a URL, found without `urlsplit` (7 µs). Any other URL (userinfo, brackets, a tab, a bad port)
# goes to `urlsplit`.
_PLAIN_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([a-z0-9.-]*)(?::[0-9]*)?(?=[/?#]|$)")
# Hosts whose registered domain is remembered (a worker meets a few thousand outlets)
_DOMAIN_CACHE = 1 << 16


def registered_domain(host_or_url: str) -> str | None:
    """'https://news.detik.com/x' -> 'detik.com'; 'sp-globalindo.co.id' -> 'sp-globalindo.co.id'.

    Remembered by host, not by URL: every record's URL is another, while its outlet's host
    comes again and again (remembering URLs found nothing again and grew with every record)."""
    value = host_or_url.strip().lower()
    if "://" in value:
        m = _PLAIN_HOST.match(value)
        value = m.group(1) if m else (urlsplit(value).hostname or "")
    return _host_domain(value)


@lru_cache(maxsize=_DOMAIN_CACHE)
def _host_domain(host: str) -> str | None:
    ext = _EXTRACT(host)
    if not ext.domain or not ext.suffix:
        return None
    return f"{ext.domain}.{ext.suffix}"

"""One form per URL, so the same link written twice is fetched once; and a stable, safe name for it.

Normalised as GlossAPI does it (scheme added where missing, lower-case scheme and host, repeated
slashes folded, query keys sorted, fragment dropped), plus what makes two spellings of one address
equal on the wire: percent-escapes in one case, non-ASCII characters escaped as UTF-8, an IDN host
in punycode, the default port dropped.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlencode

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # yarl (~0.1 s to import) only once a link is read: not for every CLI command
    from yarl import URL

SLUG_CHARS = 60          # of the name's readable part; the hash makes it unique
HASH_CHARS = 12          # 48 bits: a clash among 10^6 links has odds of about 2 in 10^6
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_OTHER_SCHEMES = {"mailto", "javascript", "data", "tel", "file", "urn", "news", "about", "ftp"}


class BadLink(ValueError):
    """A link that is no http(s) URL: the row fails with this reason, nothing is requested."""


def to_url(link: str) -> URL:
    """The URL to request: a missing scheme is https (GlossAPI's), anything but http(s) refused."""
    from yarl import URL

    text = str(link).strip()
    if not text:
        raise BadLink("empty link")
    if any(c.isspace() for c in text):
        raise BadLink(f"malformed URL {text!r}: it contains white space")
    scheme = _SCHEME.match(text)
    if scheme and "://" not in text and scheme.group(0)[:-1].lower() in _OTHER_SCHEMES:
        raise BadLink(f"unsupported scheme {scheme.group(0)[:-1]!r} in {link!r}: only http and https are fetched")
    if "://" not in text:  # example.org/a.pdf, //example.org/a.pdf, example.org:8080/a.pdf
        text = "https:" + text if text.startswith("//") else "https://" + text
    try:
        url = URL(text)
        url.port  # noqa: B018 - a port out of range raises only when read
    except (ValueError, TypeError, UnicodeError) as exc:
        raise BadLink(f"malformed URL {link!r}: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise BadLink(f"unsupported scheme {url.scheme!r} in {link!r}: only http and https are fetched")
    if not url.raw_host:
        raise BadLink(f"malformed URL {link!r}: no host")
    return url


def normalise(link: str) -> str:
    url = to_url(link)
    path = re.sub("/+", "/", url.raw_path or "/")
    query = urlencode(sorted(parse_qsl(url.query_string, keep_blank_values=True)), doseq=True)
    port = url.explicit_port if url.explicit_port not in (None, _DEFAULT_PORT[url.scheme]) else None
    rebuilt = type(url).build(scheme=url.scheme, host=url.raw_host, port=port, path=path, query_string=query,
                        encoded=True)
    return str(rebuilt)


_DEFAULT_PORT = {"http": 80, "https": 443}


def host_of(link: str) -> str:
    """scheme://host[:port]: the unit of politeness (GlossAPI's base_domain)."""
    url = to_url(link)
    return str(url.origin())


def file_stem(normalised: str) -> str:
    """A name for the link's file, stable across runs (from the link, not its row) and safe: the
    last path segment's readable part (decoded, NFC, word characters, dots and dashes only) and a
    hash of the whole normalised URL. Nothing the server says reaches the file system."""
    from yarl import URL

    url = URL(normalised, encoded=True)
    last = unquote(posixpath.basename(url.raw_path.rstrip("/")))
    base = posixpath.splitext(last)[0] if "." in last[1:] else last
    slug = re.sub(r"[^\w.-]+", "_", unicodedata.normalize("NFC", base), flags=re.UNICODE).strip("._-")
    if not slug:
        slug = re.sub(r"[^\w-]+", "_", url.raw_host or "link").strip("_")
    digest = hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:HASH_CHARS]
    return f"{slug[:SLUG_CHARS].rstrip('._-')}-{digest}"

"""`--url-blocklist FILE`: pages whose host is a listed domain, or under one, are skipped unread.

One domain a line (`example.com` blocks `example.com` and `www.example.com`, not
`notexample.com`); blank lines and `#` comments are ignored, a leading `*.` or `.`
and letter case do not matter. The `domains` files of the UT1 blocklists
(Université Toulouse 1 Capitole, CC BY-SA 4.0) and hosts files (`0.0.0.0
example.com`) read as they are. No list ships with the project: which sites to
leave out is the user's call, and a list's licence travels with it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from xlmr.common import files
from xlmr.common.argtypes import UsageError


class BlocklistError(UsageError):
    pass


def parse_domains(lines) -> frozenset[str]:
    domains = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip().lower()
        if not entry:
            continue
        entry = entry.split()[-1]  # hosts-file lines: "0.0.0.0 example.com"
        domains.add(entry.lstrip("*").strip(".").split(":", 1)[0])
    return frozenset(domains - {""})


def load_blocklist(path: str) -> frozenset[str]:
    """The domains listed in `path` (local, gs:// or s3://)."""
    try:
        text = files.read_text(path)
    except Exception as exc:
        raise BlocklistError(f"--url-blocklist {path}: cannot read it ({type(exc).__name__}: {exc}); "
                             "expected a text file with one domain a line") from exc
    return parse_domains(text.splitlines())


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def is_blocked(url: str, domains: frozenset[str]) -> bool:
    """Whether the URL's host is one of `domains` or a subdomain of one."""
    host = host_of(url)
    while host:
        if host in domains:
            return True
        host = host.partition(".")[2]
    return False

"""GlossAPI's download(): a list of links fetched into OUT/downloads, politely and resumably, each
link a manifest row of the progress store that carries every column of its source row on to the
dataset. Knows nothing of Dagster (defs/download/ is its Dagster face).

- links.py     reading a link list: the file, its URL column, one row per link
- urls.py      one normal form per URL; a stable, safe file name for it
- register.py  the links entered into the store as rows, in shards, before any request
- robots.py    robots.txt per host (protego)
- fetch.py     one attempt at one link: redirects, streaming, sha256, size limit, kind from the bytes
- hosts.py     the scheduler: round-robin lanes, per-host concurrency and rate, Retry-After, backoff
- run.py       a run: what is left, partial files of dead runs, adoption, batches into the store
"""
from .links import LinkList, LinkListError, find_link_list, read_link_list
from .register import Registration, register_links, register_list, source_columns
from .run import DownloadReport, download_links

__all__ = ["DownloadReport", "LinkList", "LinkListError", "Registration", "download_links", "find_link_list",
           "read_link_list", "register_links", "register_list", "source_columns"]

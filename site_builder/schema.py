"""The keys of a paper file, in schema order: standard library only, so the command line starts fast."""

from __future__ import annotations

PUBLICATION_KEYS = (
    "title",
    "authors",
    "et_al",
    "affiliations",
    "date",
    "category",
    "has_code",
    "score",
    "abstract",
    "venue",
    "tags",
    "links",
    "selected",
)

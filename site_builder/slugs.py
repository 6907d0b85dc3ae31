"""Readable ASCII slugs and the normalised identity of a paper."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "and",
        "to",
        "with",
        "via",
        "from",
        "towards",
        "toward",
        "is",
        "are",
        "at",
        "by",
        "as",
        "or",
        "do",
        "does",
        "what",
        "how",
        "why",
        "when",
        "can",
        "its",
        "it",
        "we",
        "our",
        "your",
        "be",
        "using",
    ]
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "ı": "i",
    }
)


def ascii_fold(text: str) -> str:
    """Return ``text`` with accents removed and non-ASCII letters spelt in ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def fold(text: str) -> str:
    """Return ``text`` lowercased without accents, as the browser folds a query (``Dollár`` → ``dollar``)."""
    if text.isascii():
        return " ".join(text.lower().split())
    # Decomposing the whole text and dropping its combining marks is the same as doing so to
    # each run of non-ASCII characters (ASCII characters are neither decomposed nor moved):
    # an abstract is mostly ASCII, with a few runs (dashes, accented names) that recur.
    return " ".join(_NON_ASCII.sub(_unmarked, text).casefold().split())


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _unmarked(run: re.Match[str]) -> str:
    return _without_marks(run.group())


@functools.lru_cache(maxsize=4096)
def _without_marks(text: str) -> str:
    """Return ``text`` decomposed (NFKD), without its combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """Return lowercase ASCII words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", ascii_fold(text).lower().replace("'", "").replace("’", "")))


def family_name(author: str) -> str:
    """Return the family name of ``First [particles] Last [Jr.]`` (or the name of an organisation)."""
    tokens = [t for t in author.replace(",", " ").split() if t.strip(".").lower() not in _SUFFIXES]
    return tokens[-1] if tokens else author


def paper_slug(date: dt.date, authors: tuple[str, ...] | list[str], title: str) -> str:
    """Return ``<year>-<first author's family name>-<first title words>``, e.g. ``2023-grauman-ego-exo4d``."""
    who = slugify(family_name(authors[0])) if authors else ""
    words = [w for w in slugify(title).split("-") if w not in _STOPWORDS] or slugify(title).split("-")
    head: list[str] = []
    for word in words:
        if len(head) == 3 or (head and len("-".join([*head, word])) > 28):
            break
        head.append(word)
    parts = [str(date.year), who, "-".join(head)]
    return "-".join(p for p in parts if p) or "paper"


@functools.lru_cache(maxsize=1 << 17)
def paper_key(title: str, first_author: str | None) -> str:
    """Return the identity of a paper: its normalised title and first author's family name."""
    norm_title = re.sub(r"[^a-z0-9]+", "", ascii_fold(title).lower())
    who = re.sub(r"[^a-z0-9]+", "", ascii_fold(family_name(first_author)).lower()) if first_author else ""
    return f"{norm_title}|{who}"

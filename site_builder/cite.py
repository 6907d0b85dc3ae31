"""Citations of a paper: BibTeX (with stable, unique keys), RIS and CSL-JSON. Pure functions.

BibTeX is written for the classic ``bibtex`` program as much as for biber: non-ASCII
letters become LaTeX accent commands, special characters are escaped, words with
capitals inside them are braced so styles keep their case, and ``et al.`` lists end
in ``and others``.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .markup import clean_latex
from .model import Publication
from .slugs import ascii_fold

# Small per-paper facts are cached (a preview asks again on every rebuild); whole records are
# not: a build makes each once, and the preview keeps the pages of unchanged papers.
CACHE_SIZE = 1 << 18
NAMES_CACHE = 1 << 16
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
PARTICLES = frozenset("van von der den de del della di da das do dos du le la ten ter bin al el".split())
SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})
_JOURNAL_WORDS = re.compile(
    r"\b(journal|transactions|letters|review|magazine|proceedings of the national|annals|bulletin|"
    r"nature|science|cell|tpami|ijcv|jmlr|tmlr|tacl|pnas|plos)\b",
    re.IGNORECASE,
)
_ARXIV_ID = re.compile(r"arxiv\.org/(?:abs|pdf)/([a-z-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_KEY_STOP = frozenset(
    "a an the of on in for and to with via from towards toward is are do does what how why".split()
)

_ACCENTS = {
    "\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0327": "c", "\u030c": "v",
    "\u0306": "u", "\u0304": "=", "\u030a": "r", "\u0307": ".", "\u0328": "k", "\u030b": "H", "\u0323": "d",
}  # fmt: skip
_LETTERS = {
    "ß": r"{\ss}", "ø": r"{\o}", "Ø": r"{\O}", "æ": r"{\ae}", "Æ": r"{\AE}", "œ": r"{\oe}", "Œ": r"{\OE}",
    "å": r"{\aa}", "Å": r"{\AA}", "ł": r"{\l}", "Ł": r"{\L}", "ı": r"{\i}", "đ": r"{\dj}", "Đ": r"{\DJ}",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"{\ldots}", "\u00a0": "~",
}  # fmt: skip
_SPECIAL = {
    "\\": r"{\textbackslash}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "~": r"{\textasciitilde}", "^": r"{\textasciicircum}",
}  # fmt: skip
_SPACES = re.compile(r"(\s+)")
_SPECIAL_RE = re.compile("[" + re.escape("".join(_SPECIAL)) + "]")


@dataclass(frozen=True, slots=True)
class Name:
    """A person's name split for citations; ``literal`` for organisations."""

    given: str
    family: str
    suffix: str = ""
    literal: str = ""


@functools.lru_cache(maxsize=64)  # a paper's page asks for it four times, one after the other
def plain_text(text: str) -> str:
    """Return Markdown text as one plain line, LaTeX leftovers cleaned (math kept as written)."""
    return " ".join(clean_latex(text).split())


@functools.lru_cache(maxsize=NAMES_CACHE)  # names recur: a paper's four formats each split its authors
def split_name(name: str) -> Name:
    """Split ``First [von] Last [Jr.]`` into parts; a single word is an organisation."""
    tokens = name.split()
    suffix = ""
    if len(tokens) > 2 and tokens[-1] in SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) == 1:
        return Name("", "", literal=tokens[0] if tokens else name)
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in PARTICLES:
        start -= 1
    return Name(" ".join(tokens[:start]), " ".join(tokens[start:]), suffix)


def _latex_text(text: str, protect_case: bool = False) -> str:
    """Escape text for a BibTeX field: specials, accents as commands, inner capitals braced."""
    out: list[str] = []
    for word in _SPACES.split(text):
        if not word or word.isspace():
            out.append(" " if word else "")
            continue
        if word.isascii():  # most words: only the specials change
            escaped = (
                _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], word) if _SPECIAL_RE.search(word) else word
            )
        else:
            escaped = "".join(_latex_char(ch) for ch in unicodedata.normalize("NFC", word))
        if protect_case and any(c.isupper() for c in word[1:]):
            escaped = "{" + escaped + "}"
        out.append(escaped)
    return "".join(out)


def _latex_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch in _LETTERS:
        return _LETTERS[ch]
    if ord(ch) < 128:
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if marks and all(m in _ACCENTS for m in marks) and ord(base) < 128:
        result = "\\i" if base == "i" else base  # the dotless i takes the accent
        for mark in marks:
            result = f"\\{_ACCENTS[mark]}{{{result}}}"
        return "{" + result + "}"
    if unicodedata.category(ch).startswith("C"):
        return ""
    return ch  # other scripts stay UTF-8, which biber and modern bibtex read


@functools.lru_cache(maxsize=NAMES_CACHE)
def _bib_name(name: str) -> str:
    parts = split_name(name)
    if parts.literal:
        return "{" + _latex_text(parts.literal) + "}"
    family = _latex_text(parts.family)
    given = _latex_text(parts.given)
    if parts.suffix:
        return f"{family}, {_latex_text(parts.suffix)}, {given}"
    return f"{family}, {given}"


@functools.lru_cache(maxsize=CACHE_SIZE)
def arxiv_id(pub: Publication) -> str | None:
    """Return the paper's arXiv identifier, from its arXiv or PDF link."""
    for kind in ("arxiv", "pdf", "url"):
        url = pub.link(kind)
        if url and (m := _ARXIV_ID.search(url)):
            return m.group(1)
    return None


@functools.lru_cache(maxsize=CACHE_SIZE)
def doi(pub: Publication) -> str | None:
    """Return the paper's DOI (without the resolver), if it has one."""
    url = pub.link("doi")
    if not url:
        return None
    m = re.search(r"(10\.\d{4,9}/\S+)", url)
    return m.group(1) if m else None


def venue_kind(venue: str | None) -> str:
    """Return ``journal`` or ``conference`` for a venue name."""
    return "journal" if venue and _JOURNAL_WORDS.search(venue) else "conference"


def entry_type(pub: Publication) -> str:
    """Return the BibTeX entry type: from the venue, ``misc`` without one."""
    if pub.venue:
        return "article" if venue_kind(pub.venue) == "journal" else "inproceedings"
    return "misc"


def base_key(pub: Publication) -> str:
    """Return ``<family name><year><first title word>``, e.g. ``xue2023learning``."""
    return _base_key(pub.authors[0] if pub.authors else None, pub.year, pub.title)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _base_key(first_author: str | None, year: int, title: str) -> str:
    """Return :func:`base_key` from what it reads (cached by strings: a paper hashes all its fields)."""
    first = split_name(first_author) if first_author is not None else Name("", "anon")
    family = first.literal or first.family
    who = (
        re.sub(r"[^a-z]", "", ascii_fold(family.split()[-1] if family.split() else family).lower()) or "anon"
    )
    title = ascii_fold(title).lower().replace("'", "").replace("’", "")
    words = [w for w in re.findall(r"[a-z0-9]+", title) if w not in _KEY_STOP]
    return f"{who}{year}{words[0] if words else ''}"


def citation_keys(pubs: Sequence[Publication]) -> dict[str, str]:
    """Return a unique, stable key per paper slug: clashes get ``a``, ``b``… in date and slug order."""
    groups: dict[str, list[Publication]] = {}
    for pub in pubs:
        groups.setdefault(base_key(pub), []).append(pub)
    keys: dict[str, str] = {}
    for key, members in groups.items():
        if len(members) == 1:
            keys[members[0].slug] = key
            continue
        for i, pub in enumerate(sorted(members, key=lambda p: (p.date, p.slug))):
            keys[pub.slug] = f"{key}{_suffix(i)}"
    return keys


def _suffix(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(97 + r) + letters
    return letters


def bibtex(pub: Publication, key: str, url: str | None = None) -> str:
    """Return the BibTeX entry of a paper."""
    authors = [_bib_name(a) for a in pub.authors]
    if pub.et_al:
        authors.append("others")
    fields: list[tuple[str, str]] = [
        ("title", "{" + _latex_text(pub.title, protect_case=True) + "}"),
        ("author", "{" + " and ".join(authors) + "}"),
    ]
    kind = entry_type(pub)
    if kind == "article":
        fields.append(("journal", "{" + _latex_text(pub.venue or "") + "}"))
    elif kind == "inproceedings":
        fields.append(("booktitle", "{" + _latex_text(pub.venue or "") + "}"))
    fields += [("year", str(pub.year)), ("month", MONTHS[pub.date.month - 1])]
    arxiv = arxiv_id(pub)
    if arxiv:
        fields += [("eprint", "{" + arxiv + "}"), ("archiveprefix", "{arXiv}")]
        if pub.category:
            fields.append(("primaryclass", "{" + _latex_text(pub.category) + "}"))
    if doi(pub):
        fields.append(("doi", "{" + _latex_text(doi(pub) or "") + "}"))
    link = (
        url or pub.link("project") or pub.link("url") or (f"https://arxiv.org/abs/{arxiv}" if arxiv else None)
    )
    if link:
        fields.append(("url", "{" + _escape_url(link) + "}"))
    if kind == "misc" and not arxiv and not link:
        fields.append(("howpublished", "{Preprint}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def _escape_url(url: str) -> str:
    return url.replace("\\", "").replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")


def bibtex_file(entries: Iterable[str]) -> str:
    """Join BibTeX entries into one file."""
    return "\n".join(entries)


def ris(pub: Publication, url: str | None = None) -> str:
    """Return the RIS record of a paper (EndNote, Zotero, Mendeley)."""
    kind = {"article": "JOUR", "inproceedings": "CPAPER", "misc": "GEN"}[entry_type(pub)]
    if kind == "GEN" and arxiv_id(pub):
        kind = "UNPB"
    lines = [("TY", kind), ("TI", pub.title)]
    for author in pub.authors:
        parts = split_name(author)
        if parts.literal:
            lines.append(("AU", parts.literal))
        else:
            lines.append(
                ("AU", f"{parts.family}, {parts.given}" + (f", {parts.suffix}" if parts.suffix else ""))
            )
    lines += [("PY", str(pub.year)), ("DA", f"{pub.date:%Y/%m/%d}/")]
    if pub.venue:
        lines.append(("JO" if kind == "JOUR" else "T2", pub.venue))
    if pub.abstract:
        lines.append(("AB", plain_text(pub.abstract)))
    for tag in pub.tags:
        lines.append(("KW", tag))
    the_doi = doi(pub)
    if the_doi:
        lines.append(("DO", the_doi))
    for link in [url, pub.link("pdf"), pub.link("arxiv")]:
        if link:
            lines.append(("UR", link))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + "\r\n" for tag, value in lines)


def csl(pub: Publication, key: str, url: str | None = None) -> dict[str, object]:
    """Return the CSL-JSON item of a paper (citeproc, Zotero, pandoc)."""
    kind = {"article": "article-journal", "inproceedings": "paper-conference", "misc": "article"}[
        entry_type(pub)
    ]
    authors: list[dict[str, str]] = []
    for author in pub.authors:
        parts = split_name(author)
        if parts.literal:
            authors.append({"literal": parts.literal})
        else:
            person = {"family": parts.family, "given": parts.given}
            if parts.suffix:
                person["suffix"] = parts.suffix
            authors.append(person)
    item: dict[str, object] = {
        "id": key,
        "type": kind,
        "title": pub.title,
        "author": authors,
        "issued": {"date-parts": [[pub.date.year, pub.date.month, pub.date.day]]},
    }
    if pub.venue:
        item["container-title"] = pub.venue
    if pub.abstract:
        item["abstract"] = plain_text(pub.abstract)
    the_doi = doi(pub)
    if the_doi:
        item["DOI"] = the_doi
    arxiv = arxiv_id(pub)
    if arxiv:
        item["number"] = f"arXiv:{arxiv}"
        item["publisher"] = "arXiv"
    page = url or pub.link("project")
    if page:
        item["URL"] = page
    if pub.tags:
        item["keyword"] = ", ".join(pub.tags)
    return item


def csl_json(items: list[dict[str, object]]) -> str:
    """Return CSL-JSON text for a list of items."""
    return json.dumps(items, ensure_ascii=False) + "\n"  # one line: the C encoder, 5 times faster

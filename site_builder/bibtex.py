"""Parse a BibTeX file into source entries for ``site-builder import`` (pure: text in, values out).

The splitting of the file into entries is done by **bibtexparser** 2.x, chosen over pybtex for
four reasons. It is the more actively maintained of the two (2.x is a rewrite, released as
stable since 2.0 and updated through 2026), and it ships type hints. On the seven real files in
``shared/corpus/bibtex`` it reads everything and isolates each mistake in one block
(``failed_blocks``: a syntax error, a duplicate key, a duplicate field), while pybtex's parser
stops at the first undefined macro or repeated key and loses the whole file (it did so on four
of the seven). Every block and every field carries its start line, so each problem is reported
at its place. It is fast enough not to matter (the 267 KB file splits in about 40 ms).

LaTeX to Unicode goes through **pylatexenc**'s ``LatexNodes2Text``, the same converter that
bibtexparser's own ``LatexDecodingMiddleware`` wraps (it is bibtexparser's one dependency,
pinned ``~=2.10``), used directly so that it runs after ``@string``/``#`` resolution and name
splitting, which must see the braces, and so that ``$…$`` math is kept verbatim and a bare
``%`` or ``&`` (common in real files) is not read as a comment or an alignment tab. Values
(``@string`` macros, ``#`` concatenation, month macros) and names (bibtexparser's BibTeX name
splitter) are resolved here because the library's string middleware only replaces whole-field
macros.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import re
from typing import Any

from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import (
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)
from pylatexenc.latex2text import (  # type: ignore[import-untyped]
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)

from .errors import Problem, Severity
from .importer import SourceEntry
from .model import check_url

# bibtexparser logs each syntax error it recovers from; with no handler configured, Python's
# last-resort handler would print them to stderr. We report them as Problems instead; a CLI
# that configures logging still receives the records through the root logger.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# BibTeX's standard styles predefine jan..dec as the full month names.
_MONTH_MACROS = {name[:3].lower(): name for name in MONTH_NAMES}
_NOT_PAPERS = ("string", "comment", "preamble")

_ARXIV_ID = re.compile(r"(?:arXiv:)?((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)", re.I)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://)?(?:dx\.)?(?:doi\.org/)|^doi:\s*", re.I)
_CATEGORY = re.compile(r"[a-z-]+(?:\.[A-Za-z-]+)?")
_HTTP = re.compile(r"https?://\S+", re.I)
_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")
_LATEX_SPECIAL = re.compile(r"[\\{}$~%&`'\-]|&#")
_NUMERIC_ENTITY = re.compile(r"&#(?:x[0-9a-fA-F]+|\d+);")
_LONE_MACRO = re.compile(r"\s*\\([A-Za-z]+)\s*")
_SUFFIX = re.compile(r"(?:jr|sr|[ivx]+)\.?", re.I)

# Fields that name their link kind, in the order they claim it.
_NAMED_LINKS = (
    ("pdf", "pdf"),
    ("code", "code"),
    ("tool", "code"),
    ("project", "project"),
    ("website", "project"),
    ("homepage", "project"),
    ("webpage", "project"),
    ("video", "video"),
    ("slides", "slides"),
    ("poster", "poster"),
    ("data", "data"),
    ("dataset", "data"),
    ("html", "url"),
)
# Fields whose URL is sorted by what it points at (arXiv, DOI, code host, a PDF).
_CLASSIFIED_LINKS = ("url", "link", "arxiv", "eprint", "file", "adsurl")


def _decoder() -> Any:
    """Return the LaTeX-to-text converter: math kept verbatim, ``\\url{x}`` as plain x."""
    context = get_default_latex_context_db()
    context.add_context_category("site-builder", prepend=True, macros=[MacroTextSpec("url", "%s")])
    return LatexNodes2Text(
        latex_context=context, math_mode="verbatim", keep_braced_groups=False, strict_latex_spaces=True
    )


_LATEX = _decoder()


class _Entry:
    """The resolved fields of one entry and the problems found while reading them."""

    def __init__(self, entry: Entry, strings: dict[str, str], path: str) -> None:
        self.key = entry.key or "(no key)"
        self.line = (entry.start_line or 0) + 1
        self.path, self.strings = path, strings
        self.problems: list[Problem] = []
        self.raw: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.repeated: dict[str, int] = {}
        for field in entry.fields:
            name = field.key.strip().lower()
            line = (field.start_line or entry.start_line or 0) + 1
            if name in self.raw:  # BibTeX keeps the first of two equal fields
                self.repeated.setdefault(name, line)
                continue
            self.raw[name] = str(field.value)
            self.lines[name] = line

    def warn(self, name: str, message: str) -> None:
        """Record a warning at the line of a field."""
        self.problems.append(
            Problem(
                self.path, self.lines.get(name, self.line), f"entry {self.key!r}: {message}", Severity.WARNING
            )
        )

    def value(self, name: str) -> str | None:
        """Return a field with macros and ``#`` resolved (still LaTeX), or None when absent or empty."""
        if name not in self.raw:
            return None
        text, unknown = resolve_value(self.raw[name], self.strings)
        for macro in unknown:
            if not (name == "month" and _month_number(macro)):
                self.warn(name, f"undefined @string macro {macro!r} in {name!r}, kept as text")
        return text if text.strip() else None

    def text(self, name: str) -> str | None:
        """Return a field as one line of Unicode text, or None."""
        value = self.value(name)
        return (one_line(latex_to_text(value)) or None) if value is not None else None


def resolve_value(raw: str, strings: dict[str, str]) -> tuple[str, list[str]]:
    """Resolve ``{…}``, ``"…"``, numbers and macros joined by ``#``; return the text and unknown macros."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "\\":
            continue
        if ch == "{" and (i == 0 or raw[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or raw[i - 1] != "\\") and depth:
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    out, unknown = [], []
    for part in (p.strip() for p in parts):
        if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
            out.append(part[1:-1])
        elif not part or part.isdigit():
            out.append(part)
        elif part.lower() in strings:
            out.append(strings[part.lower()])
        else:
            unknown.append(part)
            out.append(part)
    return "".join(out), unknown


@functools.lru_cache(maxsize=4096)
def latex_to_text(value: str) -> str:
    """Convert LaTeX markup (accents, commands, braces, dashes) to Unicode, keeping ``$…$`` math."""
    if not _LATEX_SPECIAL.search(value):
        return value.replace("\xa0", " ")
    # A bare % or & in a .bib field is nearly always meant literally (95%, Taylor & Francis).
    escaped = _BARE_SPECIAL.sub(r"\\\1", value)
    try:
        text = str(_LATEX.latex_to_text(escaped))
    except Exception:  # pylatexenc on malformed markup: fall back to the text without braces
        text = value.replace("{", "").replace("}", "")
    text = text.replace("\xa0", " ")
    return _NUMERIC_ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def one_line(text: str) -> str:
    """Collapse all whitespace runs to single spaces."""
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """Collapse whitespace within paragraphs, keeping blank lines between them."""
    paras = (one_line(p) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paras if p)


def _month_number(value: str) -> int | None:
    """Return the month of ``10``, ``oct``, ``Oct.``, ``October`` or ``Sept``, or None."""
    token = re.split(r"[^0-9A-Za-z]+", value.strip())
    first = next((t for t in token if t), "")
    if first.isdigit():
        return int(first) if 1 <= int(first) <= 12 else None
    return next(
        (i for i, m in enumerate(MONTH_NAMES, 1) if len(first) >= 3 and m.lower().startswith(first.lower())),
        None,
    )


def _split_comma_list(name: str) -> list[str] | None:
    """Return the names of ``A B, C D, E F`` mistakenly written as one BibTeX name, or None."""
    pieces = [p.strip() for p in name.split(",")]
    if len(pieces) < 3 or any(not p for p in pieces):
        return None
    if len(pieces) == 3 and _SUFFIX.fullmatch(pieces[1]):
        return None
    return pieces


def _person(name: str) -> str:
    """Return one BibTeX name as ``First von Last Jr``, its LaTeX converted."""
    try:
        parts = parse_single_name_into_parts(name, strict=False)
        words = [*parts.first, *parts.von, *parts.last, *parts.jr]
    except Exception:  # an unparseable name is kept as written
        words = [name]
    return one_line(latex_to_text(" ".join(words)))


def parse_authors(value: str) -> tuple[list[str], bool, bool]:
    """Return an author field's names, whether it ends in ``and others``, whether it is a comma list."""
    names = split_multiple_persons_names(value)
    et_al, comma_list = False, False
    if names and names[-1].strip().lower() == "others":
        et_al = True
    out: list[str] = []
    for name in names:
        if name.strip().lower() == "others":
            continue
        split = _split_comma_list(name)
        if split:
            comma_list = True
            out.extend(one_line(latex_to_text(n)) for n in split)
        else:
            out.append(_person(name))
    return [n for n in out if n], et_al, comma_list


def _clean_url(value: str) -> str:
    """Return a URL field's text without braces, ``\\url{}`` and LaTeX escapes."""
    url = re.sub(r"\\url\s*\{(.*)\}", r"\1", value.strip(), flags=re.S)
    url = re.sub(r"\\([_%&#~$:])", r"\1", url)
    return url.replace("{", "").replace("}", "").strip()


def _short(text: str) -> str:
    """Return text cut to 60 characters for a message."""
    return text if len(text) <= 60 else text[:59] + "…"


def _classify(url: str) -> str:
    """Return the link kind a URL points at."""
    low = url.lower()
    if re.match(r"https?://(www\.)?arxiv\.org/(abs|pdf)/", low):
        return "arxiv"
    if re.match(r"https?://(dx\.)?doi\.org/", low):
        return "doi"
    if re.match(r"https?://(www\.)?(github\.com|gitlab\.com|bitbucket\.org)/", low):
        return "code"
    if low.split("?")[0].endswith(".pdf") or "/pdf/" in low or "/pdf?" in low:
        return "pdf"
    return "url"


def _urls(field: str, value: str) -> list[str]:
    """Return the URLs of a link field: the http(s) paths of a JabRef ``file`` field, or each word."""
    if field == "file":
        found = re.findall(r"https?\\?:[^;]*?(?=(?<!\\):[A-Za-z]*(?:;|$)|;|$)", value)
        return [u.replace("\\:", ":") for u in found] or [value.strip()]
    return _clean_url(value).split() or [""]


def _links(e: _Entry) -> dict[str, str]:
    """Collect an entry's links: named fields first, then classified URLs, DOI and arXiv id."""
    links: dict[str, str] = {}

    def add(kind: str, url: str, field: str) -> None:
        why = None if _HTTP.fullmatch(url) else "is not an http(s) URL"
        why = why or check_url(url)
        if why:
            e.warn(field, f"link {field!r} {_short(url)!r} {why}; left out")
        elif kind not in links and url not in links.values():
            links[kind] = url

    for field, kind in _NAMED_LINKS:
        value = e.value(field)
        if value is not None:
            add(kind, _clean_url(value), field)
    doi = e.value("doi")
    if doi is not None:
        bare = _DOI_PREFIX.sub("", _clean_url(doi)).strip()
        if _DOI.fullmatch(bare):
            add("doi", f"https://doi.org/{bare}", "doi")
        elif _HTTP.fullmatch(_clean_url(doi)):
            add(_classify(_clean_url(doi)), _clean_url(doi), "doi")
        else:
            e.warn("doi", f"'doi' {doi!r} is not a DOI (10.xxxx/…); left out")
    archive = (e.value("archiveprefix") or "").strip().lower()
    for field in (*_CLASSIFIED_LINKS, "arxivid"):
        value = e.value(field)
        if value is None:
            continue
        for url in _urls(field, value)[:1]:
            arxiv = _ARXIV_ID.fullmatch(url)
            if field in ("eprint", "arxiv", "arxivid") and arxiv and (archive in ("", "arxiv")):
                add("arxiv", f"https://arxiv.org/abs/{arxiv.group(1)}", field)
            elif _HTTP.fullmatch(url):
                add("url" if field == "adsurl" else _classify(url), url, field)
            elif field == "eprint" and archive not in ("", "arxiv"):
                continue  # an eprint of another archive (PubMed, …) has no URL of its own
            else:
                e.warn(field, f"link {field!r} {_short(url)!r} is not an http(s) URL; left out")
    return {kind: links[kind] for kind in sorted(links, key=_LINK_ORDER.index)}


_LINK_ORDER = ("pdf", "arxiv", "doi", "code", "project", "video", "slides", "poster", "data", "url")


def _date(e: _Entry, reasons: list[str]) -> str | None:
    """Return the entry's date as YYYY-MM-DD from year/month/day (or a biblatex date), or None."""
    year_text, month_text, day_text = e.text("year"), e.text("month"), e.text("day")
    if year_text is None and e.text("date"):
        iso = _ISO_DATE.match(e.text("date") or "")
        if iso:
            year_text, month_text, day_text = iso.group(1), iso.group(2), iso.group(3)
    if year_text is None:
        reasons.append("no year")
        return None
    if not _YEAR.fullmatch(year_text):
        reasons.append(f"year {year_text!r} is not a four-digit year")
        return None
    month = 1
    if month_text:
        month = _month_number(month_text) or 0
        if not month:
            e.warn("month", f"month {month_text!r} is not a month; using January")
            month = 1
    day = int(day_text) if day_text and day_text.isdigit() else 1 if not day_text else 0
    try:
        return dt.date(int(year_text), month, day).isoformat()
    except ValueError:
        e.warn("day", f"day {day_text!r} is not a day of {year_text}-{month:02d}; using the 1st")
        return f"{year_text}-{month:02d}-01"


def _venue(e: _Entry) -> str | None:
    """Return where the paper appeared: booktitle, journal, or a thesis's school."""
    for field in ("booktitle", "journal", "school", "institution", "howpublished"):
        value = e.value(field)
        if value is None:
            continue
        macro = _LONE_MACRO.fullmatch(value)
        if macro and macro.group(1).lower() in e.strings:  # ADS writes journal = {\mnras}
            value = e.strings[macro.group(1).lower()]
        text = one_line(latex_to_text(value))
        if text and not (field == "howpublished" and _HTTP.match(_clean_url(value))):
            return text
    return None


def _record(e: _Entry) -> tuple[dict[str, Any] | None, str | None]:
    """Build the schema record of an entry (None when it cannot be a paper) and why it is a guess."""
    reasons: list[str] = []
    title = e.text("title")
    if title is None:
        reasons.append("no title")
    authors_raw = e.value("author") or e.value("editor")
    authors, et_al, comma_list = parse_authors(authors_raw) if authors_raw else ([], False, False)
    if not authors:
        reasons.append("no author")
    date = _date(e, reasons)
    if reasons or title is None or date is None:
        e.problems.append(Problem(e.path, e.line, f"entry {e.key!r} skipped: {', '.join(reasons)}"))
        return None, None
    record: dict[str, Any] = {"title": title, "authors": authors}
    if et_al:
        record["et_al"] = True
    record["date"] = date
    category = e.text("primaryclass")
    if category and _CATEGORY.fullmatch(category):
        record["category"] = category
    links = _links(e)
    record["has_code"] = "code" in links
    abstract = e.value("abstract")
    if abstract is not None and paragraphs(latex_to_text(abstract)):
        record["abstract"] = paragraphs(latex_to_text(abstract))
    venue = _venue(e)
    if venue:
        record["venue"] = venue
    tags = _tags(e.value("keywords"))
    if tags:
        record["tags"] = tags
    if links:
        record["links"] = links
    uncertain = "the author list looks comma-separated, not joined with 'and'" if comma_list else None
    return record, uncertain


def _tags(value: str | None) -> list[str]:
    """Split keywords on commas and semicolons, dropping blanks and repeats."""
    tags: dict[str, str] = {}
    for part in re.split(r"[,;]", value or ""):
        tag = one_line(latex_to_text(part))
        if tag and tag.lower() not in tags:
            tags[tag.lower()] = tag
    return list(tags.values())


def _failed_kind(raw: str | None) -> str:
    """Return the lower-case @type of a block's raw text, or ''."""
    match = re.match(r"\s*@\s*(\w*)", raw or "")
    return match.group(1).lower() if match else ""


def parse_bibtex(text: str, path: str) -> tuple[list[SourceEntry], list[Problem]]:
    """Parse BibTeX text into source entries and every located problem; never raises on bad input."""
    try:
        library = parse_string(text, parse_stack=[])
    except Exception as exc:  # the splitter raises on states it considers its own bugs
        return [], [Problem(path, 1, f"not readable as BibTeX: {exc}")]
    strings: dict[str, str] = dict(_MONTH_MACROS)
    seen: dict[str, int] = {}
    entries: list[SourceEntry] = []
    problems: list[Problem] = []
    papers = 0
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        entry = block.ignore_error_block if isinstance(block, ParsingFailedBlock) else block
        if isinstance(entry, String):
            value, _ = resolve_value(str(entry.value), strings)
            strings[entry.key.strip().lower()] = value
            continue
        if isinstance(entry, (ExplicitComment, Preamble)) or not isinstance(
            block, (Entry, ParsingFailedBlock)
        ):
            continue
        if not isinstance(entry, Entry):
            kind = _failed_kind(block.raw)
            severity = Severity.WARNING if kind in _NOT_PAPERS else Severity.ERROR
            papers += kind not in _NOT_PAPERS
            error = block.error if isinstance(block, ParsingFailedBlock) else None
            reason = getattr(error, "abort_reason", None) or str(error or "") or "syntax error"
            problems.append(Problem(path, line, f"@{kind} entry not readable: {reason}", severity))
            continue
        papers += 1
        key = (entry.key or "").strip()
        if key.lower() in seen:
            problems.append(
                Problem(
                    path, line, f"duplicate citation key {key!r} (first at line {seen[key.lower()]}); skipped"
                )
            )
            continue
        seen[key.lower()] = line
        if not entry.entry_type.strip():
            problems.append(Problem(path, line, f"entry {key!r} skipped: '@' without an entry type"))
            continue
        resolved = _Entry(entry, strings, path)
        if isinstance(block, DuplicateFieldKeyBlock):
            for name, at in resolved.repeated.items():
                message = f"entry {resolved.key!r}: field {name!r} given twice; the first is used"
                resolved.problems.append(Problem(path, at, message, Severity.WARNING))
        try:
            record, uncertain = _record(resolved)
        except Exception as exc:  # a last guard: one odd entry must not stop the import
            resolved.problems.append(Problem(path, line, f"entry {key!r} skipped: could not be read ({exc})"))
            record, uncertain = None, None
        problems.extend(resolved.problems)
        if record is not None:
            entries.append(SourceEntry(line, record, uncertain))
    if papers == 0 and not problems:
        problems.append(Problem(path, 1, "no BibTeX entries found (such as @article{…})"))
    return entries, problems

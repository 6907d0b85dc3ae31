"""Parse a publication listing pasted from a profile page (see FORMAT.md) into entries.

Pure: text in, :class:`ListingEntry` values and located problems out. The hard
part is the title/author split on line 2, where the title runs straight into
the first author's name; :func:`split_title_authors` scores every possible
boundary and says when its choice is uncertain.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from .categories import ARXIV_CATEGORIES
from .errors import Problem

MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH_RE = "|".join([*MONTHS, "Sept"])

HEADER_RE = re.compile(
    r"(?P<score>\d+(?:\.\d+)?)?"
    r"(?P<category>[A-Z]{2,4}?|[a-z][a-z-]*\.[A-Za-z][A-Za-z-]*)"
    rf"(?P<month>{_MONTH_RE})\.?\s*(?P<day>\d{{1,2}})"
    r"(?:,\s*(?P<year>\d{4}))?"
    r"\s*(?P<code>Code)?"
)
_AFFILIATION_SEP = re.compile(r"\s+[·•]\s+")
_ET_AL = re.compile(r",?\s+et\s+al\.?$")

PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "dei",
        "di",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "le",
        "la",
        "les",
        "ten",
        "ter",
        "bin",
        "binti",
        "ibn",
        "al",
        "el",
        "y",
        "e",
        "zu",
        "af",
        "av",
        "wa",
        "st.",
        "st",
    ]
)
SUFFIXES = frozenset(["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"])
_CAMEL_PREFIXES = ("Mc", "Mac", "Fitz", "De", "Di", "Da", "Du", "La", "Le", "Van", "Von", "Del")
ORG_WORDS = frozenset(
    [
        "Team",
        "Workshop",
        "Scientific",
        "Collaboration",
        "Consortium",
        "Group",
        "Project",
        "Lab",
        "Labs",
        "Laboratory",
        "AI",
        "Inc.",
        "Institute",
        "University",
        "Committee",
        "Society",
        "Association",
        "Network",
        "Initiative",
        "Foundation",
        "Alliance",
        "OpenAI",
        "DeepMind",
        "Google",
        "Microsoft",
        "Meta",
        "Anthropic",
        "NVIDIA",
        "IBM",
        "Apple",
        "Amazon",
        "Baidu",
        "Alibaba",
        "Tencent",
        "Huawei",
        "Mistral",
        "Research",
        "Organization",
        "Organisation",
        "Council",
    ]
)
_ORG_GLUE = frozenset(["The", "of", "and", "for", "the", "&", "on"])


@dataclass(frozen=True, slots=True)
class Split:
    """A title/author split of line 2 with how sure the parser is of it."""

    title: str
    authors: tuple[str, ...]
    uncertain: str | None = None  # why, when the split is a guess


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One paper as read from a listing, with the line of its header."""

    line: int
    title: str
    authors: tuple[str, ...]
    et_al: bool
    affiliations: tuple[str, ...]
    date: dt.date
    category: str
    has_code: bool
    score: float | int | None
    abstract: str
    uncertain: str | None = None


# --- names ------------------------------------------------------------------


def _is_upper(ch: str) -> bool:
    if len(ch) != 1:
        return False
    return ch.isupper() or unicodedata.category(ch) == "Lt"


def _is_lower_run(s: str) -> bool:
    return bool(s) and all(c.islower() or unicodedata.category(c) == "Mn" for c in s)


def _is_cap_word(seg: str) -> bool:
    """Return whether ``seg`` is a capitalised name part: ``Grauman``, ``LeCun``, ``McGregor``."""
    if not seg or not _is_upper(seg[0]):
        return False
    rest = seg[1:]
    if _is_lower_run(rest) or rest == "":
        return len(seg) > 1
    for prefix in _CAMEL_PREFIXES:
        if seg.startswith(prefix) and len(seg) > len(prefix) + 1:
            tail = seg[len(prefix) :]
            if _is_upper(tail[0]) and _is_lower_run(tail[1:]):
                return True
    return False


def _is_name_word(tok: str) -> bool:
    """Return whether ``tok`` is one word of a person's name (hyphens and apostrophes allowed)."""
    parts = re.split(r"([-'’])", tok)
    apostrophe_prefix = len(parts) > 2 and parts[1] in "'’" and _is_upper(parts[0])  # O'Brien
    lower_prefix = len(parts) > 2 and parts[0].lower() in {"d", "l", "al", "el"}  # d'Alembert, al-Farabi
    if not (apostrophe_prefix or lower_prefix or _is_cap_word(parts[0])):
        return False
    for sep, seg in zip(parts[1::2], parts[2::2], strict=True):
        if _is_cap_word(seg) or (_is_lower_run(seg) and (sep != "-" or len(seg) > 1)):
            continue
        if sep in "'’" and _is_upper(seg[:1]) and seg[1:] == "":
            continue
        return False
    return True


def _is_initials(tok: str) -> bool:
    """Return whether ``tok`` is initials: ``E.``, ``J.R.R.``, ``J.-P.``, or a bare ``E``."""
    if len(tok) == 1:
        return _is_upper(tok)
    return re.fullmatch(r"(?:\w\.-?)+", tok) is not None and all(_is_upper(c) for c in tok if c.isalpha())


def _token_kind(tok: str, first: bool) -> str | None:
    if _is_initials(tok) and not (first and len(tok) == 1):
        return "initial"
    if _is_name_word(tok):
        return "word"
    if not first and tok in PARTICLES:
        return "particle"
    if not first and tok in SUFFIXES:
        return "suffix"
    return None


def person_name_kind(name: str) -> str | None:
    """Classify a string as ``person`` (two or more name tokens), ``mononym``, or None."""
    tokens = name.split(" ")
    if not tokens or not all(tokens) or len(tokens) > 6:
        return None
    kinds = [_token_kind(t, i == 0) for i, t in enumerate(tokens)]
    if None in kinds:
        return None
    if len(tokens) == 1:
        return "mononym" if kinds[0] == "word" else None
    if kinds[-1] == "suffix":
        if len(tokens) < 3 or kinds[-2] != "word":
            return None
    elif kinds[-1] != "word":
        return None
    return "person"


def _is_org(name: str) -> str | None:
    """Classify a string as an organisation name: ``known`` (has an org word), ``plain`` or None."""
    tokens = name.split(" ")
    if not tokens or not all(tokens) or len(tokens) > 7:
        return None
    if any(c in name for c in ':?!()[]"') or not _is_upper(tokens[0][0]):
        return None
    for tok in tokens:
        if tok in _ORG_GLUE:
            continue
        if not (_is_upper(tok[0]) or tok[0].isdigit()) or not re.fullmatch(r"[\w&.'-]+", tok):
            return None
    pieces = {piece for tok in tokens for piece in re.split(r"[-/]", tok)}
    return "known" if pieces & ORG_WORDS else "plain"


def _author_penalty(name: str, first: bool) -> float:
    """Score how unlike an author ``name`` is: 0 for a clear person, larger when less likely."""
    kind = person_name_kind(name)
    if kind == "person":
        return 0.0
    tokens = name.split(" ")
    if not first and all(_is_upper(tok[:1]) and _CAMEL_NAME.fullmatch(tok) for tok in tokens):
        return 1.0  # KyungHyun Cho, JunYoung Gwak: capitals inside a name, after the first author
    org = _is_org(name)
    if org is not None:
        penalty = 1.0 if org == "known" else 4.0
        penalty += max(0, len(tokens) - 3)  # organisations that sign papers have short names
        if len(tokens[0]) == 1:
            penalty += 2.0  # "O Scientific Collaboration": the tail of "LIGO", not a name
        if kind == "mononym":
            penalty = min(penalty, 3.0)
        return penalty
    if kind == "mononym":
        return 3.0
    return 100.0 if first else 20.0


_GLUED_IN_NAME = re.compile(r"[a-z]{3}(?=[A-Z][a-z])")
_CAMEL_NAME = re.compile(r"[^\W\d_][^\W\d_'-]*(?:[-'][^\W\d_]+)*\.?")
# A title word that runs a long lowercase stretch into a capitalised word looks like a
# title glued to a name ("ModelingJunyoung"), not like CamelCase ("TensorFlow").
_GLUED_IN_TITLE = re.compile(r"[a-z]{6,}[A-Z][a-z]")
_CAMEL_TITLE_END = re.compile(r"([a-z]+)[A-Z][a-z]*$")


def _boundary_penalty(title: str, first: str, part: str, i: int) -> float:
    """Score how unlikely it is that the title ends at ``part[i]`` (0 when it ends naturally)."""
    penalty = 0.0
    prev, nxt = part[i - 1], part[i + 1 : i + 2]
    if len(title) > 1 and title[-1] in "'’" and _is_upper(title[-2]):
        penalty += 2.0  # the O' of O'Neil, not a closing quote
    elif _is_upper(prev) and _is_upper(nxt):
        penalty += 2.5  # inside a run of capitals: "ATLAS" cut as "A" + "TLAS ..."
    elif _is_upper(prev):
        penalty += 0.5  # an acronym ending a title is plausible, but weaker evidence
    camel_end = _CAMEL_TITLE_END.search(title)
    if camel_end:
        # "ModelBig" + "Science Workshop" rather than "Model" + "BigScience Workshop"; a short
        # stretch before the capital ("DeepSpeed") is ordinary CamelCase, a long one is glue
        penalty += 2.5 if len(camel_end.group(1)) >= 4 else 1.0
    # "ReportDeepSeek-AI": a title word glued to the start of the name
    penalty += len(_GLUED_IN_NAME.findall(first))
    if re.match(r"[^\W\d_]-", first):
        penalty += 2.0  # "176B-Parameter ...": the rest of a word, not a name
    if _GLUED_IN_TITLE.search(title):
        penalty += 1.5
    return penalty


# --- line 2 ------------------------------------------------------------------


def _boundaries(part: str) -> Iterator[int]:
    """Yield the indexes in ``part`` where a glued first author could start."""
    for i in range(1, len(part)):
        ch, prev = part[i], part[i - 1]
        if prev.isspace() or prev == "-":
            continue
        starts_name = _is_upper(ch) or (ch.isalpha() and not ch.islower() and not ch.isupper())
        if starts_name:
            yield i


def _merge_suffix_parts(parts: list[str]) -> list[str]:
    """Rejoin ``King, Jr.`` that splitting on commas tore apart."""
    merged: list[str] = []
    for part in parts:
        if merged and part in SUFFIXES:
            merged[-1] = f"{merged[-1]}, {part}"
        else:
            merged.append(part)
    return merged


def split_title_authors(text: str, max_authors: int = 3) -> Split:
    """Split ``<title><author>, <author>...`` (no separator before the first author)."""
    parts = _merge_suffix_parts(text.split(", "))
    scored: list[tuple[float, int, int, Split]] = []
    for j, part in enumerate(parts):
        others = parts[j + 1 :]
        rest_penalty = sum(_author_penalty(a.replace(", ", " "), False) for a in others)
        count = 1 + len(others)
        rest_penalty += 10.0 * max(0, count - max_authors)
        for i in _boundaries(part):
            title = ", ".join([*parts[:j], part[:i]]).strip()
            first = part[i:].strip()
            if not title or not first:
                continue
            author_penalty = rest_penalty + _author_penalty(first.replace(", ", " "), True)
            penalty = author_penalty + _boundary_penalty(title, first, part, i)
            scored.append((penalty, j, i, Split(title, (first, *others), f"{author_penalty}")))
    if not scored:
        # e.g. a first author written in lower case: keep the trailing parts that are names
        k = len(parts)
        while k > 1 and _author_penalty(parts[k - 1], False) < 20 and len(parts) - k < max_authors:
            k -= 1
        if k < len(parts):
            return Split(", ".join(parts[:k]), tuple(parts[k:]), "cannot tell where the title ends")
        return Split(text, (), "no author found after the title")
    scored.sort(key=lambda s: (s[0], s[1], s[2]))
    best_penalty, _, _, best = scored[0]
    author_penalty = float(best.uncertain or 0)
    reason = None
    if author_penalty >= 20:
        reason = "an author name does not look like a name"
    elif author_penalty >= 2:
        reason = f"unusual first author {best.authors[0]!r}"
    else:
        for penalty, _, _, alt in scored[1:]:
            if penalty - best_penalty <= 1.5 and alt.title != best.title:
                reason = f"could also be title {alt.title!r} by {alt.authors[0]!r}"
                break
    return Split(best.title, best.authors, reason)


# --- whole listing -------------------------------------------------------------


def resolve_date(month: int, day: int, year: int | None, as_of: dt.date) -> dt.date:
    """Return the date; without a year, the latest such date not after ``as_of``."""
    if year is not None:
        return dt.date(year, month, day)
    for y in range(as_of.year, as_of.year - 9, -1):
        try:
            candidate = dt.date(y, month, day)
        except ValueError:
            continue  # Feb 29 in a common year
        if candidate <= as_of:
            return candidate
    raise ValueError(f"no year fits {calendar.month_abbr[month]} {day}")


def _number(text: str) -> float | int:
    return float(text) if "." in text else int(text)


def _lines(text: str) -> list[str]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def parse_header(line: str) -> re.Match[str] | None:
    """Match a header line (``70.1CVApr 15Code``), or return None."""
    return HEADER_RE.fullmatch(line.replace("\xa0", " ").strip())


def parse_listing(text: str, path: str, as_of: dt.date) -> tuple[list[ListingEntry], list[Problem]]:
    """Parse a whole listing; return its entries and the problems of the entries it skipped."""
    entries: list[ListingEntry] = []
    problems: list[Problem] = []
    groups: list[tuple[int, re.Match[str], list[tuple[int, str]]]] = []
    for number, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if not line:
            continue
        match = parse_header(line)
        if match is not None:
            groups.append((number, match, []))
        elif groups:
            groups[-1][2].append((number, line))
        else:
            problems.append(Problem(path, number, "expected an entry header like 'CVNov 30, 2023Code'"))
    for number, match, body in groups:
        entry, problem = _entry(number, match, body, path, as_of)
        if entry is not None:
            entries.append(entry)
        if problem is not None:
            problems.append(problem)
    return entries, problems


def _entry(
    number: int,
    match: re.Match[str],
    body: list[tuple[int, str]],
    path: str,
    as_of: dt.date,
) -> tuple[ListingEntry | None, Problem | None]:
    if not body:
        return None, Problem(path, number, "entry has no title/author line after its header")
    month = MONTHS[match["month"][:3]]
    year = int(match["year"]) if match["year"] else None
    try:
        date = resolve_date(month, int(match["day"]), year, as_of)
    except ValueError as exc:
        return None, Problem(path, number, f"impossible date {match['month']} {match['day']}: {exc}")
    title_line = re.sub(r"\s+", " ", body[0][1])
    affiliations: tuple[str, ...] = ()
    pieces = _AFFILIATION_SEP.split(title_line)
    if len(pieces) > 1:
        title_line = " · ".join(pieces[:-1])
        affiliations = tuple(a.strip() for a in pieces[-1].split(",") if a.strip())
    et_al = False
    stripped = _ET_AL.sub("", title_line)
    if stripped != title_line:
        et_al, title_line = True, stripped
    split = split_title_authors(title_line)
    if not split.title.strip():  # ", et al.": nothing before the authors
        return None, Problem(path, body[0][0], f"no title found in {body[0][1]!r}")
    abstract = " ".join(text for _, text in body[1:])
    category = match["category"]
    if "." not in category and f"cs.{category}" in ARXIV_CATEGORIES:
        category = f"cs.{category}"  # two letters are a computer-science class, as profiles show them
    entry = ListingEntry(
        line=number,
        title=split.title,
        authors=split.authors,
        et_al=et_al,
        affiliations=affiliations,
        date=date,
        category=category,
        has_code=match["code"] is not None,
        score=_number(match["score"]) if match["score"] else None,
        abstract=abstract,
        uncertain=split.uncertain,
    )
    problem = None
    if not split.authors:
        problem = Problem(path, body[0][0], f"no author found in {title_line!r}")
    return entry, problem

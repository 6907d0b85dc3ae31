"""Who is who: the lab's people, their name variants, and the identity of every author name.

``content/people.yaml`` lists people (name, role, photo, links, variants, alumni);
``site.yaml``'s ``members`` adds names to highlight. An author name written as any
variant of a person (accents and case ignored) is that person: one author page, one
facet entry, highlighted if the person is in the lab.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .model import _as_linemap, _Checker, _kind, check_url
from .slugs import fold
from .yamlio import LineMap

PERSON_KEYS = ("name", "variants", "role", "photo", "links", "alumni", "bio", "email")


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Return the comparison key of a name: case, accents, dots and spacing ignored."""
    return fold(name.replace(".", " "))


@dataclass(frozen=True, slots=True)
class Person:
    """A person of the lab, from ``content/people.yaml``."""

    name: str
    variants: tuple[str, ...] = ()
    role: str = ""
    photo: str = ""
    links: tuple[tuple[str, str], ...] = ()
    alumni: bool = False
    bio: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Directory:
    """Resolves author names to canonical names and tells who is a lab member."""

    canonical: dict[str, str] = field(default_factory=dict)  # name_key → canonical name
    members: frozenset[str] = frozenset()  # name_keys of canonical names of lab members
    # answers so far, by name as written: a build asks about each author of each paper
    # several times (views, author pages, the filter index)
    _resolved: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _member: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def resolve(self, name: str) -> str:
        """Return the canonical form of an author name."""
        canonical = self._resolved.get(name)
        if canonical is None:
            canonical = self._resolved[name] = self.canonical.get(name_key(name), name)
        return canonical

    def is_member(self, name: str) -> bool:
        """Return whether the name (any variant) is a lab member's."""
        member = self._member.get(name)
        if member is None:
            member = self._member[name] = name_key(self.resolve(name)) in self.members
        return member


def make_directory(people: Iterable[Person], members: Iterable[str]) -> Directory:
    """Build the name directory from people and ``site.yaml`` members."""
    canonical: dict[str, str] = {}
    member_keys: set[str] = set()
    for person in people:
        for variant in (person.name, *person.variants):
            canonical.setdefault(name_key(variant), person.name)
        member_keys.add(name_key(person.name))
    for name in members:
        resolved = canonical.get(name_key(name), name)
        member_keys.add(name_key(resolved))
    return Directory(canonical, frozenset(member_keys))


def people_from_data(data: Any, path: str) -> tuple[list[Person], list[Problem]]:
    """Validate ``people.yaml`` (a list of people, or a mapping with a ``people`` list)."""
    if data is None:
        return [], []
    if isinstance(data, dict) and "people" in data:
        data = data["people"]
    if not isinstance(data, list):
        return [], [Problem(path, 1, f"people.yaml must be a list of people, got {_kind(data)}")]
    people: list[Person] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for item in data:
        line = getattr(item, "line", 1)
        if not isinstance(item, dict):
            problems.append(
                Problem(path, line, f"each person must be a mapping with a 'name', got {_kind(item)}")
            )
            continue
        if not isinstance(item, LineMap):
            item = _as_linemap(item)
        check = _Checker(item, path)
        check.unknown_keys(PERSON_KEYS)
        name = check.text("name", required=True)
        links: list[tuple[str, str]] = []
        raw_links = item.get("links")
        if raw_links is not None:
            if not isinstance(raw_links, dict):
                check.add("links", f"'links' must be a mapping of label to URL, got {_kind(raw_links)}")
            else:
                for label, url in raw_links.items():
                    why = check_url(str(url)) if isinstance(url, str) else "is not a URL"
                    if why:
                        check.add("links", f"link {label!r} {why}")
                    else:
                        links.append((str(label), str(url)))
        photo = check.text("photo") or ""
        if photo and check_url(photo):
            check.add("photo", f"'photo' {check_url(photo)}")
            photo = ""
        person = Person(
            name=name or "",
            variants=check.strings("variants"),
            role=check.text("role") or "",
            photo=photo,
            links=tuple(links),
            alumni=check.flag("alumni"),
            bio=check.text("bio") or "",
            email=check.text("email") or "",
        )
        problems.extend(check.problems)
        if not name:
            continue
        if name_key(name) in seen:
            problems.append(
                Problem(path, line, f"{name!r} is listed twice (also line {seen[name_key(name)]})")
            )
            continue
        seen[name_key(name)] = line
        people.append(person)
    return people, problems

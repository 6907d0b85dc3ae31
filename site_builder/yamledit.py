"""Change one top-level key of a YAML file's text and keep everything else byte for byte.

People edit the paper files: comments, key order, quoting and spacing are theirs. An
update (``import --update title``) replaces only the lines of that key's value, or
inserts a missing key after the key that precedes it in the schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .yamlio import dump_yaml

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s|$)")


def _top_level_keys(lines: Sequence[str]) -> dict[str, int]:
    """Return each top-level key's 0-based line index."""
    keys: dict[str, int] = {}
    for i, line in enumerate(lines):
        m = _TOP_KEY.match(line)
        if m:
            keys.setdefault(m.group(1), i)
    return keys


def _block_end(lines: Sequence[str], start: int) -> int:
    """Return the index after the last line of the value that starts at ``start``."""
    end = start + 1
    while end < len(lines) and (
        lines[end][:1] in (" ", "\t") or lines[end].strip() == "" or re.match(r"-(\s|$)", lines[end])
    ):
        end += 1
    while end > start + 1 and lines[end - 1].strip() == "":
        end -= 1  # blank lines before the next key stay where they are
    return end


def _inline_comment(line: str) -> str:
    m = re.search(r"\s+#\s.*$", line)
    return m.group(0) if m and line.count("'") % 2 == 0 and line.count('"') % 2 == 0 else ""


def set_key(text: str, key: str, value: Any, order: Sequence[str]) -> str:
    """Return ``text`` with top-level ``key`` set to ``value``; every other line unchanged."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    new = dump_yaml({key: value}).splitlines(keepends=True)
    keys = _top_level_keys(lines)
    if key in keys:
        start = keys[key]
        end = _block_end(lines, start)
        comment = _inline_comment(lines[start].rstrip("\n"))
        if comment and len(new) == 1:
            new = [new[0].rstrip("\n") + comment + "\n"]
        return "".join(lines[:start] + new + lines[end:])
    position = 0
    before = order[: order.index(key)] if key in order else list(order)
    present = [k for k in before if k in keys]
    if present:
        position = _block_end(lines, keys[present[-1]])
    else:
        while position < len(lines) and lines[position].lstrip().startswith("#"):
            position += 1  # keep a leading comment block at the top
    return "".join(lines[:position] + new + lines[position:])

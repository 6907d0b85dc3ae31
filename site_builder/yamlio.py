"""Line-aware YAML loading that refuses duplicate keys, and a stable, human-friendly dump."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .errors import Problem, ProblemsError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


_STR = "tag:yaml.org,2002:str"


class LineMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line (1-based) of itself and of each key."""

    line: int
    lines: dict[Any, int]


def _without_timestamps(resolvers: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        first: [(tag, rx) for tag, rx in items if tag != "tag:yaml.org,2002:timestamp"]
        for first, items in resolvers.items()
    }


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader: dates stay strings (validated later), duplicate keys are errors."""

    yaml_implicit_resolvers = _without_timestamps(yaml.SafeLoader.yaml_implicit_resolvers)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {node.id}", node.start_mark
            )
        self.flatten_mapping(node)
        result = LineMap()
        result.line = node.start_mark.line + 1
        result.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {result.lines[key]})",
                    key_node.start_mark,
                )
            result[key] = self.construct_object(value_node, deep=deep)
            result.lines[key] = key_node.start_mark.line + 1
        return result

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Construct a node; a value its tag cannot read (``!!int x``) is a located error."""
        if node.tag == _STR and type(node) is yaml.ScalarNode:  # most values: the text as written
            return node.value
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError):
            what = f" {node.value[:40]!r}" if isinstance(node, yaml.ScalarNode) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid {node.tag.rsplit(':', 1)[-1]} value{what}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value: int = super().construct_yaml_int(node)
        str(value)  # a ValueError past Python's limit on digits (0xfff…), not later in every user
        return value


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML text; raise ProblemsError located at ``path:line`` on any mistake."""
    if "\x00" in text:
        nul_line = text.count("\n", 0, text.index("\x00")) + 1
        raise ProblemsError([Problem(path, nul_line, "the file contains a NUL byte")])
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = f" (column {mark.column + 1})" if mark is not None else ""
        what = exc.problem or exc.context or "invalid YAML"
        if isinstance(exc, yaml.constructor.ConstructorError):
            raise ProblemsError([Problem(path, line, what)]) from None
        raise ProblemsError([Problem(path, line, f"invalid YAML{col}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ProblemsError([Problem(path, None, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ProblemsError([Problem(path, None, "invalid YAML: nested too deeply")]) from None


class _Dumper(yaml.SafeDumper):
    """Block style, indented lists, folded long text, dates unquoted."""

    yaml_implicit_resolvers = _without_timestamps(yaml.SafeDumper.yaml_implicit_resolvers)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _ProseDumper(_Dumper):
    """Like _Dumper, but long text is folded into lines of readable length."""


# Line breaks other than \n: written raw they read back as \n or a space, so only escapes keep them.
_ODD_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _ODD_BREAKS.intersection(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value.strip("\n") else None
    )


def _represent_prose(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _ODD_BREAKS.intersection(value):
        style = '"'
    elif value != value.strip():
        style = None  # let the emitter quote it: block styles cannot keep edge whitespace exactly
    elif "\n" in value:
        style = "|"
    elif len(value) > 72:
        style = ">"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_ProseDumper.add_representer(str, _represent_prose)

PROSE_KEYS = frozenset({"abstract", "note", "notes", "bio", "text"})


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Serialise a mapping in the given key order, readable by people and diff tools.

    Long prose (``abstract``) is folded at 80 columns; titles and names stay on one line.
    """
    chunks = []
    for key, value in data.items():
        prose = key in PROSE_KEYS
        chunks.append(
            yaml.dump(
                {key: value},
                Dumper=_ProseDumper if prose else _Dumper,
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=False,
                width=80 if prose else 1_000_000,
            )
        )
    return "".join(chunks)

"""Read curation YAML with line numbers and without YAML's silent type guesses.

Every scalar stays the string the curator wrote (``NO`` stays ``"NO"``, ``012`` stays ``"012"``);
duplicate keys, explicit tags (``!!python/...``), anchors and aliases are reported as problems.

>>> doc, problems = parse_yaml("- id: a\\n  ok: NO\\n  n: 012\\n", "x.yaml")
>>> doc[0]["ok"], doc[0]["n"], doc[0]["n"].line, problems
('NO', '012', 3, [])
>>> _, problems = parse_yaml("a: 1\\na: 2\\n", "x.yaml")
>>> print(problems[0])
x.yaml:2:1: duplicate key 'a' (first at line 1) — keep one of them
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from kg.errors import Problem

MAX_FILE_BYTES = 5_000_000
_DEFAULT_TAGS = {
    yaml.ScalarNode: yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
}
_FastLoader: Any = None
try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser reads everything
    pass
else:

    class _LibyamlLoader(
        CParser,
        yaml.constructor.BaseConstructor,  # type: ignore[misc]
        yaml.resolver.BaseResolver,
    ):
        """libyaml's loader: the same nodes and marks as PyYAML's, ~15x faster.

        Its resolver answers directly what BaseResolver answers (every untagged node gets the
        default tag of its kind; there are no implicit or path resolvers) without three Python
        calls per node.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.BaseConstructor.__init__(self)
            yaml.resolver.BaseResolver.__init__(self)

        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            return _DEFAULT_TAGS[kind]

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    _FastLoader = _LibyamlLoader

#: What PyYAML's reader refuses (Reader.NON_PRINTABLE) takes the pure-Python path, for its message.
#: Unusual line breaks and byte-order marks also take it, so line and column numbers agree.
_SLOW_PATH = re.compile(f"{yaml.reader.Reader.NON_PRINTABLE.pattern}|[\x85\u2028\u2029\ufeff]")
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


class YStr(str):
    """A YAML scalar that remembers its 1-based line and column."""

    line: int
    col: int

    def __new__(cls, value: str, line: int = 0, col: int = 0) -> YStr:
        obj = super().__new__(cls, value)
        obj.line, obj.col = line, col
        return obj


class YMap(dict[str, Any]):
    """A YAML mapping that remembers where it starts."""

    line: int = 0
    col: int = 0


class YList(list[Any]):
    """A YAML sequence that remembers where it starts."""

    line: int = 0
    col: int = 0


#: What to do about a folder where kg reads files (``data/claims/x.yaml/``).
FOLDER_HINT = "rename it or move what it holds: kg reads only files here"


def read_text(
    path: Path, shown: str, limit: int = MAX_FILE_BYTES
) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 file, refusing oversize or undecodable input with a located problem."""
    try:
        status = path.stat()
    except OSError as err:
        return None, [Problem(shown, 0, 0, f"cannot read file ({err.strerror})", "check the path")]
    if stat.S_ISDIR(status.st_mode):
        return None, [Problem(shown, 0, 0, "is a folder, not a file", FOLDER_HINT)]
    size = status.st_size
    if size > limit:
        return None, [
            Problem(
                shown,
                0,
                0,
                f"file is {size:,} bytes, over the {limit:,}-byte limit",
                "split it into smaller files",
            )
        ]
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, [Problem(shown, 0, 0, f"cannot read file ({err.strerror})", "check the path")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return None, [
            Problem(
                shown,
                line,
                col,
                f"not UTF-8: byte 0x{data[err.start]:02x} at byte offset {err.start}",
                "re-save the file as UTF-8",
            )
        ]


def parse_yaml(text: str, shown: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text into YStr/YMap/YList, returning the document and every problem found.

    libyaml (PyYAML's C parser, when installed) composes the nodes, with the same marks; any
    error, and any text libyaml and PyYAML might read differently, goes through the pure-Python
    parser so that messages stay exactly PyYAML's.
    """
    if _FastLoader is None or _SLOW_PATH.search(text):
        return _parse_slow(text, shown)
    try:
        node = yaml.compose(text, Loader=_FastLoader)
        # anchors and aliases start with '&' and '*': without either there is nothing to find
        anchored = ("&" in text or "*" in text) and any(
            _is_anchor(event) for event in yaml.parse(text, Loader=_FastLoader)
        )
    except yaml.YAMLError:
        return _parse_slow(text, shown)
    if anchored:
        return _parse_slow(text, shown)
    if node is None:
        return None, []
    problems: list[Problem] = []
    doc = _convert(node, shown, problems)
    return (None, problems) if problems else (doc, problems)


def _is_anchor(event: yaml.Event) -> bool:
    return getattr(event, "anchor", None) is not None or isinstance(event, yaml.AliasEvent)


def _parse_slow(text: str, shown: str) -> tuple[Any, list[Problem]]:
    """PyYAML's pure-Python parser: the reference for every message and position."""
    problems: list[Problem] = []
    try:
        for event in yaml.parse(text, Loader=yaml.BaseLoader):
            if _is_anchor(event):
                mark = event.start_mark
                problems.append(
                    Problem(
                        shown,
                        mark.line + 1,
                        mark.column + 1,
                        "anchors and aliases are not allowed",
                        "write the value out in full",
                    )
                )
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, [
            Problem(
                shown,
                line,
                col,
                f"malformed YAML: {err.problem or err.context}",
                "fix the YAML syntax at this position",
            )
        ]
    except yaml.YAMLError as err:
        return None, [Problem(shown, 0, 0, f"malformed YAML: {err}", "fix the YAML syntax")]
    if problems or node is None:
        return None, problems
    doc = _convert(node, shown, problems)
    return (None, problems) if problems else (doc, problems)


def _convert(node: yaml.Node, shown: str, problems: list[Problem]) -> Any:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if node.tag not in _PLAIN_TAGS:
        problems.append(
            Problem(
                shown,
                line,
                col,
                f"explicit YAML tag {node.tag!r} is not allowed",
                "remove the tag; kg reads plain strings, lists and mappings",
            )
        )
        return YStr("", line, col)
    if isinstance(node, yaml.ScalarNode):
        return YStr(node.value, line, col)
    if isinstance(node, yaml.SequenceNode):
        seq = YList(_convert(item, shown, problems) for item in node.value)
        seq.line, seq.col = line, col
        return seq
    mapping = YMap()
    mapping.line, mapping.col = line, col
    for key_node, value_node in node.value:
        key = _convert(key_node, shown, problems)
        if not isinstance(key, YStr):
            problems.append(Problem(shown, line, col, "mapping keys must be plain text", ""))
            continue
        if key in mapping:
            first = next(k for k in mapping if k == key)
            problems.append(
                Problem(
                    shown,
                    key.line,
                    key.col,
                    f"duplicate key {str(key)!r} (first at line {first.line})",
                    "keep one of them",
                )
            )
            continue
        mapping[key] = _convert(value_node, shown, problems)
    return mapping

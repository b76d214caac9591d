"""YAML for the facility file: a loader that remembers line numbers, and a stable dumper.

Every mapping is loaded as a ``LineDict``: a dict whose ``line`` is the (1-based) line of
the mapping and whose ``key_lines`` holds the line of each key, so an error can point at
the offending record or field. The events come from libyaml (PyYAML's C parser, about
twice as fast on a large file as its Python one); the nodes are composed here. Aliases are refused (no "billion laughs"), so is nesting
deeper than ``MAX_DEPTH`` (before PyYAML's recursive composer could hit Python's recursion
limit) and any NUL or unpaired surrogate in a key or a value (the same check as a JSON
body's, backend/schemas.py); duplicate keys are reported instead of silently keeping the
last one.
"""
from __future__ import annotations

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import BaseResolver, Resolver

try:
    from yaml.cyaml import CParser as _Parser
except ImportError:                       # PyYAML built without libyaml: the Python one
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

from backend.errors import ValidationFailed
from backend.schemas import MAX_DEPTH, find_bad_input

IMPORT_INVALID = "import_invalid"


class LineDict(dict):
    """A mapping from the file, with the line of the mapping and of each of its keys."""

    line: int = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(Composer, _Parser, SafeConstructor, Resolver):
    """The parser's events, composed by PyYAML's Python composer (so that ``compose_node``
    below sees every node), constructed as ``yaml.safe_load`` does."""

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.duplicates: list[dict] = []
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a facility file", event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: _Loader, node, deep=False):
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise ConstructorError("while constructing a mapping", node.start_mark,
                                   "found an unhashable key", key_node.start_mark) from exc
        line = key_node.start_mark.line + 1
        if key in out:
            loader.duplicates.append({"line": line, "key": key, "first": out.key_lines[key]})
        out[key] = loader.construct_object(value_node, deep=deep)
        out.key_lines[key] = line
    return out


class LineList(list):
    """A sequence from the file, with the line of each item."""

    item_lines: list[int] = []


def _construct_sequence(loader: _Loader, node, deep=False):
    out = LineList(loader.construct_object(child, deep=deep) for child in node.value)
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def invalid(errors: list[dict], message: str | None = None) -> ValidationFailed:
    errors = sorted(errors, key=lambda e: (e.get("line") or 0, e.get("path", "")))
    if message is None:
        first = errors[0]
        message = (f"the file has {len(errors)} error(s); first on line {first['line']}: "
                   f"{first.get('path') or 'file'}: {first['message']}")
    return ValidationFailed(message, errors=errors, error=IMPORT_INVALID)


def parse(text: str):
    """Parse one YAML document into LineDicts; syntax errors become a 422 with the line."""
    if text is None or not text.strip():
        raise invalid([{"line": 1, "path": "", "message": "the file is empty"}],
                      "the file is empty: send a facility description (YAML)")
    loader = None
    try:
        loader = _Loader(text)         # its reader refuses raw control characters
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise invalid([{"line": line, "path": "", "message": f"YAML syntax error: {problem}"}],
                      f"YAML syntax error on line {line}: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = _line_at(text, exc.position)
        problem = f"character #x{exc.character:04x} is not allowed (control characters)" \
            if isinstance(exc.character, int) else str(exc.reason)
        raise invalid([{"line": line, "path": "", "message": problem}],
                      f"line {line}: {problem}") from None
    except UnicodeEncodeError as exc:       # a lone surrogate: libyaml reads UTF-8 only
        line = text[:exc.start].count("\n") + 1
        problem = f"character #x{ord(text[exc.start]):04x} is not allowed (control characters)"
        raise invalid([{"line": line, "path": "", "message": problem}],
                      f"line {line}: {problem}") from None
    except yaml.YAMLError as exc:
        raise invalid([{"line": 1, "path": "", "message": f"not readable as YAML: {exc}"}],
                      f"not readable as YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    bad = find_bad_input(doc)
    if bad:
        line = _line_of(doc, bad[0])
        raise invalid([{"line": line, "path": bad[0], "message": bad[1]}],
                      f"line {line}: {bad[0]}: {bad[1]}")
    dup_errors = [{"line": d["line"], "path": "", "field": str(d["key"]),
                   "message": f"duplicate key {d['key']!r} (first on line {d['first']})"}
                  for d in loader.duplicates]
    if not isinstance(doc, dict):
        kind = "nothing" if doc is None else type(doc).__name__
        raise invalid([{"line": 1, "path": "", "message":
                        f"the document must be a mapping with a 'site:' block, got {kind}"}],
                      f"the document must be a mapping with a 'site:' block, got {kind}")
    return doc, dup_errors


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position: a byte offset of the UTF-8 text for libyaml,
    a character offset for PyYAML's Python reader."""
    if _Parser.__module__ == "yaml._yaml":
        return text.encode("utf-8", "surrogatepass")[:position].count(b"\n") + 1
    return text[:position].count("\n") + 1


def _line_of(doc, path: str) -> int:
    """The line of the value at a dotted path of ``find_bad_input`` (``areas.0.name``)."""
    line, node = 1, doc
    for part in path.split(".") if path != "_schema" else ():
        if isinstance(node, LineDict):
            key = next((k for k in node if str(k) == part), None)
            line, node = node.line_of(key), node.get(key)
        elif isinstance(node, LineList) and part.isdigit() and int(part) < len(node):
            line, node = node.item_lines[int(part)], node[int(part)]
        else:
            break
    return line


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)     # indent "- " items under their key


def dump(doc: dict, header: str = "") -> str:
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100000, indent=2)
    return header + body

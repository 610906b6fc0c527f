"""Configured JSON request templates: ``{name}`` placeholders, compiled once, filled per message.

A string that is exactly one placeholder (``"{segments}"``, ``"{messages}"``) is replaced by the
value itself, so numbers stay numbers and a batch's message list stays a list; placeholders
inside longer strings are replaced by the value's text (``None`` is empty). Dotted paths
(``data.items.0.id``) read a provider's JSON answers and callbacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")

Values = Mapping[str, Any]
Render = Callable[[Values], Any]


def placeholders(template: object) -> set[str]:
    """Return the placeholder names a template uses."""
    if isinstance(template, str):
        return set(PLACEHOLDER.findall(template))
    if isinstance(template, Mapping):
        return set().union(*(placeholders(v) for v in template.values()))
    if isinstance(template, list | tuple):
        return set().union(*(placeholders(v) for v in template))
    return set()


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _compile_str(template: str) -> Render:
    whole = PLACEHOLDER.fullmatch(template)
    if whole:
        name = whole.group(1)
        return lambda values: values[name]
    parts = PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    if len(parts) == 1:
        return lambda values: template
    literals, names = parts[0::2], parts[1::2]

    def render(values: Values) -> str:
        out = [literals[0]]
        for name, literal in zip(names, literals[1:], strict=True):
            out.append(_text(values[name]))
            out.append(literal)
        return "".join(out)

    return render


def compile_template(template: object) -> Render:
    """Compile a JSON template into a function of the placeholder values."""
    if isinstance(template, str):
        return _compile_str(template)
    if isinstance(template, Mapping):
        fields = [(str(k), compile_template(v)) for k, v in template.items()]
        return lambda values: {k: render(values) for k, render in fields}
    if isinstance(template, list | tuple):
        items = [compile_template(v) for v in template]
        return lambda values: [render(values) for render in items]
    return lambda values: template


_MISSING: Final = object()


def lookup(document: object, path: str) -> object:
    """Return the value at a dotted path (list indexes are numbers), or None if absent."""
    current = document
    for key in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(key, _MISSING)
        elif isinstance(current, list) and key.lstrip("-").isdigit():
            index = int(key)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            return None
        if current is _MISSING:
            return None
    return current


def lookup_text(document: object, path: str | None) -> str | None:
    """Return the value at a dotted path as text; None if the path is unset or absent."""
    if path is None:
        return None
    value = lookup(document, path)
    if value is None or isinstance(value, Mapping | list):
        return None
    return str(value)

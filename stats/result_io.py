"""RESULT.json written fast, byte for byte as json.dump(result, ensure_ascii=False, indent=1) writes it.

With an indent, the json module encodes in Python, value by value; at ten million responses the list of
excluded responses alone has some hundred thousand entries. Here the long lists of plain strings (and of
flat dicts of strings) are laid out with the C string escaper, and the rest is left to the json module.
"""
from __future__ import annotations

import json
import os
import uuid
from json.encoder import encode_basestring  # the C escaper, ensure_ascii=False flavour

INDENT = 1


def result_text(result: dict) -> str:
    """The text json.dumps(result, ensure_ascii=False, indent=1) gives."""
    nonce = uuid.uuid4().hex
    placeholders, light = {}, {}
    for key, value in result.items():
        text = _fast_list(value) if isinstance(key, str) else None
        if text is None:
            light[key] = value
        else:
            marker = f"@{nonce}:{len(placeholders)}@"
            placeholders[json.dumps(marker)] = text
            light[key] = marker
    text = json.dumps(light, ensure_ascii=False, indent=INDENT)
    for marker, rendered in placeholders.items():
        text = text.replace(marker, rendered, 1)
    return text


def write_result(path: str, result: dict) -> None:
    """Write beside the target, then rename: a failed run never leaves half a RESULT.json."""
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as fh:
        fh.write(result_text(result))
    os.replace(partial, path)


def _fast_list(value) -> str | None:
    """A top-level list of strings or of flat str → str dicts, laid out as json does; None otherwise."""
    if not isinstance(value, list) or len(value) < 2:
        return None
    inner, item = " " * (2 * INDENT), " " * (3 * INDENT)
    if all(type(v) is str for v in value):
        body = f",\n{inner}".join(map(encode_basestring, value))
        return f"[\n{inner}{body}\n{' ' * INDENT}]"
    if all(type(v) is dict and v and all(type(k) is str and type(x) is str for k, x in v.items()) for v in value):
        entries = (f",\n{item}".join(f"{encode_basestring(k)}: {encode_basestring(x)}" for k, x in v.items())
                   for v in value)
        body = f"\n{inner}}},\n{inner}{{\n{item}".join(entries)
        return f"[\n{inner}{{\n{item}{body}\n{inner}}}\n{' ' * INDENT}]"
    return None

"""Load a scheme (考核方案) file: the region's rules as plain data.

A scheme is named (a file in app/schemes/) or given as a path. This module
imports no Flask, so pure code and the command line can use it too.

The file is read on every call and parsed once per distinct content, so an edited file takes effect at
once (a cache keyed by modification time would miss an edit within the same clock tick). Every caller
gets its own copy of the rules: changing it cannot change what the next caller sees.
"""
import copy
import functools
import hashlib
import os
import tomllib
from dataclasses import dataclass

from app.kernel.refusals import Refusal

SCHEMES_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemes")
SECTIONS = ("categories", "survey", "screening", "intake", "limits", "adjustments", "cases")


class SchemeError(Refusal):
    """The configured scheme file is missing or broken: the server's fault, not the request's."""

    status = 500


def scheme_path(name_or_path):
    if os.sep in name_or_path or name_or_path.endswith(".toml"):
        return name_or_path
    return os.path.join(SCHEMES_DIR, f"{name_or_path}.toml")


@dataclass(frozen=True)
class SchemeFile:
    """A scheme file as read once: its bytes, and the hash and rules of exactly those bytes."""

    path: str
    data: bytes

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()

    @property
    def text(self):
        return self.data.decode("utf-8")

    @property
    def scheme(self):
        """The parsed rules, a fresh copy on every access."""
        return copy.deepcopy(_parse(self.data, self.path))


def read_scheme_file(name_or_path="default"):
    path = scheme_path(name_or_path)
    try:
        with open(path, "rb") as fh:
            return SchemeFile(path, fh.read())
    except FileNotFoundError:
        raise SchemeError(f"找不到考核方案：{name_or_path}") from None


@functools.lru_cache(maxsize=16)
def _parse(data, path):
    try:
        scheme = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SchemeError(f"考核方案 {path} 格式错误：{error}") from None
    for section in SECTIONS:
        if section not in scheme:
            raise SchemeError(f"考核方案 {path} 缺少 [{section}] 部分")
    return scheme


def load_scheme(name_or_path="default"):
    """The rules of a scheme file as a dict of the caller's own, for code without an app (pure tests,
    benchmarks); inside the app use current_scheme()."""
    return read_scheme_file(name_or_path).scheme


@dataclass(frozen=True)
class _InForce:
    """The app's scheme as read for one request or command: the file and the rules parsed from it."""

    source: SchemeFile
    rules: dict


def _in_force():
    from flask import current_app, g

    if "scheme" not in g:
        source = read_scheme_file(current_app.config["SCHEME"])
        g.scheme = _InForce(source, source.scheme)
    return g.scheme


def current_scheme(name_or_path=None):
    """The rules in force: the app's scheme (config SCHEME), read once per request or command.

    A score run may name another scheme (`stats score --scheme NAME|FILE`); that one is read from its
    file on every call, so an explicit file is never mistaken for the app's.
    """
    if name_or_path is not None:
        return load_scheme(name_or_path)
    return _in_force().rules


def current_scheme_file(name_or_path=None):
    """The file behind current_scheme(name_or_path): its bytes, hash and text, for a score run to keep."""
    if name_or_path is not None:
        return read_scheme_file(name_or_path)
    return _in_force().source


def level_labels(scheme=None):
    """{level: label} of the scheme's scale, best level first: exactly what a questionnaire offers
    (5 = 非常满意 … 1 = 非常不满意 on the five-level scale; 5, 3, 1 on the three-level one)."""
    survey = (scheme or current_scheme())["survey"]
    labels = survey["scales"][survey["scale"]]["labels"]
    return {int(level): labels[level] for level in sorted(labels, key=int, reverse=True)}


def bad_level_text(scheme=None):
    """The scale's 差评 levels (the scheme's bad_levels) as text: “不满意”或“非常不满意”."""
    scheme = scheme or current_scheme()
    labels = level_labels(scheme)
    return "或".join(f"“{labels[level]}”" for level in labels if level in scheme["survey"]["bad_levels"])


def category_names(scheme):
    return {category["code"]: category["name"] for category in scheme["categories"]}

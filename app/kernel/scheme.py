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

SCHEMES_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemes")
SECTIONS = ("categories", "survey", "screening", "intake", "adjustments", "cases")


class SchemeError(ValueError):
    pass


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
        raise SchemeError(f"找不到考核方案:{name_or_path}") from None


@functools.lru_cache(maxsize=16)
def _parse(data, path):
    try:
        scheme = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SchemeError(f"考核方案 {path} 格式错误:{error}") from None
    for section in SECTIONS:
        if section not in scheme:
            raise SchemeError(f"考核方案 {path} 缺少 [{section}] 部分")
    return scheme


def load_scheme(name_or_path="default"):
    """The scheme's rules as a dict of the caller's own."""
    return read_scheme_file(name_or_path).scheme


def current_scheme():
    """The scheme configured for the running app (config SCHEME), read once per request."""
    from flask import current_app, g

    if "scheme" not in g:
        g.scheme = load_scheme(current_app.config["SCHEME"])
    return g.scheme


def category_names(scheme):
    return {category["code"]: category["name"] for category in scheme["categories"]}

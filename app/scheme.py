"""Load a scheme (考核方案) file: the region's rules as plain data.

A scheme is named (a file in app/schemes/) or given as a path. This module
imports no Flask, so pure code and the command line can use it too.
"""
import functools
import os
import tomllib

SCHEMES_DIR = os.path.join(os.path.dirname(__file__), "schemes")


class SchemeError(ValueError):
    pass


def scheme_path(name_or_path):
    if os.sep in name_or_path or name_or_path.endswith(".toml"):
        return name_or_path
    return os.path.join(SCHEMES_DIR, f"{name_or_path}.toml")


@functools.lru_cache(maxsize=16)
def load_scheme(name_or_path="default"):
    path = scheme_path(name_or_path)
    try:
        with open(path, "rb") as fh:
            scheme = tomllib.load(fh)
    except FileNotFoundError:
        raise SchemeError(f"找不到考核方案:{name_or_path}") from None
    except tomllib.TOMLDecodeError as error:
        raise SchemeError(f"考核方案 {path} 格式错误:{error}") from None
    for section in ("categories", "survey", "screening", "intake", "adjustments", "cases"):
        if section not in scheme:
            raise SchemeError(f"考核方案 {path} 缺少 [{section}] 部分")
    return scheme


def current_scheme():
    """The scheme configured for the running app (config SCHEME)."""
    from flask import current_app

    return load_scheme(current_app.config["SCHEME"])


def category_names(scheme):
    return {category["code"]: category["name"] for category in scheme["categories"]}

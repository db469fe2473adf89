"""Pages carry no inline script or style: the Content-Security-Policy (app/kernel/headers.py) would
refuse them, and a page would silently lose its behaviour or look. Scripts and styles live in app/static/.

templates/pdf/ is left out: those pages are drawn by WeasyPrint into PDFs and never sent to a browser
(the window poster's screen view has its own template under templates/surveys/admin/).
"""
import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_PACKAGES = ("app", "surveys", "complaints", "stats")

INLINE = (
    ("an inline script", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("a style element", re.compile(r"<style\b", re.I)),
    ("an event-handler attribute", re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)),
    ("a style attribute", re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S)),
    ("a javascript: address", re.compile(r"javascript:", re.I)),
)


def inline_code(text):
    """[(what, the text found)] for each piece of markup the policy would refuse."""
    return [(what, match.group(0)[:80]) for what, pattern in INLINE for match in pattern.finditer(text)]


def _served_templates():
    top = os.path.join(ROOT, "templates")
    for folder, _dirs, files in os.walk(top):
        if os.path.relpath(folder, top).split(os.sep)[0] == "pdf":
            continue
        for name in files:
            if name.endswith(".html"):
                yield os.path.join(folder, name)


def test_served_templates_have_no_inline_script_or_style():
    found = []
    for path in _served_templates():
        with open(path, encoding="utf-8") as fh:
            found += [(os.path.relpath(path, ROOT), *hit) for hit in inline_code(fh.read())]
    assert found == []


def test_markup_built_in_python_has_none_either():
    """Charts and other fragments made in code (e.g. stats/web/charts.py's SVG) land in pages too."""
    found = []
    for package in PYTHON_PACKAGES:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, package)):
            for name in (n for n in files if n.endswith(".py")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as fh:
                    tree = ast.parse(fh.read(), path)
                strings = (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
                found += [(os.path.relpath(path, ROOT), *hit) for s in strings for hit in inline_code(s)]
    assert found == []


def test_the_scanner_sees_each_kind():
    page = """<script>alert(1)</script><script src="/static/js/site.js" defer></script>
      <style>p{}</style><button type="button"
         onclick="go()">x</button><p style="color:red">y</p><a href="JavaScript:go()">z</a>"""
    assert [what for what, _text in inline_code(page)] == [
        "an inline script", "a style element", "an event-handler attribute", "a style attribute",
        "a javascript: address"]
    assert inline_code('<form data-confirm="确定？" class="x"><input name="onion"></form>') == []

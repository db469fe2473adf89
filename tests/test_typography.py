"""Chinese typography in what people read: full-width ，：；（） beside Chinese text, and dates written
2026年2月14日, never zero-padded (a strftime %m月 or %d日). Scans the templates and the string literals of
the source (docstrings and raw strings — regular expressions — are not text anyone reads)."""
import io
import pathlib
import re
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ("app", "surveys", "complaints", "stats")
# A date column printed as it is comes out as 2026-02-14; templates write it with the cn_date filter.
RAW_DATE = re.compile(r"\{\{ *[\w.]+_on *\}\}")
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()!?]|[,:;()][\u4e00-\u9fff]|%m月|%d日")


def _literals(source):
    """The string literals a user may read: not docstrings, not raw strings."""
    prev, depth = None, 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        docstring = prev in (tokenize.INDENT, tokenize.NEWLINE, None) or (prev == tokenize.NL and depth == 0)
        raw = re.match(r"[a-zA-Z]*", tok.string).group(0).lower() if tok.type == tokenize.STRING else ""
        if tok.type == tokenize.STRING and not docstring and "r" not in raw:
            yield tok.start[0], tok.string
        if tok.type != tokenize.COMMENT:
            prev = tok.type


def offences(files, root=ROOT):
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            found += [f"{path.relative_to(root)}:{line}: {match}" for line, literal in _literals(text)
                      for match in HALF_WIDTH.findall(literal)]
        else:
            found += [f"{path.relative_to(root)}: {match}" for match in HALF_WIDTH.findall(text) + RAW_DATE.findall(text)]
    return found


def test_templates_and_messages_use_full_width_punctuation_and_plain_dates():
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
    files += list((ROOT / "templates").rglob("*.html"))
    assert len(files) > 100
    assert offences(files) == []


@pytest.mark.parametrize("text, found", [
    ('flash("已保存,请继续。")\n', ["存,"]), ('x = f"{day:%Y年%m月%d日}"\n', ["%m月", "%d日"]),
    ('def f():\n    """文档(说明)不算。"""\n', []), ('P = r"类[::]"\n', []), ('s = "第二类（综合）"\n', []),
])
def test_the_scan_finds_what_it_must(tmp_path, text, found):
    path = tmp_path / "sample.py"
    path.write_text(text, encoding="utf-8")
    assert [entry.split(": ", 1)[1] for entry in offences([path], root=tmp_path)] == found


def test_the_scan_finds_raw_dates_in_templates(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<td>{{ c.opens_on }}至{{ c.closes_on|cn_date }}</td><p>感谢!</p>", encoding="utf-8")
    assert [entry.split(": ", 1)[1] for entry in offences([path], root=tmp_path)] == ["谢!", "{{ c.opens_on }}"]

"""The models are the data dictionary: every column has a `#:` comment on the line(s) above it.

Checked on the source with `ast`, so a new column without its comment fails here, naming it.
"""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("app", "surveys", "complaints", "stats")
COLUMN_CALLS = {"mapped_column", "Column"}
# More than the 200-odd columns the app had when this test was written: it cannot pass vacuously.
MINIMUM_COLUMNS = 200


def _called_name(node):
    """The bare name of a call's function: `so.mapped_column(...)` → "mapped_column"."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _is_mapped_annotation(annotation):
    """`so.Mapped[...]` / `Mapped[...]`: a bare annotation is a column too (SQLAlchemy 2 style)."""
    if not isinstance(annotation, ast.Subscript):
        return False
    base = annotation.value
    return (base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)) == "Mapped"


def _column_targets(statement):
    """The attribute names a class-body statement declares as columns (none for relationships)."""
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        if statement.value is None:
            return [statement.target.id] if _is_mapped_annotation(statement.annotation) else []
        if _called_name(statement.value) in COLUMN_CALLS:
            return [statement.target.id]
    if isinstance(statement, ast.Assign) and _called_name(statement.value) in COLUMN_CALLS:
        return [target.id for target in statement.targets if isinstance(target, ast.Name)]
    return []


def undocumented_columns(source, filename="<source>"):
    """(checked column count, ["file:line Class.column", …] for columns without a `#:` line above)."""
    lines = source.splitlines()
    checked, missing = 0, []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            for name in _column_targets(statement):
                checked += 1
                above = lines[statement.lineno - 2].strip() if statement.lineno >= 2 else ""
                if not above.startswith("#:"):
                    missing.append(f"{filename}:{statement.lineno} {node.name}.{name}")
    return checked, missing


def _model_files():
    for package in PACKAGES:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, package)):
            if "models.py" in files:
                yield os.path.join(folder, "models.py")


def test_every_model_column_is_documented():
    total, missing = 0, []
    for path in sorted(_model_files()):
        with open(path, encoding="utf-8") as fh:
            checked, undocumented = undocumented_columns(fh.read(), os.path.relpath(path, ROOT))
        total += checked
        missing += undocumented
    assert not missing, "columns without a `#:` comment on the line above:\n" + "\n".join(missing)
    assert total > MINIMUM_COLUMNS


SAMPLE = '''
class Thing(db.Model):
    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: a long explanation
    #: over two lines
    size = sa.Column(sa.Integer)
    # an ordinary comment is not documentation
    year: so.Mapped[int]
    legacy = Column(sa.Integer)
    #: relationships are not columns
    owner: so.Mapped["User"] = so.relationship()
    other: so.Mapped["User"] = so.relationship()
'''


def test_checker_names_each_undocumented_column():
    checked, missing = undocumented_columns(SAMPLE, "sample.py")
    assert checked == 5
    assert missing == ["sample.py:5 Thing.name", "sample.py:10 Thing.year", "sample.py:11 Thing.legacy"]


def test_checker_accepts_a_fully_documented_model():
    source = "class T(Base):\n    #: the key\n    id = mapped_column(primary_key=True)\n"
    assert undocumented_columns(source) == (1, [])

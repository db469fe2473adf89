"""The scheme's scale decides what a questionnaire offers, what intake accepts and what scoring counts."""
import json
import re

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from surveys.models import Campaign, Response
from tests.surveys.test_window_survey import _form


@pytest.fixture
def three_level(app, tmp_path):
    path = tmp_path / "three.toml"
    text = read_scheme_file("default").text
    assert 'scale = "five"' in text
    path.write_text(text.replace('scale = "five"', 'scale = "three"'), encoding="utf-8")
    app.config["SCHEME"] = str(path)
    yield
    app.config["SCHEME"] = "default"


@pytest.fixture
def window(make):
    make.campaign()
    return make.window()


def _offered(html):
    """The distinct level values offered by the page's radio buttons."""
    return {value for tag in re.findall(r"<input[^>]*>", html) if 'type="radio"' in tag
            for value in re.findall(r'value="(\d)"', tag)}


def test_five_level_scale_offers_five_levels(client, window):
    html = client.get(f"/s/{window.code}").data.decode()
    assert _offered(html) >= {"5", "4", "3", "2", "1"}
    assert "非常不满意" in html


def test_three_level_scale_offers_only_its_levels(client, window, three_level):
    html = client.get(f"/s/{window.code}").data.decode()
    assert _offered(html) - {"0"} == {"5", "3", "1"}
    assert "非常满意" not in html and "非常不满意" not in html and "基本满意" in html


def test_three_level_scale_refuses_a_level_it_does_not_have(client, window, three_level):
    data = _form(client, f"/s/{window.code}", level="4")
    response = client.post(f"/s/{window.code}", data=data)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


def test_three_level_answers_are_scored(client, runner, window, three_level, tmp_path):
    for level in ("5", "3", "1"):
        response = client.post(f"/s/{window.code}", data=_form(client, f"/s/{window.code}", level=level))
        assert response.status_code == 302
    out = tmp_path / "RESULT.json"
    year = db.session.scalar(sa.select(Campaign.year))
    result = runner.invoke(args=["stats", "score", "--year", str(year), "--no-screen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    units = {u["unit_code"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}
    # values 1.0, 0.6 and 0.0 under the three-level scale: the walk-in index is their mean
    assert units[window.unit.code]["index_nonfixed"] == pytest.approx(1.6 / 3)

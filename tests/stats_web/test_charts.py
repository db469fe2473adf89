"""Server-side SVG charts: escaped labels, round ticks, missing values shown as such."""
from stats.web.charts import _axis, bar_chart, category_interval_chart, interval_chart


def test_labels_are_escaped():
    svg = str(interval_chart([{"label": "<script>x</script>", "value": 1, "lo": 0, "hi": 2}],
                             lower=0, upper=10, title="t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_axis_snaps_to_round_ticks_within_bounds():
    assert _axis([233.4, 368.2], 0, 400) == (200, 400, [200, 250, 300, 350, 400])
    assert _axis([57.8, 95.7], 0, 100) == (50, 100, [50, 60, 70, 80, 90, 100])
    assert _axis([0, 1], 0, 1) == (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1])
    assert _axis([100, 100], 0, 100) == (98, 100, [98, 100])  # a single value still gets an axis
    assert _axis([None], 0, 400)[:2] == (0, 400)


def test_missing_values_are_labelled():
    svg = str(bar_chart([{"label": "服务态度", "value": None}], maximum=1, title="t"))
    assert "无数据" in svg and "<rect" not in svg


def _table(points):
    rows = [{"unit_code": f"U{i}", "name": f"单位{i}",
             "survey": {"points": p, "points_ci": None if p is None else [p - 9, p + 9]}} for i, p in enumerate(points)]
    return {"name": "综合部门", "rows": rows}


def test_units_without_data_share_one_line():
    svg = str(category_interval_chart(_table([300.0, 250.0] + [None] * 31), 400, highlight="U5"))
    assert svg.count("无有效答卷") == 1 and "其余 31 个单位（含本单位）" in svg and "无数据" not in svg
    assert "单位0" in svg and "单位1" in svg and "单位5" not in svg
    assert "无有效答卷" not in str(category_interval_chart(_table([300.0]), 400))


def test_text_keeps_its_size_whatever_the_width():
    svg = str(interval_chart([{"label": "甲", "value": 1, "lo": 0, "hi": 2}], lower=0, upper=10, title="t"))
    assert "viewBox" not in svg and 'width="100%"' in svg and 'font-size="12"' in svg
    assert 'cx="50.00%"' in svg  # positions are shares of the width

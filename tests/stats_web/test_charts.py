"""Server-side SVG charts: escaped labels, round ticks, missing values shown as such."""
from stats.web.charts import _axis, bar_chart, interval_chart


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

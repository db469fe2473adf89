"""RESULT.json from stats.result_io is byte for byte what json.dump(..., ensure_ascii=False, indent=1) writes."""
import json
import random

import pytest

from stats.result_io import result_text, write_result

ODD = ["r1", "", "引号\"和\\反斜杠", "控制\x01字符\n换行", "\u2028", "😀", "@x:0@", "a, b", "{\n}"]


def random_result(rng: random.Random) -> dict:
    ids = [rng.choice(ODD) + str(i) if rng.random() < 0.3 else f"R{i:07d}" for i in range(rng.randrange(0, 40))]
    return {
        "scheme": "default",
        "units": [{"unit_code": "A", "index": 0.93, "points_ci": [1.0, 2.0], "flags": [], "rank": None}],
        "excluded": [{"response_id": rid, "reason": rng.choice(["empty", "burst"])} for rid in ids],
        "straightline": rng.sample(ids, len(ids) // 2),
        "mixed": [1, "a", None] if rng.random() < 0.5 else ["a", "b"],
        "odd_dicts": [{"a": "1"}, {"b": 2}],
        "year": 2024,
    }


@pytest.mark.parametrize("seed", range(30))
def test_same_text_as_the_json_module(seed):
    result = random_result(random.Random(seed))
    assert result_text(result) == json.dumps(result, ensure_ascii=False, indent=1)


def test_written_file_parses_back(tmp_path):
    result = random_result(random.Random(1))
    write_result(str(tmp_path / "RESULT.json"), result)
    assert json.loads((tmp_path / "RESULT.json").read_text(encoding="utf-8")) == result
    assert not (tmp_path / "RESULT.json.partial").exists()

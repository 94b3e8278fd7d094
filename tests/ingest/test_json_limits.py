"""Every JSON reader within bounds: deep nesting, huge strings and wrong types give a
one-line error naming the file (or are skipped as bad records), never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_json import JSON_EXPORTS, hostile_copy, nested
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest import open_inputs
from geoleak.jsonlimits import MAX_DEPTH, MAX_INT_DIGITS, JsonLimitError, JsonScanner, loads


def read(path: Path) -> tuple[list[object], Diagnostics]:
    diag = Diagnostics()
    try:
        posts = list(open_inputs([path], diag))
    except CorpusError as exc:  # the whole input unreadable: one error, one line
        diag.warnings.append(str(exc))
        return [], diag
    return posts, diag


@pytest.mark.parametrize(("fixture", "name"), JSON_EXPORTS)
def test_deep_nesting_is_refused_naming_the_file(fixture: str, name: str, tmp_path: Path) -> None:
    target = hostile_copy(fixture, tmp_path / fixture, nested(100_000), name)
    _posts, diag = read(target)
    assert any(
        name in w and ("nested more than" in w or "not valid JSON" in w) for w in diag.warnings
    ), diag.warnings


def test_the_scanner_counts_depth_outside_strings_only() -> None:
    scanner = JsonScanner("x.json", max_depth=3)
    scanner.feed(b'[[["[[[[[[ \\" [[[["]]]')  # brackets inside a string do not count
    assert scanner.depth == 0
    with pytest.raises(JsonLimitError, match=r"x\.json: JSON nested more than 3 levels"):
        JsonScanner("x.json", max_depth=3).feed(b"[[[[]]]]")


def test_a_string_split_across_chunks_is_measured_whole() -> None:
    scanner = JsonScanner("x.json", max_string=10)
    scanner.feed(b'["abcde')
    with pytest.raises(JsonLimitError, match="longer than 10 bytes"):
        scanner.feed(b'fghijk"]')


WITHIN_INT_LIMIT = st.integers(
    min_value=-(10**MAX_INT_DIGITS) + 1, max_value=10**MAX_INT_DIGITS - 1
)


@given(st.recursive(st.none() | st.booleans() | WITHIN_INT_LIMIT | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=20))  # fmt: skip
def test_loads_agrees_with_json_within_the_limits(value: object) -> None:
    text = json.dumps(value)
    assert loads(text, "v.json") == json.loads(text)


def test_integers_within_twenty_digits_stay_exact_whatever_their_sign() -> None:
    for text in ("18446744073709551615", "-18446744073709551615", "-99999999999999999999"):
        assert loads(f"[{text}]", "v.json") == [int(text)]
    assert loads("[-100000000000000000000]", "v.json") == [-1e20]  # 21 digits


def test_huge_integers_become_floats() -> None:
    assert loads("[" + "9" * 400 + "]", "v.json") == [float("inf")]
    assert loads("[" + "9" * 5000 + "]", "v.json") == [float("inf")]  # past int's digit limit


HOSTILE_VALUES = st.one_of(
    st.integers(min_value=MAX_DEPTH + 1, max_value=5000).map(nested),
    st.integers(min_value=1, max_value=10**6).map(lambda n: b'"' + b"x" * n + b'"'),
    st.sampled_from([b"null", b"true", b"1e999", b"-0", b"9" * 400, b'"\\ud800"', b"{}", b"[]",
                     b'{"latitude": "north", "longitude": [1]}', b'"\\u0000"']),
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    export=st.sampled_from([name for name, _ in JSON_EXPORTS]),
    value=HOSTILE_VALUES,
    which=st.integers(min_value=0, max_value=5),
)
def test_hostile_values_in_any_export_never_crash_a_reader(
    export: str, value: bytes, which: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = hostile_copy(export, tmp_path_factory.mktemp("hostile") / export, value, which)
    _posts, diag = read(target)
    for warning in diag.warnings:
        assert "\n" not in warning  # one line each

"""A profile's counts of sources and time zones (`geoleak.infer._counts`) are
`dict(Counter(values))` (the same keys in the same order), and the time zone it names
(`_likeliest`) is `Counter.most_common(1)`'s."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.infer import _counts, _likeliest

# Equal strings that are other objects too (rows read apart do not share their strings).
_names = st.sampled_from(["geotag", "exif", "Europe/Paris", "", "Europe/Paris"[:6] + "/Paris"])


@settings(max_examples=300)
@given(st.lists(st.none() | _names, max_size=30))
def test_counts_are_a_counters_and_the_likeliest_its_most_common(values: list[str | None]) -> None:
    got, expected = _counts(values), Counter(values)
    assert list(got.items()) == list(expected.items())
    assert type(got) is dict
    assert _likeliest(got) == (expected.most_common(1)[0][0] if expected else None)


def test_one_value_and_ties() -> None:
    paris = "".join(["Europe/", "Paris"])  # equal to the literal, another object
    assert _counts(["Europe/Paris", paris, "Europe/Paris"]) == {"Europe/Paris": 3}
    assert _counts([None, None]) == {None: 2}
    assert _counts([]) == {}
    tie = _counts(["b", "a", "a", "b", "c"])
    assert list(tie) == ["b", "a", "c"] and _likeliest(tie) == "b"
    assert _likeliest({}) is None

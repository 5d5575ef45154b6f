"""The loaders build the STAR AI reviews once per data root and hand out copies; a review list as of an
earlier date is the full build cut at that date, which holds because the builder is point-in-time."""
import pandas as pd
import pytest

from aibt import loaders
from aibt.strategies.star_ai_index import rebuild_constituents


@pytest.mark.parametrize("end", ["2023-06-30", "2024-09-18", "2025-07-24", "2026-05-07"])
def test_reviews_as_of_a_date_equal_a_build_from_data_up_to_it(end):
    built = rebuild_constituents(loaders.star_ai_inputs(end), None)
    got = loaders.star_ai_constituents(end=end)
    pd.testing.assert_frame_equal(got, built.reset_index(drop=True))


def test_callers_get_copies_and_a_rewrite_of_the_data_is_seen():
    from aibt.data import snapshot

    a = loaders.star_ai_constituents()
    a.loc[:, "weight"] = -1.0
    b = loaders.star_ai_constituents()
    assert (b["weight"] > 0).all()
    before = snapshot.generation()
    snapshot.clear_caches()
    assert snapshot.generation() == before + 1
    pd.testing.assert_frame_equal(loaders.star_ai_constituents(), b)

"""Expensive or meaningless queries get a clear 400 (issue 15): nesting, proximity, boosts, fuzzy words, expansion.

Each case goes through the API, as a user's request would, and the message must say what to
change without leaking Python internals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import query as wq

from index.reader import open_index
from search import exact
from search.errors import BadQuery


def error_of(client, q: str) -> str:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 400, response.get_json()
    return response.get_json()["error"]


def test_deeply_nested_parentheses_are_refused_without_a_recursion_error(client):
    message = error_of(client, "(" * 990 + "Geneva" + ")" * 990)
    assert "nested 990 deep" in message
    assert "recursion" not in message


def test_nesting_up_to_the_limit_still_searches(client):
    depth = exact.MAX_DEPTH
    response = client.get("/api/search", query_string={"q": "(" * depth + "Geneva" + ")" * depth})
    assert response.status_code == 200
    assert response.get_json()["total"] == 3


def test_negative_proximity_is_refused(client):
    assert "negative" in error_of(client, '"Geneva Communique"~-2')


@pytest.mark.parametrize("boost", ["nan", "inf", "-1", "0", "x"])
def test_boosts_that_are_not_positive_numbers_are_refused(client, boost: str):
    assert f"^{boost}" in error_of(client, f"Geneva^{boost}")


def test_a_positive_boost_is_accepted(client):
    assert client.get("/api/search", query_string={"q": "Geneva^2 Syria"}).status_code == 200


def test_fuzzy_words_are_refused_rather_than_read_as_plain_words(client):
    assert "fuzzy words are not supported" in error_of(client, "Genava~2")


def test_a_range_over_too_many_words_is_refused(index_dir: Path):
    with open_index(index_dir).searcher() as searcher:
        with pytest.raises(BadQuery, match="more than 5 different words"):
            exact.check_expansion(wq.TermRange("text", "a", "z"), searcher.reader(), limit=5)
        exact.check_expansion(wq.TermRange("text", "genev", "genf"), searcher.reader(), limit=5)


def test_a_wildcard_over_too_many_words_is_refused(index_dir: Path):
    with open_index(index_dir).searcher() as searcher:
        with pytest.raises(BadQuery, match="co\\* matches more than 2 different words"):
            exact.check_expansion(wq.Prefix("text_exact", "co"), searcher.reader(), limit=2)


def test_an_expansion_over_its_time_budget_is_refused(index_dir: Path):
    with open_index(index_dir).searcher() as searcher:
        with pytest.raises(BadQuery, match="takes too long"):
            exact.check_expansion(wq.TermRange("text", "a", "z"), searcher.reader(), seconds=-1.0)


def test_the_api_refuses_a_range_over_the_whole_vocabulary(client, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(exact, "MAX_EXPANSION", 5)
    assert "more than 5 different words" in error_of(client, "[a TO z]")


def test_carets_and_tildes_inside_quotes_are_part_of_the_phrase():
    exact.check_limits('"a^nan b~5" Geneva')  # no error: the phrase's own characters
    with pytest.raises(BadQuery, match="negative"):
        exact.check_limits('"a^nan b~5"~-1')

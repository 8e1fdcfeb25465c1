"""Search modes in the pages: the mode switch, semantic and hybrid results, "similar", and the
state without semantic search, through Flask's test client on a real index.

Vectors come from `WordHashEmbedder`, a small real embedder (hashed bag of words), so these
tests need neither torch nor the model; the browser tests use the real model.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from html_pages import Element, one, page, query_of, select, within
from search.hybrid import SEMANTIC_LIMIT, SemanticIndex
from search.semantic import semantic_available
from web import warm_up
from web.modes import mode_links, public_message
from web.urls import query_string


def modes(html: str) -> Element:
    return one(html, "div", "modes")


def mode_state(html: str) -> list[tuple[str, str, bool, bool]]:
    """(label, data-mode, enabled, current) of each choice of the mode switch."""
    return [
        (e.text, e.attrs["data-mode"] or "", e.tag == "a", e.attrs.get("aria-current") == "true")
        for e in within(modes(html))
        if e.attrs.get("data-mode")
    ]


def badges(html: str) -> dict[str, str]:
    """Hit id → its matched-by badge."""
    found = {}
    for hit in select(html, "article", "hit"):
        (badge,) = within(hit, "span", "badge")
        found[hit.attrs["data-hit-id"] or ""] = badge.attrs["data-matched-by"] or ""
    return found


def similar_links(html: str) -> list[str]:
    return [e.attrs["href"] or "" for e in select(html, "a", "similar")]


# --- without semantic search


def test_without_vectors_semantic_and_hybrid_are_shown_disabled_with_the_reason(client, index_dir):
    html = page(client, "/?q=Geneva")
    assert mode_state(html) == [
        ("Keyword", "keyword", True, True),
        ("Semantic", "semantic", False, False),
        ("Hybrid", "hybrid", False, False),
    ]
    disabled = [e for e in within(modes(html), "span", "mode-off")]
    reason = disabled[0].attrs["title"] or ""
    expected = "no embedding vectors for this index" if semantic_available() else "[semantic] extra"
    assert reason.startswith("Unavailable: ") and expected in reason
    assert all(e.attrs["aria-disabled"] == "true" for e in disabled)
    assert expected in one(html, "p", "mode-reason").text  # one click away, for keyboards and screen readers too
    assert str(index_dir) not in html and str(index_dir.parent) not in html
    assert similar_links(html) == [] and select(html, "span", "badge") == []


@pytest.mark.parametrize("url", ["/?q=Geneva&mode=semantic", "/?q=Geneva&mode=hybrid&view=kwic&speaker=John+Kerry"])
def test_a_semantic_url_without_vectors_is_the_page_with_the_reason(client, index_dir, url):
    html = page(client, url, 400)
    mode = "Semantic" if "semantic" in url else "Hybrid"
    alert = one(html, "div", "alert")
    assert f"{mode} search is unavailable here: " in alert.text
    assert str(index_dir) not in html and str(index_dir.parent) not in html
    keyword = next(e for e in within(alert, "a") if e.text == "Search by keyword instead")
    assert ("mode", mode.lower()) not in query_of(keyword.attrs["href"] or "")
    assert [(n, v) for n, v in query_of(keyword.attrs["href"] or "") if n == "q"] == [("q", "Geneva")]
    assert page(client, keyword.attrs["href"] or "", 200)
    assert one(html, "input", id="q").attrs["value"] == "Geneva"


def test_the_api_says_why_without_server_paths(client, index_dir):
    response = client.get("/api/search?q=Geneva&mode=semantic")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith("mode 'semantic' is unavailable: ") and str(index_dir) not in error
    similar = client.get("/api/similar/t-kerry:2")
    assert similar.status_code == 400 and str(index_dir) not in similar.get_json()["error"]


def test_similar_page_without_vectors_says_why_and_still_shows_the_utterance(client, index_dir):
    html = page(client, "/similar/t-kerry:2", 400)
    assert "Similar utterances need semantic search, which is unavailable here" in one(html, "div", "alert").text
    assert "We have both embraced, in the Geneva Communique" in one(html, "blockquote").text
    assert str(index_dir) not in html


def test_warm_up_does_nothing_without_semantic_search(app):
    assert warm_up(app) is None


def test_the_app_gives_the_engine_a_semantic_index_when_the_extra_is_installed(app):
    semantic = app.extensions["verbatim"].semantic
    if semantic_available():
        assert isinstance(semantic, SemanticIndex)
    else:
        assert semantic is None


# --- with vectors


def test_the_mode_switch_links_keep_the_page_state(semantic_client):
    html = page(semantic_client, "/?q=Geneva&speaker=John+Kerry&view=kwic&page=2")
    assert mode_state(html) == [
        ("Keyword", "keyword", True, True),
        ("Semantic", "semantic", True, False),
        ("Hybrid", "hybrid", True, False),
    ]
    links = {e.attrs["data-mode"]: query_of(e.attrs["href"] or "") for e in within(modes(html), "a")}
    assert links["semantic"] == [("q", "Geneva"), ("speaker", "John Kerry"), ("view", "kwic"), ("mode", "semantic")]
    assert links["keyword"] == [("q", "Geneva"), ("speaker", "John Kerry"), ("view", "kwic")]
    assert select(html, "p", "mode-reason") == []


def test_semantic_mode_says_what_the_counts_cover_and_badges_every_hit(semantic_client):
    html = page(semantic_client, "/?q=Geneva+conference&mode=semantic")
    note = one(html, "p", "mode-note").text
    assert f"at most {SEMANTIC_LIMIT}" in note and "The filter counts and the chart count exactly these hits" in note
    found = badges(html)
    assert found and set(found.values()) == {"semantic"}
    assert {e.text for e in select(html, "span", "badge")} == {"semantic"}
    assert [label for label, _, _, current in mode_state(html) if current] == ["Semantic"]
    hidden = {(e.attrs["name"], e.attrs["value"]) for e in select(html, "input", type="hidden")}
    assert ("mode", "semantic") in hidden  # a new query from the box stays semantic


def test_hybrid_badges_say_what_the_api_says(semantic_client):
    html = page(semantic_client, "/?q=Geneva&mode=hybrid")
    data = semantic_client.get("/api/search?q=Geneva&mode=hybrid").get_json()
    assert badges(html) == {hit["id"]: hit["matched_by"] for hit in data["hits"]}
    assert {"both", "semantic"} <= set(badges(html).values())  # "Geneva" turns match both ways; others by meaning
    labels = {e.attrs["data-matched-by"]: e.text for e in select(html, "span", "badge")}
    assert labels == {"both": "keyword + semantic", "semantic": "semantic"}
    assert "Hybrid search:" in one(html, "p", "mode-note").text


def test_facets_pages_sorts_and_views_keep_the_mode(semantic_client):
    html = page(semantic_client, "/?q=Geneva+Syria&mode=semantic&per_page=2")
    hrefs = [e.attrs["href"] or "" for e in select(html, "a", "facet-value")]
    hrefs += [e.attrs["href"] or "" for e in within(one(html, "nav", "pager"), "a")]
    hrefs += [e.attrs["href"] or "" for e in within(one(html, "div", "segmented", aria_label="View"), "a")]
    hrefs += [e.attrs["href"] or "" for e in within(one(html, "div", "segmented", aria_label="Sort"), "a")]
    assert len(hrefs) > 8
    assert all(("mode", "semantic") in query_of(href) for href in hrefs)
    kwic = page(semantic_client, "/?q=Geneva&mode=semantic&view=kwic")
    assert "lines are where the query words occur in these semantic hits" in one(kwic, "p", "kwic-count").text
    assert {e.text for e in select(kwic, "td", "kwic-key")} == {"Geneva"}


def test_csv_of_a_semantic_search_has_every_hit_with_its_full_text(semantic_client, transcripts):
    texts = {u.id: u.text for t in transcripts for u in t.utterances}
    data = semantic_client.get("/api/search?q=Geneva+conference&mode=semantic&per_page=200").get_json()
    response = semantic_client.get("/api/search?q=Geneva+conference&mode=semantic&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]
    assert [row[0] for row in rows] == [hit["id"] for hit in data["hits"]] and len(rows) == 10
    assert all(row[6] == texts[row[0]] for row in rows)


def test_keyword_mode_has_no_badges_but_similar_links(semantic_client):
    html = page(semantic_client, "/?q=Geneva")
    assert select(html, "span", "badge") == [] and select(html, "p", "mode-note") == []
    ids = [e.attrs["data-hit-id"] for e in select(html, "article", "hit")]
    assert similar_links(html) == [f"/similar/{hit_id}" for hit_id in ids]


def test_similar_page_lists_the_nearest_utterances_of_other_transcripts(semantic_client):
    html = page(semantic_client, "/similar/t-kerry:2")
    source = one(html, "article", "source-utterance")
    assert source.attrs["data-hit-id"] == "t-kerry:2"
    assert "John Kerry" in source.text and "Meeting with US Secretary of State John Kerry" in source.text
    assert within(source, "a", "in-context")[0].attrs["href"] == "/t/t-kerry#u2"
    expected = [hit["id"] for hit in semantic_client.get("/api/similar/t-kerry:2").get_json()["hits"]]
    hits = [e for e in select(html, "article", "hit") if "source-utterance" not in e.classes]
    assert [e.attrs["data-hit-id"] for e in hits] == expected and expected
    assert not any(hit_id.startswith("t-kerry:") for hit_id in expected)
    first = hits[0]
    transcript_id, seq = expected[0].split(":")
    assert within(first, "a", "in-context")[0].attrs["href"] == f"/t/{transcript_id}#u{seq}"
    assert within(first, "a", "similar")[0].attrs["href"] == f"/similar/{expected[0]}"
    assert within(first, "span", "score")[0].text.startswith("similarity 0.")


@pytest.mark.parametrize("utterance_id", ["t-kerry:99", "t-kerry:x", "nothing:1", "t-kerry"])
def test_similar_to_an_unknown_utterance_is_a_404_page(semantic_client, utterance_id):
    html = page(semantic_client, f"/similar/{utterance_id}", 404)
    assert f"no utterance with the id “{utterance_id}”" in one(html, "p", "message").text


def test_warm_up_encodes_a_query_in_the_background(semantic_app, embedder):
    thread = warm_up(semantic_app)
    assert thread is not None
    thread.join(timeout=30)
    assert embedder.encoded[-1] == "warming up"


# --- the pure helpers


def test_mode_links_switch_off_semantic_modes_with_a_reason():
    params = [("q", "gas"), ("mode", "hybrid"), ("page", "3")]
    on = mode_links(params, query_string, None)
    assert [(l.mode, l.href, l.current) for l in on] == [
        ("keyword", "?q=gas", False),
        ("semantic", "?q=gas&mode=semantic", False),
        ("hybrid", "?q=gas&mode=hybrid", True),
    ]
    off = mode_links(params, query_string, "no vectors")
    assert [(l.href, l.current, l.title) for l in off[1:]] == [
        (None, False, "Unavailable: no vectors"),
        (None, False, "Unavailable: no vectors"),
    ]
    assert off[0].href == "?q=gas" and not off[0].current  # the page asked for hybrid, which is off


@pytest.mark.parametrize(
    ("message", "public"),
    [
        (
            "no embedding vectors for the index at /srv/verbatim/index: compute them",
            "no embedding vectors for this index: compute them",
        ),
        ("the vectors at /srv/x/vectors/store.npz are unreadable.", "the vectors at store.npz are unreadable."),
        ("no vectors in C:\\data\\index, sorry", "no vectors in index, sorry"),
        ("install it with: pip install -e '.[semantic]'", "install it with: pip install -e '.[semantic]'"),
        ("ratio 1/2 and and/or", "ratio 1/2 and and/or"),
    ],
)
def test_public_messages_name_no_server_folders(message, public):
    assert public_message(message) == public


def test_known_folders_are_taken_out_even_with_spaces():
    message = "mode 'semantic' is unavailable: no embedding vectors for the index at /srv/a b/index: run `embed`"
    assert public_message(message, [Path("/srv/a b/index")]) == (
        "mode 'semantic' is unavailable: no embedding vectors for this index: run `embed`"
    )
    assert public_message("the vectors at /srv/a b/index/vectors are old", ["/srv/a b/index"]) == (
        "the vectors at index/vectors are old"
    )

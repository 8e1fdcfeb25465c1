"""The pages, through Flask's test client on a real index: search, facets, KWIC, transcript, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import make_transcript
from html_pages import Element, one, page, parse, query_of, select, within
from flask import Flask
from flask.testing import FlaskClient

from index.reindex import index_transcripts
from search.types import FacetValue
from web import SECURITY_HEADERS, create_app, views
from web.histogram import HEIGHT, LABEL_HEIGHT, histogram
from settings import Settings
from web.urls import params_of, replace, toggle, without

ROOT = Path(__file__).resolve().parent.parent


def result_count(html: str) -> tuple[int, int]:
    """(utterances, transcripts) from the status line."""
    numbers = [int(e.text.replace(",", "")) for e in select(html, "strong") if e.text.replace(",", "").isdigit()]
    return numbers[0], numbers[1]


def hit_ids(html: str) -> list[str]:
    return [e.attrs["data-hit-id"] or "" for e in select(html, "article", "hit")]


def facet_links(html: str, facet: str) -> dict[str, Element]:
    """The facet's value links by value, from its sidebar section."""
    section = one(html, "section", "facet", data_facet=facet)
    return {_facet_label(link): link for link in within(section, "a", "facet-value")}


def _facet_label(link: Element) -> str:
    # "Remove filter John Kerry 12" or "John Kerry 12": the label without the count.
    text = link.text.removeprefix("Remove filter ").strip()
    return text.rsplit(" ", 1)[0]


def facet_count(link: Element) -> int:
    return int(link.text.rsplit(" ", 1)[1].replace(",", ""))


def segmented_links(html: str, label: str) -> list[Element]:
    """The links of one segmented control ("View", "Sort", "Sort lines")."""
    return within(one(html, "div", "segmented", aria_label=label), "a")


# --- fixtures


# --- URL state and histogram geometry (pure helpers)


def test_url_helpers_toggle_replace_and_drop_the_page():
    params = params_of([("q", "gas"), ("speaker", "A"), ("page", "3"), ("to", " ")])
    assert params == [("q", "gas"), ("speaker", "A"), ("page", "3")]
    assert toggle(params, "speaker", "B") == [("q", "gas"), ("speaker", "A"), ("speaker", "B")]
    assert toggle(params, "speaker", "A") == [("q", "gas")]
    assert replace(params, page="4") == [("q", "gas"), ("speaker", "A"), ("page", "4")]
    assert replace(params, from_="2013-01-01", q=None) == [("speaker", "A"), ("from", "2013-01-01")]
    assert without(params, "speaker") == [("q", "gas")]


def test_histogram_fills_missing_years_and_scales_to_the_largest():
    values = [FacetValue("2016", 10), FacetValue("2013", 5), FacetValue("n/a", 3)]
    bars = histogram(values, selected=["2016"]).bars
    assert [(b.year, b.count, b.selected) for b in bars] == [
        (2013, 5, False),
        (2014, 0, False),
        (2015, 0, False),
        (2016, 10, True),
    ]
    baseline = HEIGHT - LABEL_HEIGHT
    assert bars[3].y + bars[3].height == baseline and bars[3].height == 2 * bars[0].height
    assert bars[1].height == 0
    assert [b.x for b in bars] == sorted(b.x for b in bars)
    assert histogram([]).bars == ()


def test_histogram_labels_fewer_years_when_there_are_many():
    many = histogram([FacetValue(str(year), 1) for year in range(1990, 2021)])
    assert len(many.bars) == 31 and many.label_every == 2
    assert histogram([FacetValue("2013", 1), FacetValue("2014", 1)]).label_every == 1


# --- the search page


def test_search_lists_hits_with_speaker_role_date_title_place_snippet_and_context_link(client):
    html = page(client, "/?q=Geneva")
    assert result_count(html) == (3, 2)
    assert sorted(hit_ids(html)) == ["t-kerry:2", "t-lavrov:0", "t-lavrov:1"]
    kerry = next(e for e in select(html, "article", "hit") if e.attrs["data-hit-id"] == "t-kerry:2")
    assert "John Kerry" in kerry.text and "US Secretary of State" in kerry.text
    assert "<mark>Geneva</mark> Communique" in html
    group_titles = [e.text for e in select(html, "a", "group-title")]
    assert set(group_titles) == {
        "Meeting with US Secretary of State John Kerry",
        "Meeting with Foreign Minister Sergei Lavrov",
    }
    metas = [e.text for e in select(html, "p", "group-meta")]
    assert "7 May 2013 · The Kremlin, Moscow" in metas
    assert "20 November 2013 · Novo-Ogaryovo, Moscow Region" in metas
    context = [e.attrs["href"] for e in select(html, "a", "in-context")]
    assert "/t/t-kerry?q=Geneva&at=2#u2" in context


def test_search_box_keeps_the_query_and_the_filters(client):
    html = page(client, "/?q=%22Geneva+conference%22&speaker=Sergei+Lavrov&sort=-date")
    assert one(html, "input", id="q").attrs["value"] == '"Geneva conference"'
    hidden = {(e.attrs["name"], e.attrs["value"]) for e in select(html, "input", type="hidden")}
    assert hidden == {("speaker", "Sergei Lavrov"), ("sort", "-date")}
    assert select(html, "title")[0].text == '"Geneva conference" · Verbatim'


def test_empty_query_browses_newest_first_with_every_facet(client):
    html = page(client, "/")
    assert result_count(html) == (10, 3)
    assert "Browsing" in one(html, "p", "result-count").text
    assert hit_ids(html)[:2] == ["t-economy:0", "t-economy:1"]
    assert [e.attrs["data-facet"] for e in select(html, "section", "facet") if e.attrs.get("data-facet")] == [
        "speaker",
        "role",
        "year",
        "place",
        "topic",
        "geography",
    ]
    speakers = facet_links(html, "speaker")
    assert {name: facet_count(link) for name, link in speakers.items()} == {
        "Vladimir Putin": 5,
        "John Kerry": 2,
        "Sergei Lavrov": 2,
    }
    # Nothing to rank without a query: the sort choices are newest (current) and oldest.
    assert [(e.text, e.attrs.get("aria-current")) for e in segmented_links(html, "Sort")] == [
        ("Newest", "true"),
        ("Oldest", None),
    ]


def test_a_facet_value_toggles_its_filter_and_the_counts_follow(client):
    html = page(client, "/?q=Geneva")
    lavrov = facet_links(html, "speaker")["Sergei Lavrov"]
    assert facet_count(lavrov) == 1 and "is-selected" not in lavrov.classes
    href = lavrov.attrs["href"] or ""
    assert query_of(href) == [("q", "Geneva"), ("speaker", "Sergei Lavrov")]

    filtered = page(client, href)
    assert result_count(filtered) == (1, 1)
    assert hit_ids(filtered) == ["t-lavrov:1"]
    selected = facet_links(filtered, "speaker")["Sergei Lavrov"]
    assert "is-selected" in selected.classes and selected.attrs.get("aria-current") == "true"
    # Counts of the speaker facet ignore the speaker filter, so the other speakers stay selectable …
    assert facet_count(facet_links(filtered, "speaker")["John Kerry"]) == 1
    # … while the other facets count within it.
    assert {n: facet_count(l) for n, l in facet_links(filtered, "role").items()} == {"Foreign Minister": 1}
    chip = one(filtered, "a", "chip")
    assert chip.text == "Speaker: Sergei Lavrov× (remove)"
    assert query_of(chip.attrs["href"] or "") == [("q", "Geneva")]
    assert query_of(selected.attrs["href"] or "") == [("q", "Geneva")]


def test_values_of_one_facet_are_ored_and_facets_are_anded(client):
    both = page(client, "/?q=Geneva&speaker=Sergei+Lavrov&speaker=John+Kerry")
    assert result_count(both) == (2, 2)
    assert len(select(both, "a", "chip")) == 2
    narrowed = page(client, "/?q=Geneva&speaker=Sergei+Lavrov&speaker=John+Kerry&place=The+Kremlin%2C+Moscow")
    assert hit_ids(narrowed) == ["t-kerry:2"]
    clear = one(narrowed, "a", "chip-clear")
    assert query_of(clear.attrs["href"] or "") == [("q", "Geneva")]


def test_histogram_has_a_clickable_bar_per_year(client):
    html = page(client, "/")
    bars = {e.attrs["data-year"]: e for e in select(html, cls="bar") if e.attrs.get("data-year")}
    assert set(bars) == {"2013", "2014"}
    assert bars["2013"].attrs["aria-label"] == "2013: 8 hits"
    assert bars["2014"].attrs["aria-label"] == "2014: 2 hits"
    fills = {e.attrs["height"] for e in select(html, "rect", "bar-fill")}
    assert len(fills) == 2  # heights differ with the counts
    filtered = page(client, bars["2014"].attrs["href"] or "")
    assert result_count(filtered) == (2, 1)
    selected = [e for e in select(filtered, "a", "bar") if "is-selected" in e.classes]
    assert [e.attrs["data-year"] for e in selected] == ["2014"]
    assert "style=" not in one(filtered, "svg").attrs


def test_date_range_filters_and_shows_as_chips(client):
    html = page(client, "/?from=2013-06-01&to=2013-12-31")
    assert result_count(html) == (3, 1)
    assert [e.text for e in select(html, "a", "chip")] == [
        "From: 2013-06-01× (remove)",
        "To: 2013-12-31× (remove)",
    ]
    assert one(html, "input", name="from").attrs["value"] == "2013-06-01"


def test_sort_links_order_by_date(client):
    oldest = page(client, "/?q=Geneva&sort=date")
    newest = page(client, "/?q=Geneva&sort=-date")
    assert hit_ids(oldest)[0] == "t-kerry:2"
    assert hit_ids(newest)[-1] == "t-kerry:2"
    assert [e.text for e in segmented_links(oldest, "Sort") if e.attrs.get("aria-current")] == ["Oldest"]
    relevance = segmented_links(oldest, "Sort")[0]
    assert relevance.text == "Best match" and query_of(relevance.attrs["href"] or "") == [("q", "Geneva")]


def test_pagination_walks_through_all_hits(client):
    first = page(client, "/?per_page=4")
    pager = select(first, "nav", "pager")
    assert len(pager) == 1
    numbers = [e.text for e in select(first, "a") if (e.attrs.get("href") or "").startswith("/?per_page=4&page=")]
    assert numbers == ["1", "2", "3", "Next ›"]
    seen = []
    for number in (1, 2, 3):
        seen += hit_ids(page(client, f"/?per_page=4&page={number}"))
    assert len(seen) == 10 and len(set(seen)) == 10
    past = page(client, "/?per_page=4&page=9")
    assert "past the last page (3)" in one(past, "p", "empty").text


def test_did_you_mean_links_to_the_corrected_query_with_the_filters(client):
    html = page(client, "/?q=Genevva&year=2013")
    link = one(html, "p", "suggestion")
    assert link.text == "Did you mean Geneva?"
    href = next(e for e in select(html, "a") if e.text == "Geneva").attrs["href"] or ""
    assert query_of(href) == [("year", "2013"), ("q", "Geneva")]
    assert result_count(page(client, href)) == (3, 2)


def test_no_hits_explains_why_and_hides_empty_facets(client):
    html = page(client, "/?q=zebra&speaker=John+Kerry")
    assert result_count(html) == (0, 0)
    assert "Nothing matches zebra with these filters." in one(html, "div", "empty").text
    # The selected value stays listed (to be removed); facets with no values are left out.
    speakers = facet_links(html, "speaker")
    assert list(speakers) == ["John Kerry"] and facet_count(speakers["John Kerry"]) == 0
    assert select(html, "section", "facet", data_facet="role") == []
    assert select(html, "div", "toolbar") == []
    common = page(client, "/?q=the+of")
    assert "Very common words such as the, and or of are not indexed" in one(common, "div", "empty").text


def test_empty_form_fields_redirect_to_the_clean_url(client):
    response = client.get("/?q=Geneva&from=&to=&speaker=")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=Geneva"
    assert client.get("/?q=").headers["Location"] == "/"


def test_kwic_lines_centre_every_match_and_sort_by_left_or_right_word(client):
    html = page(client, "/?q=Geneva&view=kwic")
    rows = select(html, "tr", "kwic-line")
    assert len(rows) == 3
    assert {e.text for e in select(html, "td", "kwic-key")} == {"Geneva"}
    kerry = next(r for r in rows if r.attrs["data-hit-id"] == "t-kerry:2")
    assert kerry.text == (
        "2013-05-07 John Kerry We have both embraced, in the Geneva Communique, a common approach to Syria."
    )
    by_left = page(client, "/?q=Geneva&view=kwic&kwic_sort=left")
    assert [r.attrs["data-hit-id"] for r in select(by_left, "tr", "kwic-line")] == [
        "t-lavrov:1",  # "The | Geneva"
        "t-lavrov:0",  # "… for the | Geneva"
        "t-kerry:2",  # "… in the | Geneva"
    ]
    by_right = page(client, "/?q=Geneva&view=kwic&kwic_sort=right")
    assert [r.attrs["data-hit-id"] for r in select(by_right, "tr", "kwic-line")] == [
        "t-kerry:2",  # "Geneva | Communique"
        "t-lavrov:1",  # "Geneva | conference is"
        "t-lavrov:0",  # "Geneva | conference on"
    ]
    assert "/t/t-kerry?q=Geneva&view=kwic&kwic_sort=right&at=2#u2" in [e.attrs["href"] for e in select(by_right, "a")]


def test_kwic_joins_a_phrase_into_one_keyword_and_keeps_facets(client):
    html = page(client, "/?q=%22Geneva+Communique%22&view=kwic")
    assert [e.text for e in select(html, "td", "kwic-key")] == ["Geneva Communique"]
    assert facet_links(html, "speaker").keys() == {"John Kerry"}
    assert [e.text for e in segmented_links(html, "View") if e.attrs.get("aria-current")] == ["KWIC"]


def test_kwic_without_a_query_explains_itself(client):
    html = page(client, "/?view=kwic")
    assert "Type a query above" in html
    assert select(html, "tr", "kwic-line") == []


@pytest.fixture
def many_lines_client(tmp_path: Path) -> Iterator[FlaskClient]:
    """An index with 150 KWIC lines for "Geneva": 30 turns of five matches each."""
    path = tmp_path / "many"
    turns = [
        ("Vladimir Putin", "President of Russia", f"Turn {n}: Geneva a, Geneva b, Geneva c, Geneva d, Geneva e.")
        for n in range(30)
    ]
    index_transcripts(path, [make_transcript("t-many", "Many", dt.date(2015, 3, 4), turns)])
    app = create_app(Settings(index_dir=path))
    yield app.test_client()
    app.extensions["verbatim"].close()


def kwic_rows(html: str) -> list[str]:
    """Each KWIC line as "hit id: left | keyword | right"."""
    return [
        f"{row.attrs['data-hit-id']}: {within(row, 'td', 'kwic-left')[0].text} | "
        f"{within(row, 'td', 'kwic-key')[0].text} | {within(row, 'td', 'kwic-right')[0].text}"
        for row in select(html, "tr", "kwic-line")
    ]


def pager_labels(html: str) -> list[str]:
    return [e.text for e in within(one(html, "nav", "pager"), "li")]


def test_kwic_in_hit_order_pages_without_counting_every_line(many_lines_client):
    first = page(many_lines_client, "/?q=Geneva&view=kwic")
    rows = kwic_rows(first)
    assert len(rows) == 100
    assert rows[0] == "t-many:0: Turn 0: | Geneva | a, Geneva b, Geneva c, Geneva d, Geneva e."
    assert rows[99] == "t-many:19: Turn 19: Geneva a, Geneva b, Geneva c, Geneva d, | Geneva | e."
    assert one(first, "p", "kwic-count").text == (
        "Lines 1–100, in hit order (sort by the left or right word to count them all)"
    )
    assert pager_labels(first) == ["1", "2", "…", "Next ›"]  # at least two pages; how many is not known yet
    second = page(many_lines_client, "/?q=Geneva&view=kwic&page=2")
    assert len(kwic_rows(second)) == 50
    assert kwic_rows(second)[0].startswith("t-many:20: Turn 20: | Geneva | a,")
    assert one(second, "p", "kwic-count").text == "150 lines, showing 101–150"  # the end was reached
    assert pager_labels(second) == ["‹ Previous", "1", "2"]
    past = page(many_lines_client, "/?q=Geneva&view=kwic&page=5")
    assert "past the last page of lines" in one(past, "p", "empty").text


def test_kwic_sorted_by_a_context_word_counts_every_line(many_lines_client):
    html = page(many_lines_client, "/?q=Geneva&view=kwic&kwic_sort=right")
    assert one(html, "p", "kwic-count").text == "150 lines, showing 1–100"
    assert pager_labels(html) == ["1", "2", "Next ›"]
    rights = [row.split(" | ")[2] for row in kwic_rows(html)]
    assert rights[:30] == ["a, Geneva b, Geneva c, Geneva d, Geneva e."] * 30
    assert rights[30] == "b, Geneva c, Geneva d, Geneva e."
    last = page(many_lines_client, "/?q=Geneva&view=kwic&kwic_sort=right&page=2")
    assert [row.split(" | ")[2] for row in kwic_rows(last)] == ["d, Geneva e."] * 20 + ["e."] * 30


def test_kwic_says_when_the_caps_leave_lines_out(many_lines_client, monkeypatch):
    monkeypatch.setattr(views, "KWIC_MAX_LINES", 120)
    html = page(many_lines_client, "/?q=Geneva&view=kwic&kwic_sort=left")
    assert one(html, "p", "kwic-count").text == (
        "120 lines, showing 1–100 · only the first 120 lines are lined up: narrow the search to see all"
    )
    hit_order = page(many_lines_client, "/?q=Geneva&view=kwic&page=2")
    assert one(hit_order, "p", "kwic-count").text == (
        "120 lines, showing 101–120 · only the first 120 lines are lined up: narrow the search to see all"
    )
    assert len(kwic_rows(hit_order)) == 20 and pager_labels(hit_order) == ["‹ Previous", "1", "2"]
    monkeypatch.setattr(views, "KWIC_MAX_HITS", 10)
    few = page(many_lines_client, "/?q=Geneva&view=kwic")
    assert one(few, "p", "kwic-count").text == (
        "50 lines · only the lines of the first 10 hits are lined up: narrow the search to see all"
    )


# --- the transcript page


def test_transcript_shows_metadata_and_every_turn_anchored(client, transcripts):
    html = page(client, "/t/t-kerry")
    assert one(html, "h1").text == "Meeting with US Secretary of State John Kerry"
    assert one(html, "p", "transcript-meta").text == "7 May 2013 · The Kremlin, Moscow"
    assert [e.attrs["id"] for e in select(html, "section", "turn")] == [f"u{i}" for i in range(5)]
    turn = one(html, "section", id="u2")
    assert turn.text.startswith("John Kerry US Secretary of State ¶ 2 Cite")
    assert within(turn, "div", "turn-text")[0].text.startswith("We have both embraced")
    assert "narration" not in turn.attrs["class"]
    assert "kind-narration" in one(html, "section", id="u0").classes
    topics = [e.attrs["href"] for e in select(html, "a") if (e.attrs.get("href") or "").startswith("/?topic=")]
    assert topics == ["/?topic=Foreign+policy"]


def test_transcript_from_a_search_marks_hits_with_previous_and_next_links(client):
    html = page(client, "/t/t-lavrov?q=Geneva")
    hits = [e.attrs["id"] for e in select(html, "section", "has-hit")]
    assert hits == ["u0", "u1"]
    assert one(html, "nav", "hit-index").text == "2 turns match Geneva: 1 2"
    assert "<mark>Geneva</mark> conference on Syria" in html
    assert [e.attrs["href"] for e in select(html, "a", "next-hit")] == ["#u1"]
    assert [e.attrs["href"] for e in select(html, "a", "prev-hit")] == ["#u0"]
    crumbs = one(html, "p", "crumbs")
    assert "Search results for “Geneva”" in crumbs.text


def test_transcript_with_a_query_that_matches_nothing_says_so(client):
    html = page(client, "/t/t-economy?q=Geneva")
    assert "No turn in this transcript matches Geneva" in one(html, "nav", "hit-index").text
    assert select(html, "section", "has-hit") == []


def test_a_web_source_is_linked_and_a_file_source_shows_its_name_only(tmp_path, transcripts, client):
    assert one(page(client, "/t/t-kerry"), "p", "source").text == "Source: t-kerry.txt · JSON"
    path = tmp_path / "web-sources"
    kerry = dataclasses.replace(transcripts[0], source="http://en.kremlin.ru/events/president/news/17890")
    lavrov = dataclasses.replace(transcripts[1], source="/srv/corpus/2013/lavrov.txt")
    index_transcripts(path, [kerry, lavrov])
    app = create_app(Settings(index_dir=path))
    try:
        web = app.test_client()
        source = one(page(web, "/t/t-kerry"), "p", "source")
        link = within(source, "a", "source-link")[0]
        assert link.text == kerry.source and link.attrs["href"] == kerry.source
        assert set((link.attrs["rel"] or "").split()) == {"external", "noopener", "noreferrer"}
        file_source = one(page(web, "/t/t-lavrov"), "p", "source")
        assert file_source.text == "Source: lavrov.txt · JSON" and not within(file_source, "a", "source-link")
    finally:
        app.extensions["verbatim"].close()


def test_unknown_transcript_is_a_404_page(client):
    html = page(client, "/t/no-such-thing", 404)
    assert "no transcript with the id “no-such-thing”" in one(html, "p", "message").text


def test_transcript_with_a_malformed_query_still_shows_the_transcript(client):
    html = page(client, '/t/t-kerry?q=%22unclosed', 400)
    assert "unclosed quote" in one(html, "div", "alert").text
    assert len(select(html, "section", "turn")) == 5


# --- bad input: the page with a message, never a 500


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?year=20x", "year must be four digits like 2013, got '20x'"),
        ("/?sort=loudest", "unknown sort 'loudest'"),
        ("/?page=0", "page must be between 1 and 10000, got 0"),
        ("/?per_page=abc", "per_page must be a whole number, got 'abc'"),
        ("/?from=2013-13-01", "from must be a date like 2013-05-07 or a year like 2013, got '2013-13-01'"),
        ("/?from=2014&to=2013", "the date range is reversed: from 2014-01-01 is after to 2013-12-31; swap the two dates"),
        ("/?view=table", "unknown view 'table': use one of results, kwic"),
        ("/?q=Geneva&view=kwic&kwic_sort=middle", "unknown kwic_sort 'middle': use one of left, right"),
        ("/?mode=fuzzy", "unknown mode 'fuzzy': use one of keyword, semantic, hybrid"),
        ("/?q=" + "x" * 2001, "query too long: 2001 characters"),
    ],
)
def test_bad_parameters_give_the_page_with_a_message(client, url, message):
    html = page(client, url, 400)
    alert = one(html, "div", "alert")
    assert message in alert.text
    assert one(html, "input", id="q") is not None


def test_malformed_query_shows_where_it_went_wrong(client):
    html = page(client, "/?q=speaker%3A%22John", 400)
    assert "unclosed quote at position 8" in one(html, "div", "alert").text
    assert one(html, "span", "error-at").text == '"John'
    assert one(html, "input", id="q").attrs["value"] == 'speaker:"John'


def test_a_bad_filter_can_be_removed_from_its_chip(client):
    html = page(client, "/?q=Geneva&year=20x", 400)
    chip = one(html, "a", "chip")
    assert query_of(chip.attrs["href"] or "") == [("q", "Geneva")]
    assert client.get(chip.attrs["href"]).status_code == 200


@pytest.mark.parametrize("url", ["/nowhere", "/t/", "/static/nothing.css"])
def test_unknown_urls_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_wrong_method_is_a_405_page(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "Method Not Allowed" in response.get_data(as_text=True)


# --- safety: escaping, CSP, nothing from other hosts


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    """An index whose every field tries to inject markup."""
    path = tmp_path / "hostile"
    evil = '<img src=x onerror="alert(1)">'
    index_transcripts(
        path,
        [
            make_transcript(
                "t-evil",
                f"Title {evil}",
                dt.date(2015, 1, 2),
                [(f"Speaker {evil}", f"Role {evil}", f"Text about sanctions {evil} <mark>fake</mark>")],
                place=f"Place {evil}",
                topics=(f"Topic {evil}",),
                geography=(f"Land {evil}",),
            )
        ],
    )
    return path


def test_everything_from_the_index_is_escaped(hostile_index):
    app = create_app(Settings(index_dir=hostile_index))
    client = app.test_client()
    try:
        for url in ("/?q=sanctions", "/", "/?q=sanctions&view=kwic", "/t/t-evil?q=sanctions", "/t/t-evil"):
            html = page(client, url)
            assert "<img" not in html, url
            assert "<mark>fake</mark>" not in html, url
            assert "&lt;img src=x onerror=" in html, url
        snippet = page(client, "/?q=sanctions")
        marked = "<mark>sanctions</mark> &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;mark&gt;fake&lt;/mark&gt;"
        assert marked in snippet
    finally:
        app.extensions["verbatim"].close()


def test_the_query_is_escaped_wherever_it_is_shown(client):
    html = page(client, "/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    transcript = page(client, "/t/t-lavrov?q=terrorists")
    assert "<mark>Terrorists</mark> &lt;script&gt;alert(1)&lt;/script&gt; must be fought" in transcript


PAGES = ["/", "/?q=Geneva", "/?q=Geneva&view=kwic", "/t/t-kerry?q=Geneva", "/help", "/?year=bad", "/nowhere"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_or_style_and_load_nothing_from_other_hosts(client, url):
    html = client.get(url).get_data(as_text=True)
    for element in parse(html):
        assert "style" not in element.attrs, element
        assert not any(name.startswith("on") for name in element.attrs), element
        if element.tag == "script":
            assert element.attrs.get("src", "").startswith("/static/") and not element.text
        assert element.tag != "style"
        for name in ("src", "href", "action"):
            value = element.attrs.get(name)
            if value is not None and re.match(r"^([a-z]+:)?//", value):
                # Only a link a person follows may lead elsewhere, and it tells the other site nothing.
                rel = set((element.attrs.get("rel") or "").split())
                assert element.tag == "a" and {"noopener", "noreferrer"} <= rel, (url, element)


@pytest.mark.parametrize("url", ["/", "/t/t-kerry", "/api/search?q=Geneva", "/static/verbatim.css", "/nowhere"])
def test_every_response_carries_the_security_headers(client, url):
    with client.get(url) as response:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_static_assets_are_served(client):
    with client.get("/static/verbatim.css") as css:
        assert css.status_code == 200 and css.content_type.startswith("text/css")
    with client.get("/static/verbatim.js") as js:
        assert js.status_code == 200 and "javascript" in js.content_type


def test_help_page_explains_the_query_language(client):
    html = page(client, "/help")
    examples = [e.attrs["href"] for e in select(html, "a") if (e.attrs.get("href") or "").startswith("/?q=")]
    assert "/?q=%22Geneva+Communique%22" in examples
    assert result_count(page(client, "/?q=%22Geneva+Communique%22")) == (1, 1)


# --- a missing index


def test_missing_index_says_how_to_build_it_then_serves_once_built(tmp_path, transcripts):
    path = tmp_path / "later"
    app = create_app(Settings(index_dir=path))
    client = app.test_client()
    html = page(client, "/", 503)
    assert "No index yet" in one(html, "h1").text
    assert "python manage.py reindex samples" in html and str(path) not in html
    response = client.get("/api/search?q=Geneva")
    assert response.status_code == 503 and "no search index yet" in response.get_json()["error"]

    index_transcripts(path, transcripts)
    try:
        assert result_count(page(client, "/?q=Geneva")) == (3, 2)
    finally:
        app.extensions["verbatim"].close()


# --- the serve command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_production_server_on_localhost(index_dir):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "--index", str(index_dir), "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        headers = None
        for _ in range(200):  # up to ~20 s for the interpreter and the index to open
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=Geneva") as response:
                    headers = response.headers
                    body = response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        assert headers is not None, process.communicate()[1]
        # gunicorn's workers, or waitress (ident "verbatim") where gunicorn is missing; not Werkzeug's development server
        assert headers["Server"] in ("gunicorn", "verbatim")
        assert result_count(body) == (3, 2)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert f"Verbatim on http://127.0.0.1:{port}/" in out


def test_serve_help_documents_the_options():
    result = subprocess.run(
        [sys.executable, "manage.py", "serve", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for option in ("--host", "--port", "--debug"):
        assert option in result.stdout

"""Real-browser tests: Playwright drives Debian's Chromium against the real server on a real index.

Screenshots go to tests/artifacts/ (git-ignored). Never run `playwright install`: these
tests use the system Chromium and skip when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from search.engine import Engine
from search.hybrid import SEMANTIC_LIMIT, SemanticIndex
from search.semantic import MiniLMEmbedder
from search.vectors import sync_vectors
from browser_support import DESKTOP, PHONE, new_page, serving, shot
from web import create_app
from settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def semantic_server(index_dir: Path, minilm: MiniLMEmbedder) -> Iterator[str]:
    """The app on the test index with real MiniLM vectors (ten utterances: well under a second)."""
    sync_vectors(index_dir, minilm)
    engine = Engine(index_dir, semantic=SemanticIndex(index_dir, minilm))
    try:
        with serving(create_app(Settings(index_dir=index_dir), engine=engine)) as url:
            yield url
    finally:
        engine.close()


def test_type_a_query_and_submit(page, server):
    page.goto(server + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Geneva")
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/?q=Geneva")
    expect(page.locator(".result-count")).to_contain_text("3 utterances in 2 transcripts")
    expect(page.locator("#q")).to_have_value("Geneva")
    expect(page.locator("article.hit mark").first).to_have_text("Geneva")
    shot(page, "search-results")


def test_speaker_facet_changes_results_and_counts(page, server):
    page.goto(server + "/?q=Geneva")
    roles = page.locator("section[data-facet=role] a.facet-value")
    expect(roles).to_have_count(3)
    lavrov = page.locator("section[data-facet=speaker] a.facet-value", has_text="Sergei Lavrov")
    lavrov.click()
    page.wait_for_url("**/?q=Geneva&speaker=Sergei+Lavrov")
    expect(page.locator(".result-count")).to_contain_text("1 utterance in 1 transcript")
    expect(lavrov).to_have_class("facet-value is-selected")
    expect(page.locator(".chip")).to_contain_text("Speaker: Sergei Lavrov")
    expect(roles).to_have_count(1)
    expect(roles.first).to_contain_text("Foreign Minister")
    expect(page.locator("article.hit")).to_have_count(1)
    shot(page, "facet-selected")

    page.go_back()  # the state is the URL: back restores the unfiltered search
    expect(page.locator(".result-count")).to_contain_text("3 utterances in 2 transcripts")
    page.go_forward()
    page.locator(".chip").click()
    expect(page.locator(".result-count")).to_contain_text("3 utterances in 2 transcripts")


def test_open_a_hit_in_context_marks_the_utterance(page, server):
    page.goto(server + "/?q=Geneva")
    page.locator('article[data-hit-id="t-kerry:2"] a.in-context').click()
    page.wait_for_url(server + "/t/t-kerry?q=Geneva&at=2#u2")
    target = page.locator("#u2")
    expect(target).to_be_in_viewport()
    expect(target.locator("mark")).to_have_text("Geneva")
    assert page.evaluate("document.querySelector('#u2').matches(':target')")
    background = "el => getComputedStyle(el).backgroundColor"
    assert target.evaluate(background) != page.locator("#u1").evaluate(background)
    shot(page, "transcript-in-context")

    page.goto(server + "/t/t-lavrov?q=Geneva#u0")
    page.keyboard.press("n")
    page.wait_for_url("**#u1")
    expect(page.locator("#u1")).to_be_in_viewport()
    page.locator("#u1 a.prev-hit").click()
    page.wait_for_url("**#u0")
    assert page.evaluate("document.querySelector('#u0').matches(':target')")


def test_switch_to_kwic_and_sort_by_left_word(page, server):
    page.goto(server + "/?q=Geneva")
    page.get_by_role("group", name="View").get_by_role("link", name="KWIC").click()
    page.wait_for_url("**/?q=Geneva&view=kwic")
    rows = page.locator("tr.kwic-line")
    expect(rows).to_have_count(3)
    page.get_by_role("link", name="Left word").click()
    page.wait_for_url("**kwic_sort=left")
    assert [rows.nth(i).get_attribute("data-hit-id") for i in range(3)] == ["t-lavrov:1", "t-lavrov:0", "t-kerry:2"]
    # The keyword column lines up: every keyword cell starts at the same x.
    boxes = [page.locator("td.kwic-key").nth(i).bounding_box() for i in range(3)]
    assert len({round(box["x"]) for box in boxes}) == 1
    # Left contexts end where the keyword column begins.
    left = page.locator("td.kwic-left span").first.bounding_box()
    assert abs((left["x"] + left["width"]) - boxes[0]["x"]) < 20
    shot(page, "kwic")


def test_histogram_bars_filter_by_year(page, server):
    page.goto(server + "/")
    bars = page.locator("svg a.bar")
    expect(bars).to_have_count(2)
    tall = page.locator('a.bar[data-year="2013"] rect.bar-fill').bounding_box()
    short = page.locator('a.bar[data-year="2014"] rect.bar-fill').bounding_box()
    assert tall["height"] > 3 * short["height"]  # 8 hits against 2
    page.locator('a.bar[data-year="2014"]').click()
    page.wait_for_url("**/?year=2014")
    expect(page.locator(".result-count")).to_contain_text("2 utterances in 1 transcript")
    expect(page.locator('a.bar[data-year="2014"]')).to_have_class("bar is-selected")
    expect(page.locator(".chip")).to_contain_text("Year: 2014")
    shot(page, "histogram")


def test_phone_layout_folds_filters_and_never_scrolls_sideways(browser, server):
    context, page, problems = new_page(browser, viewport=PHONE)
    try:
        for url, name in (
            ("/?q=Geneva", "phone-search"),
            ("/?q=Geneva&view=kwic", "phone-kwic"),
            ("/t/t-lavrov?q=Geneva", "phone-transcript"),
        ):
            page.goto(server + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
            shot(page, name)
        page.goto(server + "/?q=Geneva")
        filters = page.locator("details.filters")
        expect(filters).not_to_have_attribute("open", "")
        page.locator("details.filters > summary").click()
        expect(filters).to_have_attribute("open", "")
        page.locator("section[data-facet=speaker] a.facet-value", has_text="John Kerry").click()
        expect(page.locator(".result-count")).to_contain_text("1 utterance in 1 transcript")
    finally:
        context.close()
    assert problems == []


def test_everything_works_without_javascript(browser, server):
    context, page, problems = new_page(browser, javascript=False)
    try:
        page.goto(server + "/")
        page.locator("#q").fill("Geneva")
        page.locator("#q").press("Enter")
        expect(page.locator(".result-count")).to_contain_text("3 utterances in 2 transcripts")
        expect(page.locator("details.filters")).to_have_attribute("open", "")
        page.locator("input[name=from]").fill("2013-06-01")
        page.get_by_role("button", name="Apply dates").click()
        expect(page.locator(".result-count")).to_contain_text("2 utterances in 1 transcript")
        assert "from=2013-06-01" in page.url and "to=" not in page.url
        page.locator("section[data-facet=speaker] a.facet-value", has_text="Vladimir Putin").click()
        expect(page.locator(".result-count")).to_contain_text("1 utterance in 1 transcript")
        page.locator("a.in-context").first.click()
        expect(page.locator(":target")).to_have_attribute("id", "u0")
        shot(page, "no-javascript")
    finally:
        context.close()
    assert problems == []


def test_switch_to_semantic_mode_and_follow_a_similar_link(browser, semantic_server):
    context, page, problems = new_page(browser)
    try:
        page.goto(semantic_server + "/?q=Geneva")
        modes = page.get_by_role("group", name="Search mode")
        expect(modes.get_by_role("link", name="Keyword")).to_have_attribute("aria-current", "true")
        expect(page.locator("span.badge")).to_have_count(0)  # keyword mode: every hit has the words
        modes.get_by_role("link", name="Semantic").click()
        page.wait_for_url("**/?q=Geneva&mode=semantic")
        expect(modes.get_by_role("link", name="Semantic")).to_have_attribute("aria-current", "true")
        expect(page.locator(".mode-note")).to_contain_text(f"at most {SEMANTIC_LIMIT}. The filter counts and the chart count exactly these hits")
        hits = page.locator("article.hit")
        expect(hits.first).to_be_visible()
        shown = hits.count()
        # Every utterance is somewhat close in meaning; the similarity floor drops the tail of the ten.
        assert 0 < shown < 10
        expect(page.locator("article.hit span.badge")).to_have_count(shown)
        similarities = [float(text.split()[-1]) for text in page.locator("article.hit .score").all_inner_texts()]
        assert len(similarities) == shown and min(similarities) >= MiniLMEmbedder.similarity_floor
        assert set(page.locator("span.badge").all_inner_texts()) == {"semantic"}
        # The turns about Geneva come first; the model knows what they are about.
        assert hits.first.get_attribute("data-hit-id") in {"t-kerry:2", "t-lavrov:0", "t-lavrov:1"}
        shot(page, "semantic-results")

        page.locator("#q").fill("Geneva conference")
        page.locator("#q").press("Enter")  # the mode stays with a new query
        page.wait_for_url("**/?q=Geneva+conference&mode=semantic")
        expect(hits.first).to_be_visible()
        by_meaning = set(page.locator("article.hit").evaluate_all("els => els.map(e => e.dataset.hitId)"))
        expect(page.locator("article.hit span.badge")).to_have_count(len(by_meaning))

        modes.get_by_role("link", name="Hybrid").click()
        page.wait_for_url("**/?q=Geneva+conference&mode=hybrid")
        expect(hits.first).to_be_visible()
        fused = set(page.locator("article.hit").evaluate_all("els => els.map(e => e.dataset.hitId)"))
        # The turns with both words, and what semantic mode found by meaning; the floor keeps out the rest.
        assert {"t-lavrov:0", "t-lavrov:1"} | by_meaning <= fused and len(fused) < 10
        shot(page, "hybrid-results")

        page.goto(semantic_server + "/?q=Geneva&mode=semantic")
        page.locator('article[data-hit-id="t-kerry:2"] a.similar').click()
        page.wait_for_url("**/similar/t-kerry:2")
        expect(page.locator("h1")).to_have_text("Similar in meaning")
        expect(page.locator("article.source-utterance")).to_contain_text("Geneva Communique")
        similar = page.locator("article.hit:not(.source-utterance)")
        expect(similar.first).to_be_visible()
        ids = [similar.nth(i).get_attribute("data-hit-id") for i in range(similar.count())]
        assert ids and not any(hit_id.startswith("t-kerry:") for hit_id in ids)
        shot(page, "similar")
        similar.first.locator("a.in-context").click()
        page.wait_for_url(f"**/t/{ids[0].split(':')[0]}#u{ids[0].split(':')[1]}")
    finally:
        context.close()
    assert problems == []


def test_without_vectors_semantic_modes_are_disabled_and_say_why(browser, server, index_dir):
    context, page, problems = new_page(browser)
    try:
        _disabled_modes(page, server, index_dir)
    finally:
        context.close()
    # The page asking for semantic mode is a 400 (as in the API), which Chromium reports; nothing else.
    assert problems == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]


def _disabled_modes(page, server: str, index_dir: Path) -> None:
    page.goto(server + "/?q=Geneva")
    modes = page.get_by_role("group", name="Search mode")
    expect(modes.get_by_role("link")).to_have_count(1)  # only Keyword is a link
    semantic = modes.locator("[data-mode=semantic]")
    expect(semantic).to_have_attribute("aria-disabled", "true")
    reason = semantic.get_attribute("title") or ""
    assert reason.startswith("Unavailable: ") and str(index_dir) not in reason
    semantic.click()  # nothing happens: it is not a link
    assert page.url == server + "/?q=Geneva"
    expect(page.locator("a.similar")).to_have_count(0)
    expect(page.locator("#mode-reason")).to_be_hidden()
    page.get_by_text("why unavailable?").click()
    expect(page.locator("#mode-reason")).to_contain_text(reason.removeprefix("Unavailable: "))
    shot(page, "modes-disabled")

    page.goto(server + "/?q=Geneva&mode=semantic")
    expect(page.locator(".alert")).to_contain_text("Semantic search is unavailable here:")
    shot(page, "semantic-unavailable")
    page.get_by_role("link", name="Search by keyword instead").click()
    page.wait_for_url(server + "/?q=Geneva")
    expect(page.locator(".result-count")).to_contain_text("3 utterances in 2 transcripts")

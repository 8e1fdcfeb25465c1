"""The newsroom workflow in a real browser (issue 17): Playwright drives Debian's Chromium against the
real server on a real index built by `reindex` from real files. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from flask import Flask

from embedders import WordHashEmbedder
from search.engine import Engine
from search.hybrid import SemanticIndex
from search.vectors import sync_vectors
from web import create_app
from web.embedding import start_background_embedding
from settings import Settings

from browser_support import DESKTOP, new_page, serving, shot
from helpers import site_samples, reindexed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The bundled samples, with the seed renamed to its site id so it has an original URL."""
    return site_samples(tmp_path / "corpus")


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Path:
    return reindexed(tmp_path / "index", corpus)

ORIGINAL = "https://en.kremlin.ru/events/president/news/17890"
PUBLIC = "https://verbatim.example.net"


@pytest.fixture
def app(built: Path) -> Iterator[Flask]:
    app = create_app(Settings(index_dir=built, base_url=PUBLIC))
    yield app
    app.extensions["verbatim"].close()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context, page, problems = new_page(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.problems = problems  # a test that expects an error status clears what it caused
    yield page
    context.close()
    assert problems == []


def test_search_to_copied_citation_in_two_clicks(page, server):
    page.goto(server + "/?q=%22Geneva+Communique%22")
    hit = page.locator("article.hit").first
    hit.locator("details.cite summary").click()  # click 1: open the citation
    citation = hit.locator(".cite-text").first
    expect(citation).to_be_visible()
    expect(citation).to_contain_text(ORIGINAL)
    hit.get_by_role("button", name="Copy citation").click()  # click 2: copy it
    expect(hit.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert ORIGINAL in copied and f"Passage: {PUBLIC}/t/kremlin-17890#u" in copied
    assert copied == citation.inner_text().strip()
    shot(page, "newsroom-cite-copied")
    hit.get_by_role("button", name="Copy Chicago").click()
    chicago = page.evaluate("navigator.clipboard.readText()")
    assert "President of Russia, en.kremlin.ru, May 7, 2013, " + ORIGINAL in chicago


def test_citation_is_readable_without_javascript(browser, server):  # noqa: F811
    context, page, problems = new_page(browser, javascript=False)
    try:
        page.goto(server + "/t/kremlin-17890")
        turn = page.locator("section.turn").nth(2)
        expect(turn.locator("button.copy").first).to_be_hidden()  # nothing to press without the script
        turn.locator("details.cite summary").click()
        expect(turn.locator(".cite-text").first).to_be_visible()
        expect(turn.locator(".cite-text").first).to_contain_text(ORIGINAL)
        expect(page.locator("p.original a")).to_have_attribute("href", ORIGINAL)
        shot(page, "newsroom-cite-no-js")
    finally:
        context.close()
    assert problems == []


def test_follow_this_search_is_an_atom_feed(page, server):
    page.goto(server + "/?q=Syria&speaker=John+Kerry&sort=date")
    link = page.get_by_role("link", name="Follow this search")
    expect(link).to_have_attribute("href", "/feed.atom?q=Syria&speaker=John+Kerry")
    shot(page, "newsroom-follow-link")
    response = page.request.get(server + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.body())
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry")
    assert entries and {e.findtext(f"{atom}author/{atom}name") for e in entries} == {"John Kerry"}
    assert root.find(f"{atom}link[@rel='alternate']").get("href").startswith(PUBLIC + "/?q=Syria")


def test_back_to_results_keeps_filters_mode_sort_and_page(page, server):
    start = "/?q=year&sort=date&per_page=2&page=2"
    page.goto(server + start)
    page.locator("a.in-context").first.click()
    page.wait_for_url("**/t/**")
    back = page.locator("a.back-to-results")
    expect(back).to_have_text("← Search results for “year”")
    back.click()
    page.wait_for_url(server + start)
    expect(page.locator(".pager a.current")).to_have_text("2")
    shot(page, "newsroom-back-to-results")


def test_the_date_range_is_at_the_top_and_takes_a_year(page, server):
    page.goto(server + "/?q=year")
    dates = page.locator(".timeline .dates")
    box = dates.bounding_box()
    assert box["y"] + box["height"] < DESKTOP["height"]  # in the first screen, beside the histogram
    page.locator('input[name="from"]').fill("2018")
    page.locator('input[name="to"]').fill("2018")
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_url("**from=2018**")
    expect(page.locator(".chip").first).to_contain_text("From: 2018")
    years = page.locator("section[data-facet=year] .facet-label").all_inner_texts()
    assert years == ["2018"]
    shot(page, "newsroom-year-range")

    page.locator('input[name="from"]').fill("2019")
    page.get_by_role("button", name="Apply dates").click()
    expect(page.locator("div.alert")).to_contain_text("the date range is reversed")
    shot(page, "newsroom-reversed-dates")
    assert page.problems == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
    page.problems.clear()


def test_focus_stays_on_the_chosen_filter_and_a_skip_link_reaches_the_results(page, server):
    page.goto(server + "/?q=Moscow")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop after the skip target is in the results, not the filters
    inside = page.evaluate("!!document.activeElement.closest('section.results')")
    assert inside
    option = page.locator("section[data-facet=speaker] a.facet-value").nth(1)
    key = option.get_attribute("data-focus-key")
    option.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**speaker=**")
    assert page.evaluate("document.activeElement.getAttribute('data-focus-key')") == key
    shot(page, "newsroom-focus-kept")


def test_a_search_without_hits_offers_meaning_search_and_the_quote_finder(page, server):
    page.goto(server + "/?q=zebrafish+marmalade")
    expect(page.locator("li.try-quote a")).to_have_attribute("href", "/quote?q=zebrafish+marmalade")
    expect(page.locator("li.try-meaning")).to_contain_text("Search by meaning")
    shot(page, "newsroom-zero-hits")


def test_trend_chart_compares_terms_per_10000_words(page, server):
    page.goto(server + "/?q=Moscow")
    page.get_by_role("link", name="Use over time, per 10,000 words →").click()
    page.wait_for_url("**/trend?q=Moscow")
    page.locator('.trend-form input[name="q"]').nth(1).fill("quotas")
    page.get_by_role("button", name="Draw").click()
    page.wait_for_url("**/trend?q=Moscow&q=quotas**")
    expect(page.locator("svg g.series")).to_have_count(2)
    expect(page.locator("table.trend-table thead th")).to_have_text(["Year", "Moscow", "quotas"])
    shot(page, "newsroom-trend")


def test_kwic_export_downloads_the_concordance_lines_with_a_bom(page, server):
    page.goto(server + "/?q=Moscow&view=kwic")
    lines = page.locator("tr.kwic-line").count()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV (lines)").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["left", "match", "right"] and len(rows) - 1 == lines


class GatedEmbedder(WordHashEmbedder):
    """The tests' word-hash embedder that waits for a signal before each batch: progress to watch."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.go.wait(timeout=30)
        return super().encode(texts)


def test_keyword_search_works_while_embeddings_are_computed(browser, built):  # noqa: F811
    embedder = GatedEmbedder()
    engine = Engine(built, semantic=SemanticIndex(built, embedder))
    app = create_app(Settings(index_dir=built), engine=engine)
    thread = start_background_embedding(app, embedder)
    context, page, problems = new_page(browser)
    try:
        with serving(app) as url:
            page.goto(url + "/?q=Moscow")
            expect(page.locator("p.embedding-note")).to_contain_text("Meaning search is being prepared")
            expect(page.locator("article.hit").first).to_be_visible()
            expect(page.locator('.modes [data-mode="semantic"]')).to_have_class("mode-off")
            shot(page, "newsroom-embedding-progress")
            embedder.go.set()
            thread.join(timeout=60)
            page.reload()
            expect(page.locator("p.embedding-note")).to_have_count(0)
            expect(page.locator('.modes a[data-mode="semantic"]')).to_be_visible()
            page.wait_for_load_state("load")
            context.close()  # before the server stops, so no request of the page is cut off
    finally:
        context.close()
        engine.close()
    assert problems == []


def test_a_semantic_hit_in_context_marks_the_passage(browser, built, minilm):  # noqa: F811
    sync_vectors(built, minilm)
    engine = Engine(built, semantic=SemanticIndex(built, minilm))
    context, page, problems = new_page(browser)
    try:
        with serving(create_app(Settings(index_dir=built), engine=engine)) as url:
            page.goto(url + "/?q=purple+elephant+trombone+waffle&mode=semantic")
            expect(page.locator(".result-count")).to_contain_text("0 utterances")  # below the floor: nothing
            page.goto(url + "/?q=fishermen+want+their+own+share+of+the+catch&mode=semantic")
            expect(page.locator("article.hit .score").first).to_contain_text("similarity 0.")
            expect(page.locator(".mode-note")).to_contain_text("similarity of at least 0.34")
            shot(page, "newsroom-semantic-scores")
            page.locator("a.in-context").first.click()
            page.wait_for_url("**passage=**")
            expect(page.locator("mark.passage").first).to_be_visible()
            expect(page.locator(".arrival-note")).to_contain_text("close in meaning")
            expect(page.locator("section.turn.is-arrival")).to_be_in_viewport()
            shot(page, "newsroom-semantic-passage")
            page.locator("a.back-to-results").click()
            page.wait_for_url("**mode=semantic**")
            page.wait_for_load_state("load")
            context.close()  # before the server stops, so no request of the page is cut off
    finally:
        context.close()
        engine.close()
    assert problems == []

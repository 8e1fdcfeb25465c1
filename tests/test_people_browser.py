"""Real browser (Playwright + Debian's Chromium) on /people and a person page, and the speaker
facet's filter box on the search page; screenshots to tests/artifacts/."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from helpers import PAGES, people_page

from index.reindex import reindex
from browser_support import ARTIFACTS, serving
from web import create_app
from settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, page in PAGES.items():
        (corpus / f"{name}.txt").write_text(people_page(*page), encoding="utf-8")
    reindex(tmp_path / "index", [corpus])
    app: Flask = create_app(Settings(index_dir=tmp_path / "index"))
    try:
        with serving(app) as url:
            yield url
    finally:
        with contextlib.suppress(Exception):
            app.extensions["verbatim"].close()


def test_people_and_person_page(browser, server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{server}/people")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    page.get_by_label("Filter by name").fill("ivanov")
    expect(page.get_by_role("link", name="Sergei Ivanov")).to_be_visible()
    expect(page.get_by_role("link", name="Alexander Novak")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "people.png"), full_page=True)

    page.get_by_label("Filter by name").fill("")
    page.get_by_role("link", name="Vladimir Putin").click()
    expect(page.get_by_role("heading", name="Vladimir Putin", level=1)).to_be_visible()
    expect(page.locator(".aliases")).to_contain_text("Vladmir Putin")
    expect(page.locator(".roles table")).to_contain_text("President of Russia")
    page.get_by_label("How often does Vladimir Putin say").fill("oil")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".trend-table")).to_contain_text("2016")
    page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)

    page.get_by_label("Search what Vladimir Putin said").fill("prices")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.locator(".hit").first).to_contain_text("Vladimir Putin")
    assert errors == []


def test_speaker_facet_filter_box(browser, server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/?q=")
    facet = page.locator('section[data-facet="speaker"]')
    facet.get_by_placeholder("Find a speaker…").fill("novak")
    expect(facet.get_by_text("Alexander Novak")).to_be_visible()
    expect(facet.get_by_text("Sergei Ivanov")).to_be_hidden()
    facet.get_by_role("link", name="All speakers →").click()
    expect(page).to_have_url(f"{server}/people")

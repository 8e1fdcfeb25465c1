"""Real-browser tests of the quote finder: Playwright drives Debian's Chromium against the real
server on the real test index (tests/conftest.py's transcripts).

Screenshots go to tests/artifacts/ (git-ignored). Never run `playwright install`: these tests
use the system Chromium and skip when it is absent.
"""

from __future__ import annotations

import pytest

from browser_support import PHONE, new_page, serving, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

# Kerry's line in t-kerry, as a newspaper might print it: an omission and an editor's word.
PRINTED = "We have … embraced, in the Geneva Communiqué, a [shared] approach to Syria"


def test_paste_a_quote_with_an_ellipsis_and_see_its_source(page, server):
    page.goto(server + "/quote")
    page.fill("#quote-q", PRINTED)
    page.click(".quote-form button[type=submit]")
    page.wait_for_url(server + "/quote?q=*")
    top = page.locator(".quote-match").first
    expect(top.locator(".badge.verdict")).to_have_text("Verbatim")
    expect(top.locator(".speaker")).to_have_text("John Kerry")
    expect(top.locator("del.omitted")).to_have_text("both")
    expect(top.locator("del.changed")).to_have_text("common")
    expect(top.locator("ins.changed")).to_have_text("[shared]")
    expect(top.locator("a.in-context")).to_have_attribute("href", "/t/t-kerry#u2")
    # The textarea keeps the quote, so it can be edited and asked again.
    expect(page.locator("#quote-q")).to_have_value(PRINTED)
    shot(page, "quote-verbatim")
    top.locator("a.in-context").click()
    page.wait_for_url(server + "/t/t-kerry#u2")


def test_a_fabricated_quote_shows_no_source(page, server):
    page.goto(server + "/quote")
    page.fill("#quote-q", "Our nuclear submarines will patrol the Geneva lake every Sunday")
    page.click(".quote-form button[type=submit]")
    page.wait_for_url(server + "/quote?q=*")
    expect(page.locator(".result-count")).to_contain_text("No source found")
    expect(page.locator(".quote-match")).to_have_count(0)
    shot(page, "quote-fabricated")


def test_the_link_by_the_search_box_reaches_the_quote_finder_by_keyboard(page, server):
    page.goto(server + "/?q=Geneva")
    page.locator("a.quote-link").click()
    page.wait_for_url(server + "/quote")
    expect(page.locator("h1")).to_have_text("Find the source of a quote")
    # Keyboard only: the textarea is reachable and the form submits from the button.
    page.locator("#quote-q").focus()
    page.keyboard.type("the Communique remains our basis")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/quote?q=*")
    expect(page.locator(".quote-match").first.locator(".speaker")).to_have_text("Sergei Lavrov")


def test_quote_page_on_a_phone_without_javascript(browser, server):
    context, page, problems = new_page(browser, viewport=PHONE, javascript=False)
    try:
        page.goto(server + "/quote?q=" + "We+have+%E2%80%A6+embraced%2C+in+the+Geneva+Communique")
        expect(page.locator(".quote-match").first.locator(".badge.verdict")).to_have_text("Verbatim")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
        shot(page, "quote-phone-nojs")
    finally:
        context.close()
    assert problems == []

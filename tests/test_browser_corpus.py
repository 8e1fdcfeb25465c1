"""A corpus of one's own in the real browser: UN speeches as plain text with a manifest and a
verbatim.toml declaring two facets, indexed by `manage.py reindex`, searched in Chromium.

Screenshots go to tests/artifacts/ (git-ignored). Skips without /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from manage import cli
from browser_support import serving, shot
from web import create_app
from settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SPEECHES = {
    "ARG_66_2011.txt": "The Security Council must be reformed.\n\nArgentina reaffirms its rights.\n",
    "NOR_67_2012.txt": "Norway supports the Security Council.\n\nPeace in the Middle East.\n",
    "NOR_68_2013.txt": "The Security Council failed Syria.\n",
    "FRA_67_2012.txt": "La France soutient le Conseil de sécurité. The Security Council must act.\n",
}
MANIFEST = (
    "file\tcountry\tsession\tyear\tname\tpost\n"
    "ARG_66_2011.txt\tARG\t66\t2011\tCristina Fernández de Kirchner\tPresident\n"
    "NOR_67_2012.txt\tNOR\t67\t2012-09\tJonas Gahr Støre\tMinister for Foreign Affairs\n"
    "NOR_68_2013.txt\tNOR\t68\t2013-09-27\tBørge Brende\tMinister for Foreign Affairs\n"
    "FRA_67_2012.txt\tFRA\t67\t2012-09-25\tFrançois Hollande\tPresident\n"
)
TOML = """manifest = "manifest.tsv"
[fields]
date = "year"
speaker = "name"
role = "post"
[facets]
country = "country"
session = "session"
"""


@pytest.fixture(scope="module")
def un_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The speeches indexed in one command, as the README's "Bring your own corpus" says."""
    root = tmp_path_factory.mktemp("un")
    corpus = root / "un"
    corpus.mkdir()
    for name, text in SPEECHES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.tsv").write_text(MANIFEST, encoding="utf-8")
    (corpus / "verbatim.toml").write_text(TOML, encoding="utf-8")
    result = CliRunner().invoke(cli, ["reindex", str(corpus), "--index", str(root / "index")])
    assert result.exit_code == 0, result.output
    return root / "index"


@pytest.fixture(scope="module")
def server(un_index: Path) -> Iterator[str]:
    with serving(create_app(Settings(index_dir=un_index))) as url:
        yield url


def facet_counts(page, name: str) -> dict[str, str]:
    values = page.locator(f'section.facet[data-facet="{name}"] a.facet-value')
    return {values.nth(i).locator(".facet-label").inner_text(): values.nth(i).locator(".count").inner_text()
            for i in range(values.count())}


def test_declared_facets_in_the_sidebar_filter_with_a_chip(page, server):
    page.goto(server + "/?q=council")
    expect(page.locator(".result-count")).to_contain_text("4 utterances in 4 transcripts")
    expect(page.locator("#facet-country")).to_have_text("Country")
    assert facet_counts(page, "country") == {"NOR": "2", "ARG": "1", "FRA": "1"}
    assert facet_counts(page, "session") == {"67": "2", "66": "1", "68": "1"}
    shot(page, "corpus-facets")

    page.locator('section.facet[data-facet="country"] a.facet-value', has_text="NOR").click()
    page.wait_for_url("**country=NOR**")
    expect(page.locator(".result-count")).to_contain_text("2 utterances in 2 transcripts")
    expect(page.locator(".chips a.chip")).to_have_text(["Country: NOR× (remove)"])
    assert sorted(page.locator("article.hit .speaker").all_inner_texts()) == ["Børge Brende", "Jonas Gahr Støre"]
    assert facet_counts(page, "session") == {"67": "1", "68": "1"}
    shot(page, "corpus-facet-selected")

    page.locator(".chips a.chip").click()
    page.wait_for_url(server + "/?q=council")
    expect(page.locator(".chips")).to_have_count(0)


def test_partial_dates_are_shown_at_their_precision_and_overlap_a_range(page, server):
    page.goto(server + "/?q=council&sort=date")
    dates = page.locator(".group-meta time")
    expect(dates).to_have_text(["2011", "September 2012", "25 September 2012", "27 September 2013"])
    assert dates.evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))") == ["2011", "2012-09", "2012-09-25", "2013-09-27"]
    bars = page.locator("figure.histogram a.bar")
    assert bars.evaluate_all("bs => bs.map(b => b.dataset.year)") == ["2011", "2012", "2013"]
    expect(page.locator('figure.histogram a.bar[data-year="2012"]')).to_have_attribute("aria-label", "2012: 2 hits")

    # A range inside September 2012 holds the speech dated only `2012-09`, and the whole year 2011 that one.
    page.goto(server + "/?q=council&from=2012-09-10&to=2012-09-20")
    expect(page.locator(".group-meta time")).to_have_text(["September 2012"])
    page.goto(server + "/?q=council&from=2011-06-01&to=2011-06-30")
    expect(page.locator(".group-meta time")).to_have_text(["2011"])
    shot(page, "corpus-partial-dates")

    # Bounds written like the corpus's dates fill the date inputs with whole days, and applying them keeps them.
    page.goto(server + "/?q=council&from=2012&to=2012-09")
    expect(page.locator('input[name="from"]')).to_have_value("2012-01-01")
    expect(page.locator('input[name="to"]')).to_have_value("2012-09-30")
    expect(page.locator(".group-meta time")).to_have_text(["September 2012", "25 September 2012"], ignore_case=False)
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_url("**to=2012-09-30**")
    expect(page.locator(".result-count")).to_contain_text("2 utterances in 2 transcripts")

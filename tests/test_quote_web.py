"""The quote finder's edges: `manage.py quote`, `GET /api/quote` and the `/quote` page, on a real index."""

from __future__ import annotations

import json
from pathlib import Path

from manage import cli

QUOTE = "We have … embraced, in the Geneva Communiqué, a [shared] approach"


def test_api_quote_gives_the_design_json(client):
    response = client.get("/api/quote", query_string={"q": QUOTE})
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"query", "matches"}
    assert data["query"] == QUOTE
    top = data["matches"][0]
    assert set(top) == {"transcript_id", "seq", "speaker", "role", "date", "title", "text", "score", "verdict", "diff"}
    assert (top["transcript_id"], top["seq"], top["verdict"]) == ("t-kerry", 2, "verbatim")
    assert top["text"] == "We have both embraced, in the Geneva Communique, a common approach to Syria."
    assert top["diff"] == [
        {"op": "equal", "quote": "We have", "source": "We have"},
        {"op": "delete", "quote": "…", "source": "both"},
        {"op": "equal", "quote": "embraced, in the Geneva Communiqué, a", "source": "embraced, in the Geneva Communique, a"},
        {"op": "replace", "quote": "[shared]", "source": "common"},
        {"op": "equal", "quote": "approach", "source": "approach"},
    ]


def test_api_quote_without_a_quote_is_400_json(client):
    response = client.get("/api/quote", query_string={"q": "  "})
    assert response.status_code == 400
    assert "paste a quote" in response.get_json()["error"]


def test_a_fabricated_quote_gets_no_source(client):
    data = client.get("/api/quote", query_string={"q": "Our nuclear submarines will patrol the Geneva lake"}).get_json()
    assert [m for m in data["matches"] if m["verdict"] in ("verbatim", "altered")] == []


def test_quote_page_shows_the_diff_with_everything_escaped(client):
    html = client.get("/quote", query_string={"q": "We have both embraced, in the <b>Geneva</b> Communique, a joint approach to Syria"}).get_data(as_text=True)
    assert "&lt;b&gt;Geneva&lt;/b&gt;" in html and "<b>Geneva</b>" not in html
    assert "Altered" in html
    assert '<del class="changed" title="the source says">common</del><ins class="changed" title="the quote says">joint</ins>' in html
    assert 'href="/t/t-kerry#u2"' in html


def test_quote_page_marks_omissions_and_additions(client):
    html = client.get("/quote", query_string={"q": "We have … embraced, in the Geneva Communique, a truly common approach"}).get_data(as_text=True)
    assert '<del class="omitted" title="left out (marked …)">both</del>' in html
    assert '<ins class="added" title="added by the quote">truly</ins>' in html


def test_quote_page_without_a_quote_is_the_form(client):
    html = client.get("/quote").get_data(as_text=True)
    assert "Find the source of a quote" in html and "<textarea" in html


def test_search_page_links_to_the_quote_finder(client):
    assert 'href="/quote">Find the source of a quote</a>' in client.get("/").get_data(as_text=True)


def test_cli_quote_json_equals_the_api(client, runner, index_dir: Path):
    result = runner.invoke(cli, ["--index", str(index_dir), "quote", QUOTE, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == client.get("/api/quote", query_string={"q": QUOTE}).get_json()


def test_cli_quote_prints_verdicts_and_refuses_an_empty_quote(runner, index_dir: Path):
    result = runner.invoke(cli, ["--index", str(index_dir), "quote", QUOTE], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("VERBATIM 1.00  t-kerry:2  2013-05-07  John Kerry, US Secretary of State")
    assert runner.invoke(cli, ["--index", str(index_dir), "quote", " "]).exit_code == 2


def test_an_overlong_quote_is_refused_with_the_reason_not_cut_by_the_browser(client):
    quote = "We have both embraced a common approach. " * 125  # 5,125 characters
    response = client.get("/quote", query_string={"q": quote})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at most 2,000" in html and 'role="alert"' in html
    # A maxlength would make the browser drop all but the first 2,000 characters of a paste, silently.
    assert "maxlength" not in html
    assert quote.strip() in html


def test_help_describes_proximity_as_ordered_as_the_search_does(client):
    html = client.get("/help").get_data(as_text=True)
    assert "in this order, each within five words of the one before" in html
    assert "/?q=%22sanctions+Russia%22~5" in html

    def total(q: str) -> int:
        return client.get("/api/search", query_string={"q": q}).get_json()["total"]

    # "preparations for the Geneva conference on Syria": Syria is 3 words after Geneva.
    assert total('"Geneva Syria"~5') >= 1
    assert total('"Syria Geneva"~5') == 0
    assert total('"Geneva Syria"~2') == 0


def test_help_describes_brackets_inside_a_word_which_the_finder_reads_as_one_word(client):
    assert "<code>[t]he</code>" in client.get("/help").get_data(as_text=True)
    top = client.get("/api/quote", query_string={"q": "[t]he Geneva conference is prepared"}).get_json()["matches"][0]
    assert (top["transcript_id"], top["verdict"]) == ("t-lavrov", "verbatim")
    assert top["diff"] == [{"op": "equal", "quote": "[t]he Geneva conference is prepared", "source": "The Geneva conference is prepared"}]


def test_the_form_states_both_limits_a_quote_can_break(client):
    # 1,900 characters of ordinary prose hold more than 300 words: the word limit is the one met first.
    quote = "We have both embraced a common approach to Syria here. " * 35
    assert len(quote) < 2_000 and len(quote.split()) > 300
    response = client.get("/quote", query_string={"q": quote})
    assert response.status_code == 400 and "(at most 300)" in response.get_data(as_text=True)
    form = client.get("/quote").get_data(as_text=True)
    assert "at most 300 words (2,000 characters)" in form


def test_no_source_says_why_meaning_was_not_compared_without_server_paths(client, index_dir: Path):
    from search.semantic import semantic_available

    # The test index has no vectors: with the model installed, the reason is the missing vectors
    # (the page used to say "the embedding model is not installed" whatever the reason).
    html = client.get("/quote", query_string={"q": "Our nuclear submarines will patrol the Geneva lake"}).get_data(as_text=True)
    assert "No source found" in html and "meaning is not compared on this server: " in html
    if semantic_available():
        assert "no embedding vectors" in html and "manage.py embed" in html
        assert "not installed" not in html
    assert str(index_dir) not in html

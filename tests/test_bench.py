"""`manage.py bench` and its parts: the JSON it prints, corpus replication, and the FTS5 baseline's answers.

Timings are never asserted (they depend on the machine); only that they were taken and are sane.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.analysis.analyzers import CompositeAnalyzer

from index.analysis import name_analyzer, spelling_analyzer, text_analyzer
from index.models import Transcript
from index.parse import iter_transcripts
from index.reindex import reindex
from manage import cli
from bench.run import BenchMismatch, Indexed, Latency, QUERIES, copy_number, mismatch, replica, replicate_corpus, run_bench
from search.engine import Engine
from bench.fts5 import FtsQuery, build_fts5, fts5_search, open_fts5
from search.types import SearchRequest
from settings import DEFAULT_SAMPLES

REQUIRED_KEYS = {
    "utterances", "scale", "index_seconds", "index_tokens_per_s", "index_bytes", "query_p50_ms",
    "query_p95_ms", "fts5_index_tokens_per_s", "fts5_query_p50_ms", "fts5_query_p95_ms",
    "ratio_index", "ratio_p50", "ratio_p95",
}  # fmt: skip


def test_bench_json_at_a_tiny_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERBATIM_INDEX", raising=False)
    args = ["bench", "--corpus", str(DEFAULT_SAMPLES), "--scale", "2", "--repeat", "1", "--no-semantic"]
    result = CliRunner().invoke(cli, [*args, "--workdir", str(tmp_path / "work"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert REQUIRED_KEYS <= set(figures)
    utterances = sum(len(t.utterances) for t in iter_transcripts([DEFAULT_SAMPLES]))
    assert figures["scale"] == 2
    assert figures["utterances"] == 2 * utterances
    assert figures["tokens"] > figures["utterances"] > 0
    assert figures["index_bytes"] > 0 and figures["fts5_index_bytes"] > 0
    assert 0 < figures["index_idle_estimate_seconds"] <= figures["index_cpu_seconds"]
    for prefix in ("query", "fts5_query"):
        assert 0 < figures[f"{prefix}_p50_ms"] <= figures[f"{prefix}_p95_ms"] <= figures[f"{prefix}_max_ms"]
    assert figures["ratio_p95"] == pytest.approx(figures["query_p95_ms"] / figures["fts5_query_p95_ms"], rel=0.01)
    assert len(figures["queries"]) == len(QUERIES) >= 50
    browse = [q for q in figures["queries"] if q["params"] == {"q": ""}]
    assert browse and browse[0]["total"] == browse[0]["fts5_total"] == 2 * utterances
    assert "semantic_p50_ms" not in figures
    assert 0 < figures["quote_p50_ms"] <= figures["quote_p95_ms"] <= figures["quote_max_ms"]
    assert figures["quote_runs"] == 40  # bench.quotes.QUOTES, one timed round


def test_bench_table_names_both_engines(tmp_path: Path) -> None:
    args = ["bench", "--corpus", str(DEFAULT_SAMPLES), "--repeat", "1", "--no-semantic", "--workdir", str(tmp_path)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Verbatim" in result.stdout and "FTS5" in result.stdout
    assert "request p95 (ms)" in result.stdout
    assert "Quote finder p50/p95" in result.stdout


def test_bench_rejects_a_folder_without_transcripts(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["bench", "--corpus", str(tmp_path), "--no-semantic"])
    assert result.exit_code == 2
    assert "no transcript files" in result.output


def test_replicas_get_distinct_ids_and_later_dates(transcripts: list[Transcript]) -> None:
    original = transcripts[0]
    copy = replica(original, 3)
    assert copy.id == "t-kerry~3"
    assert copy.date == original.date + dt.timedelta(days=3)
    assert [u.id for u in copy.utterances] == [f"t-kerry~3:{n}" for n in range(len(original.utterances))]
    assert {u.transcript_id for u in copy.utterances} == {"t-kerry~3"}
    assert [u.text for u in copy.utterances] == [u.text for u in original.utterances]
    assert replica(original, 0) is original


def test_replicated_corpus_has_one_folder_per_copy(tmp_path: Path) -> None:
    folders = replicate_corpus(DEFAULT_SAMPLES, tmp_path, 3)
    assert [copy_number(folder / "x.txt") for folder in folders] == [0, 1, 2]
    names = sorted(p.name for p in DEFAULT_SAMPLES.glob("*.txt"))
    assert all(sorted(p.name for p in folder.glob("*.txt")) == names for folder in folders)


def _linked_samples(folder: Path) -> Path:
    """A corpus folder holding only symbolic links to the sample transcripts."""
    folder.mkdir()
    for path in sorted(DEFAULT_SAMPLES.glob("*.txt")):
        if not path.name.upper().startswith("README"):
            (folder / path.name).symlink_to(path.resolve())
    return folder


def test_replicas_of_symbolic_links_are_the_files_themselves(tmp_path: Path) -> None:
    folders = replicate_corpus(_linked_samples(tmp_path / "links"), tmp_path / "copies", 2)
    copies = [p for folder in folders for p in folder.glob("*.txt")]
    assert copies and not any(p.is_symlink() for p in copies)
    assert len({p.resolve() for p in copies}) == len(copies)
    assert {p.read_bytes() for p in folders[1].glob("*.txt")} == {p.read_bytes() for p in DEFAULT_SAMPLES.glob("*.txt")}


@pytest.mark.slow
def test_a_corpus_of_symbolic_links_is_benchmarked_like_the_real_one(tmp_path: Path) -> None:
    # Once the links made every copy resolve to one file: reindex read it once, FTS5 ten times.
    queries = QUERIES[:3]
    real = run_bench(DEFAULT_SAMPLES, 3, repeat=1, workdir=tmp_path / "real", queries=queries)
    linked = run_bench(_linked_samples(tmp_path / "links"), 3, repeat=1, workdir=tmp_path / "linked", queries=queries)
    utterances = sum(len(t.utterances) for t in iter_transcripts([DEFAULT_SAMPLES]))
    assert (linked.utterances, linked.tokens) == (real.utterances, real.tokens)
    assert linked.utterances == 3 * utterances
    assert [q.total for q in linked.queries] == [q.total for q in real.queries]
    assert [q.fts5_total for q in linked.queries] == [q.total for q in real.queries]


def test_bench_refuses_ratios_when_the_engines_indexed_different_corpora(tmp_path: Path) -> None:
    # Two folders with a file of the same name: one transcript id, so reindex keeps one, FTS5 both.
    corpus = tmp_path / "corpus"
    for folder in ("a", "b"):
        (corpus / folder).mkdir(parents=True)
        (corpus / folder / "sample-1.txt").write_bytes((DEFAULT_SAMPLES / "sample-1.txt").read_bytes())
    with pytest.raises(BenchMismatch, match="our index holds .* utterances of the .* parsed"):
        run_bench(corpus, 1, repeat=1, workdir=tmp_path / "work", queries=QUERIES[:1])
    args = ["bench", "--corpus", str(corpus), "--repeat", "1", "--no-semantic", "--json"]
    result = CliRunner().invoke(cli, [*args, "--workdir", str(tmp_path / "cli")])
    assert result.exit_code == 1
    assert "did not index the same corpus, so no ratio is given" in result.output
    assert "ratio" not in result.stdout.replace("no ratio is given", "")


def test_mismatch_names_every_difference() -> None:
    assert mismatch(Indexed(10, 10, 100), Indexed(10, 10, 100)) is None
    found = mismatch(Indexed(10, 100, 1000), Indexed(100, 100, 10000))
    assert found is not None
    assert "our index holds 10 utterances of the 100 parsed" in found
    assert "our index holds 10 utterances, FTS5 100" in found
    assert "our build was given 1,000 tokens, FTS5's 10,000" in found
    assert mismatch(Indexed(5, 5, 50), Indexed(4, 5, 50)) == "FTS5 holds 4 rows of the 5 utterances parsed; our index holds 5 utterances, FTS5 4"


def test_reindex_reports_a_link_to_a_file_already_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    real = corpus / "sample-1.txt"
    real.write_bytes((DEFAULT_SAMPLES / "sample-1.txt").read_bytes())
    (corpus / "zz-link.txt").symlink_to(real)
    summary = reindex(tmp_path / "index", [corpus], full=True)
    assert summary.same_file == (f"{corpus / 'zz-link.txt'}:0: skipped, it is {real.resolve()} again, already read as {real}",)
    assert summary.transcripts == 1 and not summary.failed
    again = reindex(tmp_path / "index2", [real, corpus], full=True)
    assert [line.split(":0:")[0] for line in again.same_file] == [str(corpus / "zz-link.txt")]
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index3"), "reindex", str(corpus)])
    assert result.exit_code == 0, result.output
    assert f"{corpus / 'zz-link.txt'}:0: skipped, it is {real.resolve()} again" in result.output


def test_latency_percentiles_are_nearest_rank() -> None:
    latency = Latency.of([float(n) for n in range(1, 101)])
    assert (latency.p50_ms, latency.p95_ms, latency.max_ms, latency.runs) == (50.5, 95.0, 100.0, 100)


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "", "speaker": "Vladimir Putin"},
        {"q": "", "year": "2013", "topic": "Foreign policy"},
        {"q": "", "from": "2013-06-01", "to": "2014-12-31"},
        {"q": "", "geography": ["Syria", "United States"], "sort": "date"},
    ],
)
def test_fts5_browsing_answers_like_our_engine(
    tmp_path: Path, index_dir: Path, transcripts: list[Transcript], params: dict[str, object]
) -> None:
    # No text matching involved: the baseline must agree with us on hits, order and every facet count.
    request = SearchRequest.from_params(params)  # type: ignore[arg-type]
    build_fts5(tmp_path / "fts.sqlite3", transcripts)
    connection = open_fts5(tmp_path / "fts.sqlite3")
    try:
        theirs = fts5_search(connection, FtsQuery(None), request)
    finally:
        connection.close()
    with Engine(index_dir) as engine:
        ours = engine.search(request).to_dict()
    assert theirs["total"] == ours["total"]
    assert [h["id"] for h in theirs["hits"]] == [h["id"] for h in ours["hits"]]
    assert theirs["facets"] == ours["facets"]


def test_fts5_matches_words_and_marks_them(tmp_path: Path, transcripts: list[Transcript]) -> None:
    build_fts5(tmp_path / "fts.sqlite3", transcripts)
    connection = open_fts5(tmp_path / "fts.sqlite3")
    try:
        found = fts5_search(connection, FtsQuery("geneva"), SearchRequest.from_params({"q": "geneva"}))
    finally:
        connection.close()
    assert {h["id"] for h in found["hits"]} == {"t-kerry:2", "t-lavrov:0", "t-lavrov:1"}
    assert all("<mark>Geneva</mark>" in h["snippet"] for h in found["hits"])


@pytest.mark.parametrize("make", [text_analyzer, spelling_analyzer, name_analyzer])
def test_cached_analyzer_gives_the_tokens_of_its_chain(make: object, transcripts: list[Transcript]) -> None:
    # The word cache that makes indexing fast must not change a single token.
    assert callable(make)
    cached, plain = make(), CompositeAnalyzer(*make().items)
    texts = [u.text for t in transcripts for u in t.utterances] + ["U.S. and the U.K. don’t; the the", ""]

    def tokens(analyzer: object, text: str, **options: object) -> list[tuple[object, ...]]:
        assert callable(analyzer)
        return [(t.text, t.pos, t.startchar, t.endchar, t.boost) for t in analyzer(text, **options)]

    for _ in range(2):  # the second time every word comes from the cache
        for text in texts:
            options = {"positions": True, "chars": True, "start_pos": 3, "start_char": 7, "boosts": True}
            assert tokens(cached, text, **options) == tokens(plain, text, **options)

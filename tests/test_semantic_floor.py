"""Meaning search returns only hits above a similarity floor; facets and the chart count exactly those
(issue 17, item 5). Real index, real vectors from the tests' word-hash embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import Engine
from search.hybrid import SemanticIndex
from search.semantic import MiniLMEmbedder
from search.types import SearchRequest
from search.vectors import sync_vectors
from web import create_app
from settings import Settings


@pytest.fixture
def embedded(index_dir: Path, embedder) -> Path:
    sync_vectors(index_dir, embedder)
    return index_dir


def semantic(engine: Engine, q: str, mode: str = "semantic"):
    return engine.search(SearchRequest(q=q, mode=mode, per_page=200, facet_limit=0))


def test_without_a_floor_every_utterance_is_somewhat_similar(embedded: Path, embedder):
    with Engine(embedded, semantic=SemanticIndex(embedded, embedder)) as engine:
        assert SemanticIndex(embedded, embedder).floor == 0.0  # the test embedder declares none
        assert semantic(engine, "Geneva conference on Syria").total >= 3


def test_hits_below_the_floor_are_not_returned_and_facets_count_the_rest(embedded: Path, embedder):
    with Engine(embedded, semantic=SemanticIndex(embedded, embedder)) as engine:
        everything = semantic(engine, "Geneva conference on Syria")
    floor = sorted((hit.score for hit in everything.hits), reverse=True)[2]  # the third best
    with Engine(embedded, semantic=SemanticIndex(embedded, embedder, floor=floor)) as engine:
        kept = engine.search(SearchRequest(q="Geneva conference on Syria", mode="semantic", per_page=200))
        nonsense = semantic(engine, "zebra marmalade trombone")
        hybrid = engine.search(SearchRequest(q="Geneva conference on Syria", mode="hybrid", per_page=200))
    assert 0 < kept.total < everything.total
    assert {hit.id for hit in kept.hits} == {hit.id for hit in everything.hits if hit.score >= floor}
    assert all(hit.score >= floor for hit in kept.hits)
    years = next(f for f in kept.facets if f.name == "year")
    assert sum(v.count for v in years.values) == kept.total
    assert nonsense.total == 0
    # Hybrid: keyword hits stay; meaning-only hits obey the floor.
    assert {h.id for h in hybrid.hits if h.matched_by == "semantic"} <= {h.id for h in kept.hits}


def test_the_page_shows_each_hits_similarity_and_the_floor(embedded: Path, embedder):
    engine = Engine(embedded, semantic=SemanticIndex(embedded, embedder, floor=0.2))
    app = create_app(Settings(index_dir=embedded), engine=engine)
    try:
        html = app.test_client().get("/?q=Geneva+conference+on+Syria&mode=semantic").get_data(as_text=True)
    finally:
        engine.close()
    assert "similarity of at least 0.20" in html
    assert html.count('<span class="score muted"') == html.count('class="hit"') > 0


def test_the_model_declares_its_measured_floor():
    assert 0.3 <= MiniLMEmbedder.similarity_floor <= 0.4

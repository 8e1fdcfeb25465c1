"""Shared fixtures: hand-written transcripts, a real Whoosh index built from them in tmp_path,
the Flask app and its test client on it (without and with vectors), and the CLI runner.

Fixtures live here only; helper functions the tests share are in helpers.py (never import this file).

Do not change the fixture data below without updating every test that counts on it;
add new transcripts in new fixtures instead.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from embedders import WordHashEmbedder

from helpers import KERRY, LAVROV, PUTIN, make_transcript
from index.models import Transcript
from index.reindex import index_transcripts
from settings import Settings

if TYPE_CHECKING:  # the web stack and the engine load only in the tests that use these fixtures
    from flask import Flask
    from flask.testing import FlaskClient

    from search.engine import Engine


@pytest.fixture
def transcripts() -> list[Transcript]:
    """Three small transcripts: three speakers, three dates in two years, two places."""
    return [
        make_transcript(
            "t-kerry",
            "Meeting with US Secretary of State John Kerry",
            dt.date(2013, 5, 7),
            [
                ("", "", "Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin."),
                (*PUTIN, "Mr Secretary of State, colleagues, we are very happy to welcome you to Moscow."),
                (*KERRY, "We have both embraced, in the Geneva Communique, a common approach to Syria."),
                (*PUTIN, "Cooperation in the war on terror matters to both our countries."),
                (*KERRY, "Thank you very, very much, Mr President."),
            ],
            place="The Kremlin, Moscow",
            topics=("Foreign policy",),
            geography=("United States",),
        ),
        make_transcript(
            "t-lavrov",
            "Meeting with Foreign Minister Sergei Lavrov",
            dt.date(2013, 11, 20),
            [
                (*PUTIN, "Mr Lavrov, how are the preparations for the Geneva conference on Syria?"),
                (*LAVROV, "The Geneva conference is prepared; the Communique remains our basis."),
                (*LAVROV, "Terrorists <script>alert(1)</script> must be fought together."),
            ],
            place="Novo-Ogaryovo, Moscow Region",
            topics=("Foreign policy", "National security"),
            geography=("Syria",),
        ),
        make_transcript(
            "t-economy",
            "Meeting on economic issues",
            dt.date(2014, 2, 3),
            [
                (*PUTIN, "Economic growth slowed; inflation was the lowest in twenty years."),
                (*PUTIN, "We must support investment and keep inflation low."),
            ],
            place="The Kremlin, Moscow",
            topics=("Economy and finance",),
        ),
    ]


@pytest.fixture
def index_dir(tmp_path: Path, transcripts: list[Transcript]) -> Path:
    """A real Whoosh index on disk holding the `transcripts` fixture."""
    path = tmp_path / "index"
    index_transcripts(path, transcripts)
    return path


@pytest.fixture
def corpus_dir() -> Path:
    """The real corpus named by VERBATIM_CORPUS; tests using it skip without it."""
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return Path(value)


@pytest.fixture
def embedder() -> WordHashEmbedder:
    """The hashed bag-of-words embedder (tests/embedders.py): real vectors without the model."""
    return WordHashEmbedder()


@pytest.fixture
def settings(index_dir: Path) -> Settings:
    """Settings naming the `index_dir` fixture."""
    return Settings(index_dir=index_dir)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app on `index_dir`, which has no vectors: semantic search is off."""
    from web import create_app

    app = create_app(settings)
    yield app
    app.extensions["verbatim"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client on `app`."""
    return app.test_client()


@pytest.fixture
def semantic_engine(index_dir: Path, embedder: WordHashEmbedder) -> Iterator[Engine]:
    """An engine on `index_dir` with vectors from the test embedder: every mode works."""
    from search.engine import Engine
    from search.hybrid import SemanticIndex
    from search.vectors import sync_vectors

    sync_vectors(index_dir, embedder)
    with Engine(index_dir, semantic=SemanticIndex(index_dir, embedder)) as engine:
        yield engine


@pytest.fixture
def semantic_app(settings: Settings, semantic_engine: Engine) -> Flask:
    """The app on `semantic_engine` (closed by that fixture)."""
    from web import create_app

    return create_app(settings, engine=semantic_engine)


@pytest.fixture
def semantic_client(semantic_app: Flask) -> FlaskClient:
    """Flask's test client on `semantic_app`."""
    return semantic_app.test_client()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """click's runner for manage.py, with no $VERBATIM_INDEX leaking in from the environment."""
    monkeypatch.delenv("VERBATIM_INDEX", raising=False)
    return CliRunner()


# --- real browser (Debian's Chromium through Playwright) and the real embedding model


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Chromium for the whole session; skips when it or Playwright is absent."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(app: "Flask") -> Iterator[str]:
    """The `app` fixture served on a free port of 127.0.0.1 (browser tests; modules may serve another app)."""
    from browser_support import serving

    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A desktop page that fails the test on any console or script error; `server` (each browser
    test module's own) outlives the page's last requests."""
    from browser_support import new_page

    context, opened, problems = new_page(browser)
    yield opened
    context.close()
    assert problems == []


@pytest.fixture(scope="session")
def minilm() -> Any:
    """The real embedding model, loaded once for the session (seconds); skips without the extra."""
    from search.semantic import INSTALL_COMMAND, MiniLMEmbedder, semantic_available

    if not semantic_available():
        pytest.skip(f"semantic search needs the [semantic] extra ({INSTALL_COMMAND})")
    embedder = MiniLMEmbedder()
    embedder.model()
    return embedder

"""The embedders (ONNX export for queries, bfloat16 for passages), `embed`'s progress and resume, the speed harness."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from embedders import WordHashEmbedder
from search import vectors
from bench.embed import measure, word_count
from search.semantic import INSTALL_COMMAND, length_batches, semantic_available
from search.vectors import EmbedProgress, ProgressLines, load_store, progress_line, sync_vectors

ROOT = Path(__file__).resolve().parent.parent

needs_extra = pytest.mark.skipif(
    not semantic_available(), reason=f"the [semantic] extra is not installed ({INSTALL_COMMAND})"
)


def test_length_batches_group_texts_of_similar_length_longest_first() -> None:
    texts = ["a", "a b c d e", "a b", "a b c d", "a b c"]
    batches = length_batches(texts, 2)
    assert [row.tolist() for row in batches] == [[1, 3], [4, 2], [0]]


def test_progress_lines_come_every_interval_and_at_the_end() -> None:
    lines: list[str] = []
    report = ProgressLines(lines.append, interval=5.0)
    for seconds, done in ((1.0, 100), (4.0, 400), (6.0, 600), (9.0, 900), (11.5, 1000)):
        report(EmbedProgress(done=done, total=1000, words=done * 60, seconds=seconds))
    assert lines == [
        "embedding: 100/1,000 passages (10%), 100 passages/s, 6,000 words/s, about 9 s left",
        "embedding: 600/1,000 passages (60%), 100 passages/s, 6,000 words/s, about 4 s left",
        "embedding: 1,000/1,000 passages (100%), 87 passages/s, 5,217 words/s, about 0 s left",
    ]


def test_progress_line_says_minutes_and_hours_when_it_is_long() -> None:
    assert progress_line(EmbedProgress(10, 100_000, 600, 10.0)).endswith("about 27.8 h left")
    assert progress_line(EmbedProgress(1000, 10_000, 60_000, 10.0)).endswith("about 2 min left")


class InterruptedEmbedder(WordHashEmbedder):
    """The hashed embedder, interrupted (as by Ctrl+C) on its `calls`-th encode."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.calls = calls

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt
        return super().encode(texts)


def test_an_interrupted_embed_resumes_without_redoing_finished_passages(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "CHECKPOINT_PASSAGES", 3)
    monkeypatch.setattr(vectors, "ENCODE_CHUNK", 2)
    interrupted = InterruptedEmbedder(calls=3)
    with pytest.raises(KeyboardInterrupt):
        sync_vectors(index_dir, interrupted)
    saved = load_store(index_dir)
    assert saved is not None and 0 < len(saved.utterances()) < 10
    finished = set(saved.utterances().tolist())

    resumed = WordHashEmbedder()
    summary = sync_vectors(index_dir, resumed)
    assert summary.added_utterances == 10 - len(finished)
    assert summary.utterances == 10
    assert not finished & {text for text in resumed.encoded}  # nothing finished was encoded again
    assert len(resumed.encoded) == 10 - len(finished)


def test_sync_reports_progress_after_every_chunk(index_dir: Path, embedder: WordHashEmbedder) -> None:
    seen: list[EmbedProgress] = []
    sync_vectors(index_dir, embedder, report=seen.append)
    assert seen and seen[-1].done == seen[-1].total == 10
    assert seen[-1].words == word_count(embedder.encoded)


def test_speed_harness_measures_both_embedders_on_the_same_passages() -> None:
    passages = ["the economy grew by four percent", "sanctions against the banks", "a minute of silence"] * 5
    speed = measure(passages, WordHashEmbedder(), WordHashEmbedder(), rounds=3)
    figures = speed.to_dict()
    assert figures["embed_words"] == word_count(passages) == 5 * (6 + 4 + 4)
    assert figures["embed_rounds"] == 3 and len(speed.baseline) == 3
    assert figures["embed_words_per_s"] > 0 and figures["embed_baseline_words_per_s"] > 0
    assert figures["embed_cosine_mean"] == pytest.approx(1.0)


# --- the real model (needs the extra)


@pytest.mark.slow
@needs_extra
def test_the_model_is_exported_offline_once_and_agrees_with_sentence_transformers(tmp_path: Path) -> None:
    from search import onnx_export
    from search.semantic import MiniLMEmbedder, SentenceTransformerEmbedder

    path = onnx_export.ensure_model(root=tmp_path)
    assert path.parent == tmp_path and path.stat().st_size > 10_000_000
    stamp = path.stat().st_mtime_ns
    assert onnx_export.ensure_model(root=tmp_path) == path and path.stat().st_mtime_ns == stamp
    texts = [
        "terrorist attack at the marathon",
        "We have radically reduced the number of members a party needs to register.",
        "inflation was the lowest in twenty years",
    ]
    ours = MiniLMEmbedder(model_path=path).encode(texts)
    plain = SentenceTransformerEmbedder().encode(texts)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-4)
    assert np.einsum("ij,ij->i", ours, plain).min() > 0.9999


@needs_extra
def test_query_time_embedding_imports_neither_torch_nor_sentence_transformers() -> None:
    # The export (which needs torch) happens once per machine; do it first, in its own process.
    subprocess.run([sys.executable, "-c", "from search import onnx_export; onnx_export.ensure_model()"],
                   cwd=ROOT, check=True, capture_output=True)
    script = (
        "import sys; from search.semantic import MiniLMEmbedder; "
        "vector = MiniLMEmbedder(threads=1).encode(['sanctions against banks'])[0]; "
        "print(vector.shape[0], sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "384 []"


@needs_extra
def test_embed_command_reports_progress_lines_when_not_a_terminal(index_dir: Path) -> None:
    from manage import cli

    result = CliRunner().invoke(cli, ["--index", str(index_dir), "embed"])
    assert result.exit_code == 0, result.output
    assert "embedding: 10/10 passages (100%)" in result.stderr
    assert "Embedded 10 utterances (10 passages)" in result.stdout


def test_every_checkpoint_holds_whole_utterances_whatever_the_chunk_size(
    tmp_path: Path, transcripts: list, embedder: WordHashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from helpers import make_transcript
    from index.reindex import index_transcripts

    long_text = " ".join(f"Sentence number {n} is about the economy of the region." for n in range(12))
    turns = [("Vladimir Putin", "President of Russia", long_text)] * 3
    index_dir = tmp_path / "index"
    index_transcripts(index_dir, [*transcripts, make_transcript("t-long", "Long", dt.date(2013, 5, 7), turns)])
    monkeypatch.setattr(vectors, "CHECKPOINT_PASSAGES", 2)
    monkeypatch.setattr(vectors, "ENCODE_CHUNK", 1)
    saved: list[vectors.VectorStore] = []
    real_save = vectors.save_store
    monkeypatch.setattr(vectors, "save_store", lambda d, store, *a: saved.append(store) or real_save(d, store, *a))
    sync_vectors(index_dir, embedder, max_tokens=20)
    final = load_store(index_dir)
    assert final is not None and len(saved) > 3
    sizes = {uid: len(final.rows_of(uid)) for uid in final.utterances().tolist()}
    assert max(sizes.values()) > 1  # the long turns became several passages each
    for store in saved:
        for uid in store.utterances().tolist():
            assert store.passage_numbers[store.rows_of(uid)].tolist() == list(range(sizes[uid])), uid


@needs_extra
def test_passage_embedder_gives_the_vectors_of_the_plain_encode() -> None:
    from search.semantic import PassageEmbedder, SentenceTransformerEmbedder

    texts = [
        "The terrorist attack in Boston happened during an international sports event.",
        "Twelve investigators were killed on duty in the North Caucasus region.",
        "We have radically reduced this number: now one only needs 500 members to register a party.",
    ]
    ours = PassageEmbedder().encode(texts)
    plain = SentenceTransformerEmbedder().encode(texts)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    assert np.einsum("ij,ij->i", ours, plain).min() > 0.999

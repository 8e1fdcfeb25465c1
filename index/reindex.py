"""Reindexing: parse only new and changed files, delete removed ones, publish the result atomically.

Each utterance document carries the absolute path of its file (`source`) and a hash of the
file's bytes (`content_hash`). A run hashes every file, compares with what the published
generation holds, and builds the next generation from the current one plus the changes;
`full=True` (or a schema change) builds it from nothing. The index then holds exactly the
files found under the given paths, whichever way it was built.

`index_transcripts` publishes transcripts already in memory through the same path, one
"file" per distinct `Transcript.source`: there is no other way to write an index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.writing import NO_MERGE, IndexWriter

from index import people
from index.errors import PruneRefused, TranscriptParseError
from index.models import Transcript
from index.parallel import GuardedMpWriter
from index.parse import ParsedFile, read_file, source_files
from index.reader import open_generation
from index.reading import guarded, read_blocks
from index.schema import SCHEMA_VERSION, build_schema, utterance_document
from index.stats import count_index, count_terms
from index.stored import transcript_from_stored
from index.generations import Pointer, publish_build, remove_leftovers, start_build, writer_lock

log = logging.getLogger(__name__)

# How long a second reindex waits for the first before giving up with IndexLocked.
DEFAULT_LOCK_TIMEOUT = 5.0

# A full build with at least this many files uses two processes (Whoosh's multisegment
# writer); below it, starting the processes costs more than it saves.
MULTIPROCESS_MIN_FILES = 200

# Postings each writer (process) keeps in memory before spilling sorted runs to disk.
# Whoosh's 128 MB spills from about 2M tokens on, and pickling every posting to runs and
# merging them back made a 3.4M-token build 38% slower. A multi-process build never gets
# there: each worker writes a segment every SEGMENT_MB of postings (index/parallel.py).
WRITER_MEMORY_MB = 1024

# Postings (Whoosh's estimate of its pool) after which a worker of a multi-process build
# writes its segment and starts another: bounds its memory, so a big build does not spill.
# One copy of the kremlin corpus (685k tokens) is 185 MB of pool (108 MB before the
# text_exact field): a worker stays near 0.8 GB resident, and 100 copies make ≈ 36 segments.
SEGMENT_MB = 512

Parser = Callable[[Path], "ParsedFile | Sequence[Transcript]"]
FileFinder = Callable[[Sequence[Path]], Sequence[Path]]


@dataclass(frozen=True)
class ReindexSummary:
    """What a reindex did: totals in the published index, per-file changes, skipped files, time."""

    transcripts: int
    utterances: int
    added: int
    updated: int
    removed: int
    unchanged: int
    written: int
    empty: int
    skipped: tuple[str, ...]
    seconds: float
    full: bool
    generation: str | None
    # Files that failed but keep the version indexed before; bad lines skipped in files that were indexed.
    kept: int = 0
    problems: tuple[str, ...] = ()
    # Names that resolve to a file already read (a symbolic link to it): read once, said so, not a failure.
    same_file: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether any input failed (a file or a line): `reindex` then exits 1."""
        return bool(self.skipped or self.problems)


@dataclass(frozen=True)
class Plan:
    """Which files to parse and which indexed sources to delete, from hashes on disk and in the index.

    `delete` holds the sources gone from the given paths; a changed file's old version is
    deleted only once its new one parsed (a broken edit does not delete a transcript)."""

    parse: tuple[str, ...]
    delete: tuple[str, ...]
    unchanged: tuple[str, ...]


def plan_changes(
    on_disk: Mapping[str, str], indexed: Mapping[str, str], present: Iterable[str] | None = None
) -> Plan:
    """Compare {source: hash} on disk with the index: parse new and changed, delete the sources
    no longer `present` (default: those not on disk; an unreadable file is present, and kept)."""
    parse = tuple(source for source, digest in on_disk.items() if indexed.get(source) != digest)
    unchanged = tuple(source for source, digest in on_disk.items() if indexed.get(source) == digest)
    still = set(on_disk if present is None else present)
    delete = tuple(source for source in indexed if source not in still)
    return Plan(parse=parse, delete=delete, unchanged=unchanged)


def check_prune(searcher: Searcher, gone: Sequence[str], *, prune: bool) -> None:
    """Refuse (PruneRefused) to remove more than half of the indexed transcripts unless `prune`:
    a run given the wrong folder would otherwise empty the index."""
    if prune or not gone:
        return
    reader = searcher.reader()
    total = count_terms(reader, "transcript_id")
    removed: set[str] = set()
    for source in gone:
        for docnum in searcher.document_numbers(source=source):
            removed.add(reader.stored_fields(docnum)["transcript_id"])
    if total and len(removed) * 2 > total:
        raise PruneRefused(len(removed), total, len(gone))


def file_hash(path: Path) -> str:
    """A digest of the file's bytes: a file is reparsed exactly when this changes."""
    digest = hashlib.blake2b(digest_size=16)
    for block in read_blocks(path):  # only regular files within the size cap (no FIFO can hang us)
        digest.update(block)
    return digest.hexdigest()


def hash_files(paths_by_source: Mapping[str, Path]) -> tuple[dict[str, str], list[str]]:
    """({source: hash} of the readable files, `path:0: reason` for the others)."""
    hashes: dict[str, str] = {}
    unreadable: list[str] = []
    for source, path in paths_by_source.items():
        try:
            hashes[source] = file_hash(path)
        except TranscriptParseError as error:
            unreadable.append(str(error))
        except OSError as error:
            unreadable.append(f"{path}:0: cannot read: {error.strerror or error}")
    return hashes, unreadable


def source_key(path: Path) -> str:
    """The `source` stored for a file: its absolute path, the same whatever the working directory.

    `os.path.realpath`, unlike `Path.resolve` on Python 3.11, does not raise on a symbolic link loop
    (which is then reported as such); what is not a file keeps its own name, so each loop is reported."""
    real = os.path.realpath(path)
    return real if os.path.isfile(real) else os.path.abspath(path)


def distinct_sources(files: Sequence[Path]) -> tuple[dict[str, Path], list[str]]:
    """({source: first path found for it}, `path:0: reason` for each other path resolving to a file already read).

    A file is indexed once under its resolved path, so a symbolic link to a file already found
    is left out, and said so rather than silently (a hard link is a file of its own).
    """
    paths: dict[str, Path] = {}
    again: list[str] = []
    for path in files:
        source = source_key(path)
        if source in paths:
            if Path(path).absolute() == Path(paths[source]).absolute():
                continue  # the same name given twice (a file and its folder): nothing to report
            again.append(f"{path}:0: skipped, it is {source} again, already read as {paths[source]}")
        else:
            paths[source] = path
    return paths, again


def indexed_sources(searcher: Searcher) -> dict[str, str]:
    """{source: content hash} of the files in the index (one stored document read per file)."""
    reader = searcher.reader()
    result: dict[str, str] = {}
    for term in reader.lexicon("source"):
        matcher = reader.postings("source", term)
        if matcher.is_active():
            result[term.decode("utf-8")] = reader.stored_fields(matcher.id()).get("content_hash", "")
    return result


def find_source_files(paths: Sequence[Path], finder: FileFinder) -> list[Path]:
    """The transcript files under `paths`; raises FileNotFoundError for a missing path or no files at all."""
    for path in paths:
        if not Path(path).exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
    files = list(finder([Path(p) for p in paths]))
    if not files:
        named = ", ".join(str(p) for p in paths) or "(no paths)"
        raise FileNotFoundError(
            f"no transcript files (.txt, .html, .jsonl, .json, .csv, .tsv) in {named}; nothing to index, the index was left as it was"
        )
    return files


class _Build:
    """The next generation, started only once there is something to write."""

    def __init__(self, index_dir: Path, base: Path | None, processes: int) -> None:
        self.index_dir = index_dir
        self.base = base
        self.processes = processes
        self.path: Path | None = None
        self._writer: IndexWriter | None = None

    @property
    def writer(self) -> IndexWriter:
        """The writer on the build directory, creating both on first use."""
        return self.start()

    def start(self) -> IndexWriter:
        """Create the build directory and its writer, unless done already."""
        if self._writer is None:
            self.path = start_build(self.index_dir, self.base)
            if self.base is None:
                ix = FileIndex.create(FileStorage(str(self.path)), build_schema())
            else:
                ix = open_generation(self.path)
            self._writer = (
                GuardedMpWriter(ix, procs=self.processes, segment_mb=SEGMENT_MB, limitmb=WRITER_MEMORY_MB)
                if self.processes > 1
                else ix.writer(limitmb=WRITER_MEMORY_MB)
            )
        return self._writer

    def cancel(self) -> None:
        """Stop writing and remove the build directory (the published index is untouched)."""
        if self._writer is not None and not self._writer.is_closed:
            try:
                self._writer.cancel()
            except Exception as error:  # cleaning up after another error: report that one
                log.debug("cancelling the writer: %s", error)
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def reindex(
    index_dir: Path | str,
    paths: Sequence[Path | str],
    *,
    full: bool = False,
    progress: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    processes: int | None = None,
    parse: Parser = read_file,
    find: FileFinder = source_files,
    prune: bool = False,
) -> ReindexSummary:
    """Bring the index at `index_dir` in line with the transcript files under `paths`, atomically.

    `processes` writer processes for a full build (default: two for big builds on a
    multi-core machine); `parse` and `find` are the parser's stages, replaceable for tests.

    Files that fail keep their indexed version (a rebuild copies it); a run in which every
    file to parse failed publishes nothing; one that would remove more than half of the
    indexed transcripts (files no longer under `paths`) raises PruneRefused before writing,
    unless `prune`.

    :raises FileNotFoundError: a path does not exist, or holds no transcript files.
    :raises IndexLocked: another process is reindexing and did not finish within `lock_timeout`.
    :raises PruneRefused: see above.
    """
    started = time.perf_counter()
    files = find_source_files([Path(p) for p in paths], find)
    paths_by_source, same_file = distinct_sources(files)

    def sources() -> tuple[_Sources, list[str]]:
        on_disk, unreadable = hash_files(paths_by_source)
        names = {source: str(path) for source, path in paths_by_source.items()}
        # Any error in one file (not only TranscriptParseError) is reported as `path:0: reason`.
        load = lambda source: guarded(parse, paths_by_source[source])  # noqa: E731
        return _Sources(on_disk, names, load), unreadable

    aliases = people.load_aliases([Path(index_dir), *(Path(p) for p in paths if Path(p).is_dir())])
    summary = _publish(
        Path(index_dir),
        sources,
        aliases=aliases,
        full=full,
        progress=progress,
        lock_timeout=lock_timeout,
        processes=processes,
        started=started,
        prune=prune,
    )
    return dataclasses.replace(summary, same_file=tuple(same_file))


def index_transcripts(
    index_dir: Path | str,
    transcripts: Iterable[Transcript],
    *,
    full: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> ReindexSummary:
    """Make the index at `index_dir` hold exactly `transcripts`, published atomically like `reindex`.

    Each distinct `source` counts as one file whose hash is that of its transcripts' content,
    so calling it again with a changed list rewrites only what changed.
    """
    started = time.perf_counter()
    by_source: dict[str, list[Transcript]] = {}
    for transcript in transcripts:
        by_source.setdefault(transcript.source, []).append(transcript)
    digests = {source: transcripts_hash(group) for source, group in by_source.items()}
    return _publish(
        Path(index_dir),
        lambda: (_Sources(digests, {source: source for source in by_source}, lambda source: by_source[source]), []),
        aliases=people.load_aliases([Path(index_dir)]),
        full=full,
        progress=False,
        lock_timeout=lock_timeout,
        processes=1,
        started=started,
        prune=True,  # "exactly these transcripts" says what to remove
    )


def transcripts_hash(transcripts: Sequence[Transcript]) -> str:
    """A digest of transcripts' content, standing in for a file's hash in `index_transcripts`."""
    digest = hashlib.blake2b(digest_size=16)
    for transcript in transcripts:
        digest.update(json.dumps(transcript.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class _Sources:
    """What to index: each source's hash, its name in messages (path:line: reason), and how to get its transcripts."""

    hashes: Mapping[str, str]
    names: Mapping[str, str]  # every source found, the unreadable ones too
    load: Callable[[str], "ParsedFile | Sequence[Transcript]"]


def _publish(
    root: Path,
    prepare: Callable[[], tuple[_Sources, list[str]]],
    *,
    aliases: people.Aliases,
    full: bool,
    progress: bool,
    lock_timeout: float,
    processes: int | None,
    started: float,
    prune: bool,
) -> ReindexSummary:
    """Under the writer lock: hash the sources (`prepare`), plan against the published generation, build, publish."""
    with writer_lock(root, timeout=lock_timeout):
        sources, unreadable = prepare()
        on_disk = sources.hashes
        current = remove_leftovers(root)
        rebuild = full or current is None or current.schema_version != SCHEMA_VERSION
        if rebuild and not full and current is not None:
            log.warning("the index was built with schema version %s: rebuilding it", current.schema_version)
        with ExitStack() as stack:
            searcher = _open_current(root, current, stack)
            indexed = indexed_sources(searcher) if searcher is not None else {}
            plan = plan_changes(on_disk, indexed, sources.names)
            if searcher is not None:
                check_prune(searcher, plan.delete, prune=prune)
            if rebuild:
                plan = Plan(tuple(on_disk), (), ())
            workers = processes if processes is not None else _default_processes(rebuild, plan)
            build = _Build(root, None if rebuild else _generation_dir(root, current), workers if rebuild else 1)
            try:
                if rebuild:
                    build.start()  # fork the workers before the progress bar starts its thread
                    table = _predicted_people(plan.parse, sources, aliases, progress)
                else:
                    table = {} if current is None else people.read_table(_generation_dir(root, current))
                bar = stack.enter_context(_progress_bar(len(plan.parse), progress))
                outcome = _write_changes(build, plan, sources, indexed, None if rebuild else searcher, bar, table)
                if rebuild and searcher is not None:
                    _carry_over(build, searcher, indexed, outcome)
                published = False
                if plan.parse and not outcome.written_sources and not outcome.empty and not plan.unchanged:
                    # Every file failed: publishing would only remove what the index holds.
                    log.warning("every file failed: the index was left as it was")
                    build.cancel()
                elif rebuild or outcome.written or plan.delete or _aliases_changed(searcher, aliases):
                    bar.set_description("committing")
                    if not build.writer.is_closed:
                        build.writer.commit()
                    assert build.path is not None
                    _settle_people(build.path, sources, aliases)
                    current = publish_build(root, build.path, current)
                    published = True
                else:
                    build.cancel()
            except BaseException:
                build.cancel()
                raise
        transcripts, utterances = count_index(root / current.generation) if current is not None else (0, 0)
    now = _sources_now(indexed, on_disk, plan, outcome, published=published, rebuild=rebuild)
    return ReindexSummary(
        transcripts=transcripts,
        utterances=utterances,
        added=sum(1 for source in now if source not in indexed),
        updated=sum(1 for source in now if source in indexed and indexed[source] != now[source]),
        removed=sum(1 for source in indexed if source not in now),
        unchanged=sum(1 for source in now if indexed.get(source) == now[source] == on_disk.get(source)),
        written=outcome.written,
        empty=outcome.empty,
        skipped=(*unreadable, *outcome.skipped),
        seconds=time.perf_counter() - started,
        full=rebuild,
        generation=current.generation if current is not None else None,
        kept=sum(1 for source, digest in now.items() if indexed.get(source) == digest != on_disk.get(source)),
        problems=tuple(outcome.problems),
    )


def _sources_now(
    indexed: Mapping[str, str],
    on_disk: Mapping[str, str],
    plan: Plan,
    outcome: "_Outcome",
    *,
    published: bool,
    rebuild: bool,
) -> dict[str, str]:
    """{source: hash} the published index holds after the run (for the summary's counts)."""
    if not published:
        return dict(indexed)
    now = {source: on_disk[source] for source in (*plan.unchanged, *outcome.written_sources)}
    if not rebuild:  # failed and unreadable files keep the version indexed before
        deleted = set(plan.delete)
        now.update({s: d for s, d in indexed.items() if s not in now and s not in deleted})
    else:  # a rebuild copies the old version of the files that failed
        now.update({s: indexed[s] for s in outcome.carried})
    return now


def _generation_dir(root: Path, pointer: Pointer | None) -> Path:
    assert pointer is not None
    return root / pointer.generation


def _open_current(root: Path, current: Pointer | None, stack: ExitStack) -> Searcher | None:
    """A searcher on the published generation, or None if there is none or it cannot be read."""
    if current is None:
        return None
    try:
        ix = open_generation(root / current.generation)
        return stack.enter_context(ix.searcher())
    except Exception as error:  # an index this version cannot read is rebuilt, not fatal
        log.warning("cannot read %s (%s): rebuilding it", root / current.generation, error)
        return None


def _default_processes(rebuild: bool, plan: Plan) -> int:
    """Two writer processes for a big full build on a multi-core machine, else one."""
    if rebuild and len(plan.parse) >= MULTIPROCESS_MIN_FILES and (os.cpu_count() or 1) > 1:
        return 2
    return 1


@dataclass
class _Outcome:
    written: int = 0
    empty: int = 0
    skipped: list[str] = field(default_factory=list)
    written_sources: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # bad lines skipped in files that were indexed
    failed_sources: list[str] = field(default_factory=list)
    transcript_ids: set[str] = field(default_factory=set)
    carried: list[str] = field(default_factory=list)  # failed files whose old version a rebuild copied


def _as_parsed(result: ParsedFile | Sequence[Transcript]) -> ParsedFile:
    """A parser's result as a ParsedFile (a replaceable parser may return a plain list)."""
    return result if isinstance(result, ParsedFile) else ParsedFile(tuple(result))


def _write_changes(
    build: _Build,
    plan: Plan,
    sources: _Sources,
    indexed: Mapping[str, str],
    searcher: Searcher | None,
    bar: tqdm,
    table: Mapping[str, str] | None = None,
) -> _Outcome:
    """Delete the sources gone and add the documents of the files to parse; a changed file's
    old documents are deleted only when its new version parsed."""
    outcome = _Outcome()
    # Transcript ids of unchanged files stay taken, and those of a file that failed (it keeps its indexed version).
    taken = set(plan.unchanged)
    for source in plan.delete:
        build.writer.delete_by_term("source", source)
    seen: dict[str, str] = {}
    for source in _counted(plan.parse, bar):
        path = sources.names[source]
        try:
            parsed = _as_parsed(sources.load(source))
        except TranscriptParseError as error:
            outcome.skipped.append(str(error))
            outcome.failed_sources.append(source)
            taken.add(source)
            continue
        outcome.problems.extend(str(problem) for problem in parsed.problems)
        transcripts = list(parsed.transcripts)
        conflict = _id_conflict(transcripts, source, seen, taken - {source}, searcher)
        if conflict is not None:
            rest = len(transcripts) - 1
            others = f" (nor its {rest} other transcript{'s' if rest > 1 else ''})" if rest else ""
            outcome.skipped.append(f"{path}:1: {conflict}; this file is not indexed{others}: "
                                   "give one of the two another transcript_id, or remove the copy")
            outcome.failed_sources.append(source)
            taken.add(source)
            continue
        documents = list(_documents(transcripts, source, sources.hashes[source], table))
        if source in indexed and searcher is not None:
            build.writer.delete_by_term("source", source)
        if not documents:
            outcome.empty += 1
            continue
        for transcript in transcripts:
            seen[transcript.id] = path
        outcome.transcript_ids.update(seen)
        writer = build.writer
        for document in documents:
            writer.add_document(**document)
        outcome.written += len(documents)
        outcome.written_sources.append(source)
    return outcome


def _carry_over(build: _Build, old: Searcher, indexed: Mapping[str, str], outcome: _Outcome) -> None:
    """In a rebuild, copy from the old generation the transcripts of the files that failed, so a
    rebuild loses no more than an incremental run would; ids another file took meanwhile are not copied."""
    for source in outcome.failed_sources:
        if source not in indexed:
            continue
        by_transcript: dict[str, list[dict[str, Any]]] = {}
        for stored in old.documents(source=source):
            by_transcript.setdefault(stored["transcript_id"], []).append(stored)
        for transcript_id, documents in by_transcript.items():
            if transcript_id in outcome.transcript_ids:
                continue
            documents.sort(key=lambda document: int(document["seq"]))
            for document in _documents([transcript_from_stored(documents)], source, indexed[source]):
                build.writer.add_document(**document)
        outcome.carried.append(source)


def _aliases_changed(searcher: Searcher | None, aliases: people.Aliases) -> bool:
    """Whether the published index names someone otherwise than its names and the alias file now say."""
    if searcher is None:
        return False
    reader = searcher.reader()
    return bool(people.stale_sources(reader, _people_table(reader, aliases)))


def _people_table(reader: IndexReader, aliases: people.Aliases) -> dict[str, str]:
    """The alias table of every speaker name in an index, with the user's alias file applied."""
    return people.alias_table(people.speaker_turns(reader), aliases)


def _predicted_people(
    parse: Sequence[str], sources: _Sources, aliases: people.Aliases, progress: bool
) -> dict[str, str]:
    """The alias table of a full build, from a first reading of the speaker names of every file.

    Written with it, a build's documents carry their person's canonical name from the start, so
    `_settle_people` normally finds nothing to rewrite. Rewriting afterwards cost more than this
    second parse (at 20 copies of the corpus: 10% of the documents written twice, 13% of the build)
    and left deletions in every segment, which slow every search."""
    turns: Counter[str] = Counter()
    with tqdm(total=len(parse), desc="reading names", unit="file", leave=False, disable=not progress) as bar:
        for source in _counted(parse, bar):
            try:
                transcripts = _as_parsed(sources.load(source)).transcripts
            except TranscriptParseError:
                continue  # reported when the file is indexed
            turns.update(u.speaker for t in transcripts for u in t.utterances if u.speaker)
    return people.alias_table(turns, aliases)


def _settle_people(path: Path, sources: _Sources, aliases: people.Aliases) -> None:
    """Give every document of the committed build at `path` its person's canonical name: recompute
    the alias table from all its names, save it, and rewrite the sources whose documents disagree."""
    ix = open_generation(path)
    with ix.reader() as reader:
        table = _people_table(reader, aliases)
        stale = sorted(people.stale_sources(reader, table))
    people.write_table(path, table)
    if not stale:
        return
    log.info("%d files name a person differently than the new alias table: rewriting them", len(stale))
    started = time.perf_counter()
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        for source in stale:
            if source not in sources.hashes:
                continue
            try:
                transcripts = list(_as_parsed(sources.load(source)).transcripts)
            except TranscriptParseError as error:
                log.warning("%s", error)  # it keeps its documents, under the names they had
                continue
            writer.delete_by_term("source", source)
            for document in _documents(transcripts, source, sources.hashes[source], table):
                writer.add_document(**document)
    except BaseException:
        writer.cancel()
        raise
    # The rewritten documents go in one new segment. Whoosh's default merge policy would also
    # merge the build's segments here, in one Python writer: at 100 copies of the corpus that
    # spilled 4.5 GB of sorted runs to disk and had not finished after 10 minutes.
    writer.commit(mergetype=NO_MERGE)
    log.info("rewrote %d files in %.1f s", len(stale), time.perf_counter() - started)


def _documents(
    transcripts: Iterable[Transcript], source: str, digest: str, table: Mapping[str, str] | None = None
) -> Iterator[dict[str, object]]:
    """The utterance documents of one file; transcripts without utterances add none."""
    for transcript in transcripts:
        for utterance in transcript.utterances:
            document = utterance_document(transcript, utterance, digest, table)
            document["source"] = source
            yield document


def _id_conflict(
    transcripts: Sequence[Transcript],
    source: str,
    seen: Mapping[str, str],
    taken: set[str],
    searcher: Searcher | None,
) -> str | None:
    """Why the file cannot be indexed if one of its transcript ids already belongs to another file."""
    for transcript in transcripts:
        if transcript.id in seen:
            return f"transcript id {transcript.id!r} is already indexed from {seen[transcript.id]}"
        if searcher is not None:
            stored = searcher.document(transcript_id=transcript.id)
            if stored is not None and stored.get("source") in taken and stored.get("source") != source:
                return f"transcript id {transcript.id!r} is already indexed from {stored['source']}"
    return None


def _counted(items: Iterable[str], bar: tqdm) -> Iterator[str]:
    """`items`, moving the bar on as each one is done."""
    for item in items:
        yield item
        bar.update()


def _progress_bar(total: int, enabled: bool) -> tqdm:
    """A tqdm bar over the files to parse on stderr when `enabled` (a terminal), else a silent one."""
    return tqdm(total=total, desc="indexing", unit="file", leave=False, disable=not enabled)


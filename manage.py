#!/usr/bin/env python
"""Verbatim management commands (DESIGN §4): parse, reindex, search, stats, serve, …

Each command parses its options, calls one library function and prints the result.
Exit status: 0 success, 2 bad usage or malformed query, 1 other errors.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import click

from settings import DEFAULT_SAMPLES, Settings

log = logging.getLogger("verbatim")


@click.group()
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VERBATIM_INDEX",
    default=None,
    help="Index directory (default: instance/index, or $VERBATIM_INDEX).",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, index_dir: Path | None, verbose: int) -> None:
    """Verbatim: search political transcripts by who said what, when and where."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as error:  # e.g. VERBATIM_BASE_URL that is not an http(s) URL
        raise click.UsageError(f"bad VERBATIM_* setting: {error}") from None
    if index_dir is not None:
        settings = dataclasses.replace(settings, index_dir=index_dir)
    ctx.obj = settings


# --- parse (index/parse.py) ---


def _parse_summary(transcript: object) -> list[str]:
    """A transcript for people: id, date, title, where, then turns per speaker."""
    from collections import Counter

    from index.models import Transcript

    assert isinstance(transcript, Transcript)
    details = [transcript.place or "no place", f"{len(transcript.utterances)} utterances"]
    if transcript.topics:
        details.append("topics: " + ", ".join(transcript.topics))
    if transcript.meta:
        details.append(", ".join(f"{name}={value}" for name, value in transcript.meta.items()))
    lines = [f"{transcript.id}  {transcript.date_text}  {transcript.title}", "  " + " · ".join(details)]
    turns = Counter((u.speaker if u.speaker is not None else f"[{u.label}]", u.role, u.kind) for u in transcript.utterances)
    for (speaker, role, kind), count in turns.most_common():
        who = f"{speaker} ({role})" if speaker and role else speaker or "(narration)"
        lines.append(f"    {who}: {count} {'turn' if count == 1 else 'turns'}{' [address]' if kind == 'address' else ''}")
    return lines


@cli.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON transcript per line (DESIGN §1 fields).")
@click.pass_context
def parse_command(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Parse transcript files or folders without indexing; failures go to stderr as path:line: reason.

    \b
    Forms read (README, "Bring your own corpus"):
      .txt / .html   pages of the site (one transcript each)
      .jsonl         one utterance per line; .json: an array of them or {"utterances": [...]}
      .csv / .tsv    one utterance per row under a header row
      keys/columns   transcript_id, text (required); title, date (2011, 2011-09 or 2011-09-21),
                     speaker, role, place, topics, geography, seq, time, section, summary, url,
                     persons (optional); any other key is kept as metadata
      manifest.tsv   (or .csv) with a file column: each listed .txt is one speech, the row its fields
      verbatim.toml  maps your column names to fields ([fields]) and declares facets ([facets])
    """
    import json

    from index.errors import TranscriptParseError
    from index.parse import iter_transcripts

    failures: list[TranscriptParseError] = []

    def report(error: TranscriptParseError) -> None:
        failures.append(error)
        click.echo(str(error), err=True)

    count = 0
    for transcript in iter_transcripts(paths, on_error=report):
        count += 1
        if as_json:
            click.echo(json.dumps(transcript.to_dict(), ensure_ascii=False))
        else:
            click.echo("\n".join(_parse_summary(transcript)))
    if not as_json:
        click.echo(f"{count} transcript{'' if count == 1 else 's'} parsed, {len(failures)} failed.")
    if failures:
        ctx.exit(1)

# --- reindex, stats (index/reindex.py, index/stats.py) ---


def _count(number: int, word: str) -> str:
    """`1 file`, `2 files`, `3,512 utterances`."""
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def _kept(index_dir: Path) -> str:
    """What an interrupted reindex left: the generation still published, or no index at all."""
    from index.generations import read_pointer

    try:
        current = read_pointer(Path(index_dir))
    except (OSError, ValueError):
        current = None
    if current is None:
        return f"nothing was published; there is still no index at {index_dir}."
    return f"nothing was published; the index at {index_dir} still serves {current.generation}, as before."


@cli.command("reindex")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--full", is_flag=True, help="Rebuild from scratch beside the old index, then swap it in.")
@click.option("--prune", is_flag=True, help="Allow removing more than half of the indexed transcripts (files no longer under PATHS).")
@click.pass_context
def reindex_command(ctx: click.Context, paths: tuple[Path, ...], full: bool, prune: bool) -> None:
    """Parse and index transcript files and folders (default: the bundled samples/).

    Incremental: only new and changed files are parsed, removed ones are deleted; the
    index then holds exactly the files under PATHS. Readers see the old index until the
    new one is complete. A file that fails keeps the version indexed before; failures are
    printed as path:line: reason and make the exit status 1 (after publishing what parsed).
    The input forms (site pages, .jsonl, .json, .csv/.tsv, .txt speeches with a manifest,
    verbatim.toml) are described in the README, "Bring your own corpus".
    """
    import sys

    from index.errors import IndexLocked, PruneRefused
    from index.reindex import reindex

    settings: Settings = ctx.obj
    try:
        summary = reindex(
            settings.index_dir, list(paths) or [DEFAULT_SAMPLES], full=full, progress=sys.stderr.isatty(), prune=prune
        )
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted: {_kept(settings.index_dir)}", err=True)
        raise SystemExit(130) from None
    except FileNotFoundError as error:
        reason = error.args[0] if error.args else str(error)
        raise click.UsageError(
            f"{reason}. Give transcript files (.txt, .html, .jsonl, .json, .csv, .tsv) or folders that hold them."
        ) from None
    except (IndexLocked, PruneRefused) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # e.g. no permission to write the index folder
        raise click.ClickException(f"cannot update the index at {settings.index_dir}: {error}") from None
    for line in (*summary.same_file, *summary.skipped, *summary.problems):
        click.echo(line, err=True)
    click.echo(
        f"Index {settings.index_dir} ({summary.generation or 'nothing published'}): {_count(summary.transcripts, 'transcript')}, "
        f"{_count(summary.utterances, 'utterance')}."
    )
    empty = f", {summary.empty} without utterances" if summary.empty else ""
    click.echo(
        f"Files: {summary.added} added, {summary.updated} updated, {summary.removed} removed, "
        f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped{empty}; "
        f"{_count(summary.written, 'utterance')} written{' (full rebuild)' if summary.full else ''} "
        f"in {summary.seconds:.1f} s."
    )
    if summary.kept:
        click.echo(f"Kept the indexed version of {_count(summary.kept, 'file')} that failed or changed without parsing.")
    if summary.problems:
        click.echo(f"{_count(len(summary.problems), 'bad line')} skipped (listed above).")
    if summary.failed:
        ctx.exit(1)


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.pass_obj
def stats_command(settings: Settings, as_json: bool) -> None:
    """Transcripts, utterances, speakers, date range and size of the index."""
    import json

    from index.errors import IndexMissing
    from index.stats import index_stats

    try:
        stats = index_stats(settings.index_dir)
    except IndexMissing as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(stats.to_dict(), indent=2))
        return
    if stats.empty:
        click.echo(f"The index at {stats.index_dir} is empty: index transcripts with `python manage.py reindex PATH…`.")
        return
    dates = f"{stats.dates[0]} to {stats.dates[1]}" if stats.dates else "none"
    for label, value in (
        ("Index", f"{stats.index_dir} ({stats.generation})"),
        ("Transcripts", f"{stats.transcripts:,}"),
        ("Utterances", f"{stats.utterances:,}"),
        ("Speakers", f"{stats.speakers:,}"),
        ("Dates", dates),
        ("Size", f"{stats.index_bytes / 1e6:.1f} MB ({stats.disk_bytes / 1e6:.1f} MB on disk)"),
        *((f"Facet {name}", f"{count:,} values") for name, count in stats.facets.items()),
    ):
        click.echo(f"{label + ':':<13} {value}" if len(label) > 11 else f"{label + ':':<13}{value}")


@cli.command("speakers")
@click.argument("query", required=False, default="")
@click.option("--aliases", "show_aliases", is_flag=True, help="Also list each person's other spellings.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly the JSON of /api/speakers.")
@click.pass_obj
def speakers_command(settings: Settings, query: str, show_aliases: bool, as_json: bool) -> None:
    """People A–Z with their turns, years and roles over time (QUERY: only names or aliases with these words)."""
    import json

    from index.errors import IndexMissing
    from index.generations import current_generation_dir
    from search.people import people_of

    try:
        people = people_of(current_generation_dir(settings.index_dir))
    except IndexMissing as error:
        raise click.UsageError(str(error)) from None
    found = people.matching(query)
    if as_json:
        click.echo(json.dumps({"speakers": [p.to_dict() for p in found]}, indent=2, ensure_ascii=False))
        return
    for person in found:
        roles = "; ".join(
            f"{r.role} ({r.first.year}" + (f"–{r.last.year})" if r.last.year != r.first.year else ")") for r in person.roles
        )
        click.echo(f"{person.name}\t{person.turns}\t{person.years}" + (f"\t{roles}" if roles else ""))
        if show_aliases and person.aliases:
            click.echo("\t= " + ", ".join(person.aliases))
    if not found:
        click.echo(f"no speaker's name or alias contains {query!r}", err=True)
        raise SystemExit(1)


# --- fetch (index/fetch.py) ---


@cli.command("fetch")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Mirror folder for the pages (events/president/news/<id>.html); reindex reads it.")
@click.option("--ids", "id_ranges", multiple=True, metavar="A-B",
              help="Page ids to fetch, e.g. 63000-63100 (repeatable).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Also fetch what the site's news listing shows from this day on.")
@click.option("--base-url", default=None, metavar="URL", help="The site (default: its English address, http://en.kremlin.ru).")
@click.option("--delay", type=click.FloatRange(min=0), default=None,
              help="Seconds between requests (default 2; a longer robots.txt Crawl-delay wins).")
@click.option("--refresh", is_flag=True, help="Revalidate saved pages (conditional requests) and retry ids not found before.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds a read may wait (connecting, each header line, each block of a page).")
@click.option("--deadline", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
              help="Seconds a whole page may take to arrive; a slower page fails and is not saved.")
@click.pass_context
def fetch_command(
    ctx: click.Context,
    out_dir: Path,
    id_ranges: tuple[str, ...],
    since: object,
    base_url: str | None,
    delay: float | None,
    refresh: bool,
    timeout: float,
    deadline: float,
) -> None:
    """Download pages of the site into a mirror folder, politely and resumably; then run `reindex OUT`."""
    import datetime as dt
    import sys

    from index import fetch as fetching

    if not id_ranges and since is None:
        raise click.UsageError("say which pages to fetch: --ids A-B and/or --since YYYY-MM-DD")
    try:
        ids = [page_id for text in id_ranges for page_id in fetching.parse_id_range(text)]
        summary = fetching.fetch(
            out_dir,
            ids=ids,
            since=since.date() if isinstance(since, dt.datetime) else None,
            base_url=base_url or fetching.DEFAULT_BASE_URL,
            delay=fetching.DEFAULT_DELAY if delay is None else delay,
            refresh=refresh,
            timeout=timeout,
            deadline=deadline,
            progress=sys.stderr.isatty(),
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    counts = ", ".join(
        f"{summary.count(outcome)} {outcome}"
        for outcome in (fetching.SAVED, fetching.UPDATED, fetching.EXISTING, fetching.NOT_MODIFIED,
                        fetching.MISSING, fetching.DISALLOWED, fetching.FAILED)
    )
    click.echo(f"Pages in {out_dir}: {counts}; {_count(summary.requests, 'request')} in {summary.seconds:.1f} s.")
    for note in summary.notes:
        click.echo(f"Note: {note}", err=True)
    if summary.failures:
        click.echo("Failed (not saved; the next run tries them again):", err=True)
        for what, reason in summary.failures.items():
            click.echo(f"  {what}: {reason}", err=True)
    if summary.count(fetching.SAVED) or summary.count(fetching.UPDATED):
        click.echo(f"Next: python manage.py reindex {out_dir}")
    if summary.failures:
        ctx.exit(1)

# --- search (search/) ---


def _terminal_snippet(snippet: str) -> str:
    """An HTML snippet for the terminal: marks in bold, entities decoded."""
    import html
    import re

    def bold(match: re.Match[str]) -> str:
        return click.style(html.unescape(match.group(1)), bold=True, fg="yellow")

    parts = re.split(r"(<mark>.*?</mark>)", snippet)
    return "".join(
        bold(m) if (m := re.fullmatch(r"<mark>(.*?)</mark>", part)) else html.unescape(part)
        for part in parts
    )


def _echo_response(response: object) -> None:
    """The human-readable result list: hits with snippets, then facets and a suggestion."""
    from index.dates import format_partial
    from search.types import SearchResponse

    assert isinstance(response, SearchResponse)
    request = response.request
    shown = f" for {request.q!r}" if request.q else ""
    click.echo(
        f"{response.total} hits in {response.transcripts} transcripts{shown} "
        f"(page {request.page} of {response.pages}, {response.elapsed_ms:.1f} ms)"
    )
    first = (request.page - 1) * request.per_page
    for number, hit in enumerate(response.hits, start=first + 1):
        speaker = hit.speaker or (f"[{hit.label}]" if hit.label else "(narration)")  # [Question]: anonymous
        who = ", ".join(part for part in (speaker, hit.role) if part)
        click.echo(f"\n{number}. {format_partial(hit.date, hit.date_precision)}  {who}  [{hit.id}]")
        where = f" — {hit.place}" if hit.place else ""
        click.echo(f"   {hit.title}{where}")
        click.echo(f"   {_terminal_snippet(hit.snippet)}")
    facets = [
        f"{facet.name}: " + ", ".join(f"{v.value} ({v.count})" for v in facet.values[:5])
        for facet in response.facets
        if facet.values
    ]
    if facets:
        click.echo("\n" + "\n".join(facets))
    if response.suggestion:
        click.echo(f"\nDid you mean: {response.suggestion}")


@cli.command("search")
@click.argument("query", required=False, default="")
@click.option("--speaker", multiple=True, help="Only this speaker (repeat for any of several).")
@click.option("--role", multiple=True, help="Only speakers with this role (repeatable).")
@click.option("--year", multiple=True, help="Only this year, e.g. 2013 (repeatable).")
@click.option("--place", multiple=True, help="Only this place (repeatable).")
@click.option("--topic", multiple=True, help="Only this topic (repeatable).")
@click.option("--geography", multiple=True, help="Only this country or region (repeatable).")
@click.option("--filter", "named_filters", multiple=True, metavar="NAME=VALUE",
              help="Only this value of any facet, built-in or declared by the corpus, e.g. country=NOR (repeatable).")
@click.option("--from", "date_from", default="", metavar="YYYY-MM-DD", help="From this day on (1980 or 1980-10: from its first day).")
@click.option("--to", "date_to", default="", metavar="YYYY-MM-DD", help="Up to this day (1980 or 1980-10: to its last day).")
@click.option("--sort", default="relevance", help="relevance, date or -date (newest first).")
@click.option("--page", default="1", metavar="N", help="Result page, from 1.")
@click.option("--per-page", default="20", metavar="N", help="Hits per page (1–200).")
@click.option("--mode", default="keyword", help="keyword, semantic or hybrid.")
@click.option("--facet-limit", default="50", metavar="N", help="Values per facet (0 for all).")
@click.option("--json", "as_json", is_flag=True, help="Print the API JSON (DESIGN §5).")
@click.pass_obj
def search_command(
    settings: Settings,
    query: str,
    speaker: tuple[str, ...],
    role: tuple[str, ...],
    year: tuple[str, ...],
    place: tuple[str, ...],
    topic: tuple[str, ...],
    geography: tuple[str, ...],
    named_filters: tuple[str, ...],
    date_from: str,
    date_to: str,
    sort: str,
    page: str,
    per_page: str,
    mode: str,
    facet_limit: str,
    as_json: bool,
) -> None:
    """Search the index; QUERY may be "" to browse what the filters admit, newest first."""
    import json

    from index.errors import IndexMissing
    from search.errors import BadQuery, SemanticUnavailable
    from search.engine import Engine
    from search.types import SearchRequest

    params = {
        "q": query,
        "speaker": speaker,
        "role": role,
        "year": year,
        "place": place,
        "topic": topic,
        "geography": geography,
        "filter": named_filters,
        "from": date_from,
        "to": date_to,
        "sort": sort,
        "page": page,
        "per_page": per_page,
        "mode": mode,
        "facet_limit": facet_limit,
    }
    try:
        request = SearchRequest.from_params(params)
        with Engine(settings.index_dir) as engine:
            response = engine.search(request)
    except BadQuery as error:
        # The message already says where; str() would add the position a second time.
        raise click.UsageError(error.message) from None
    except (IndexMissing, SemanticUnavailable) as error:
        # Semantic mode without the [semantic] extra or vectors is bad usage (exit 2), like a bad query.
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(response.to_dict(), ensure_ascii=False, indent=2))
    else:
        _echo_response(response)


# --- quote (search/quote.py) ---

_DIFF_STYLES = {"delete": {"fg": "red", "strikethrough": True}, "insert": {"fg": "green", "underline": True}}


@cli.command("quote")
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True, help="Sources to list at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the API JSON of /api/quote (DESIGN §5).")
@click.pass_obj
def quote_command(settings: Settings, text: str, limit: int, as_json: bool) -> None:
    """Find the source of a (possibly altered) quote: score, verdict and word diff of each source."""
    import json

    from index.errors import IndexMissing
    from search.engine import Engine
    from search.errors import BadQuery

    try:
        with Engine(settings.index_dir) as engine:
            result = engine.find_quote(text, limit=limit)
    except BadQuery as error:
        raise click.UsageError(error.message) from None
    except IndexMissing as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.matches:
        click.echo("No source found: no utterance has these words, or one close to them.")
    for match in result.matches:
        who = ", ".join(part for part in (match.speaker, match.role) if part) or "narration"
        click.echo(f"{match.verdict.upper()} {match.score:.2f}  {match.transcript_id}:{match.seq}  {match.date}  {who}")
        click.echo(f"  {match.title}")
        if match.verdict != "paraphrase":
            click.echo("  " + " ".join(_diff_part(op.op, op.quote, op.source) for op in match.diff))


def _diff_part(op: str, quote: str, source: str) -> str:
    """One diff step for a terminal: omitted words struck out, added ones underlined, changes as [source→quote]."""
    if op == "equal":
        return source
    if op == "replace":
        return click.style(f"[{source} → {quote}]", fg="yellow")
    shown = source if op == "delete" else quote
    return click.style(("[…] " if quote == "…" else "") + shown, **_DIFF_STYLES[op])


# --- bench (bench/) ---


@cli.command("bench")
@click.option(
    "--corpus",
    type=click.Path(exists=True, path_type=Path),
    default=DEFAULT_SAMPLES,
    show_default="the bundled samples/",
    help="Transcript files or a folder of them.",
)
@click.option("--scale", type=click.IntRange(1, 1000), default=1, show_default=True, help="Copies of the corpus to index.")
@click.option("--repeat", type=click.IntRange(1, 100), default=5, show_default=True, help="Timed runs of each request.")
@click.option(
    "--semantic/--no-semantic",
    default=None,
    help="Also time semantic and hybrid requests (default: when the [semantic] extra is installed).",
)
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Keep the indexes here (default: a temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--load", is_flag=True, help="Instead: requests/s and p95 of `serve` with waitress and 1, 2, N workers (bench/load.py).")
@click.option("--load-seconds", type=click.FloatRange(1, 600), default=20, show_default=True, help="Seconds per --load run.")
@click.option("--embed", "embed_speed", is_flag=True, help="Instead: embedding words/s, ours and a plain sentence-transformers encode (bench/embed.py).")
def bench_command(
    corpus: Path,
    scale: int,
    repeat: int,
    semantic: bool | None,
    workdir: Path | None,
    as_json: bool,
    load: bool,
    load_seconds: float,
    embed_speed: bool,
) -> None:
    """Time index build and full search requests, ours beside SQLite FTS5, on CORPUS × SCALE."""
    import json

    if load or embed_speed:
        figures = _bench_serving(corpus, workdir, load, load_seconds, embed_speed, repeat)
        click.echo(json.dumps(figures, ensure_ascii=False) if as_json else _serving_table(figures))
        return

    from search.errors import SemanticUnavailable
    from bench.run import BenchMismatch, format_table, run_bench
    from search.semantic import semantic_available

    def report(message: str) -> None:
        click.echo(f"bench: {message}", err=True)

    try:
        result = run_bench(
            corpus,
            scale,
            repeat=repeat,
            semantic=semantic_available() if semantic is None else semantic,
            workdir=workdir,
            report=report,
        )
    except (FileNotFoundError, SemanticUnavailable) as error:
        raise click.UsageError(str(error)) from None
    except BenchMismatch as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo("\n".join(format_table(result)))


def _bench_serving(
    corpus: Path, workdir: Path | None, load: bool, seconds: float, embed_speed: bool, rounds: int
) -> dict[str, object]:
    """`bench --load` / `--embed`: the corpus indexed once (and embedded for --embed), then measured."""
    import os
    import tempfile

    from index.reindex import reindex

    with tempfile.TemporaryDirectory(prefix="verbatim-bench-") as scratch:
        index_dir = (workdir or Path(scratch)) / "serving-index"
        reindex(index_dir, [corpus])
        figures: dict[str, object] = {}
        if embed_speed:
            from bench.embed import measure_index

            figures.update(measure_index(index_dir, rounds=min(rounds, 5)).to_dict())
        if load:
            from bench.load import workers_table

            counts = sorted({1, 2, os.cpu_count() or 1})
            figures["load"] = workers_table(index_dir, counts, [8, 20], seconds, rounds=1)
        return figures


def _serving_table(figures: dict[str, object]) -> str:
    """The --load / --embed figures for people."""
    lines = []
    if "embed_words_per_s" in figures:
        lines.append(
            f"embedding: ours {figures['embed_words_per_s']:,} words/s, plain sentence-transformers "
            f"{figures['embed_baseline_words_per_s']:,} words/s ({figures['embed_speedup']}×)"
        )
    for row in figures.get("load", []):  # type: ignore[union-attr]
        workers = row["server_workers"] or 1
        lines.append(
            f"{row['server']:<9} {workers} process(es), {row['clients']:>2} clients: {row['throughput_rps']:>7} requests/s, "
            f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, errors {row['errors']}, "
            f"cores busy: server {row.get('server_cores_busy', '?')}, clients {row.get('client_cores_busy', '?')}"
        )
    return "\n".join(lines)


# --- embed (search/semantic.py) ---


@cli.command("embed")
@click.option(
    "--progress-every",
    type=click.FloatRange(0.5, 3600),
    default=5.0,
    show_default=True,
    help="Seconds between progress lines when stderr is not a terminal (a log).",
)
@click.pass_obj
def embed_command(settings: Settings, progress_every: float) -> None:
    """Compute the missing embedding vectors for semantic search (needs the [semantic] extra).

    Only utterances without vectors (new or changed since the last run) are embedded;
    vectors of utterances no longer in the index are dropped. Work is saved as it goes:
    an interrupted run is resumed by running `embed` again.
    """
    import sys

    from index.errors import IndexMissing
    from search.errors import SemanticUnavailable
    from search.semantic import PassageEmbedder, require_semantic
    from search.vectors import ProgressLines, load_store, sync_vectors, vectors_dir

    terminal = sys.stderr.isatty()
    report = None if terminal else ProgressLines(lambda line: click.echo(line, err=True), progress_every)
    try:
        require_semantic()
        summary = sync_vectors(settings.index_dir, PassageEmbedder(), progress=terminal, report=report)
        # Queries use the ONNX export of the model: make it now, not in the first query.
        from search import onnx_export

        onnx_export.ensure_model()
    except (IndexMissing, SemanticUnavailable) as error:
        raise click.UsageError(str(error)) from None
    except KeyboardInterrupt:
        store = load_store(settings.index_dir)
        saved = 0 if store is None else len(store.utterances())
        click.echo(
            f"\nInterrupted: vectors of {saved:,} utterances are saved; run `embed` again to continue.",
            err=True,
        )
        raise SystemExit(130) from None
    rate = f" ({summary.passages_per_second:.0f} passages/s)" if summary.added_passages else ""
    click.echo(
        f"Vectors {vectors_dir(settings.index_dir)}: {summary.utterances:,} utterances, "
        f"{summary.passages:,} passages ({summary.model})."
    )
    click.echo(
        f"Embedded {summary.added_utterances:,} utterances ({summary.added_passages:,} passages), "
        f"dropped {summary.dropped_utterances:,}, in {summary.seconds:.1f} s{rate}."
    )


# --- alerts (search/alerts.py) ---

ALERT_FILTERS = ("speaker", "role", "year", "place", "topic", "geography", "from", "to", "mode")


def _alert_store(settings: Settings, file: Path | None) -> object:
    from search.alerts import FILE_NAME, AlertError, AlertStore

    try:
        return AlertStore.load(file or settings.index_dir / FILE_NAME)
    except AlertError as error:
        raise click.ClickException(str(error)) from None


def _alert_engine(settings: Settings) -> object:
    """The engine for saved searches: semantic ones too when the extra is installed."""
    from index.errors import IndexMissing
    from search.engine import Engine
    from search.hybrid import SemanticIndex
    from search.semantic import semantic_available

    try:
        semantic = SemanticIndex(settings.index_dir) if semantic_available() else None
        return Engine(settings.index_dir, semantic=semantic)
    except IndexMissing as error:
        raise click.ClickException(str(error)) from None


@cli.group("alerts")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The saved-search file (default: alerts.json in the index folder).",
)
@click.pass_context
def alerts_group(ctx: click.Context, file: Path | None) -> None:
    """Saved searches: `run` prints what is new in them since the last run (for cron)."""
    ctx.obj = (ctx.obj, file)


@alerts_group.command("add")
@click.argument("name")
@click.argument("query", required=False, default="")
@click.option("--speaker", multiple=True, help="Only this speaker (repeatable).")
@click.option("--role", multiple=True, help="Only this role (repeatable).")
@click.option("--year", multiple=True, help="Only this year (repeatable).")
@click.option("--place", multiple=True, help="Only this place (repeatable).")
@click.option("--topic", multiple=True, help="Only this topic (repeatable).")
@click.option("--geography", multiple=True, help="Only this country or region (repeatable).")
@click.option("--from", "date_from", default="", metavar="YYYY-MM-DD", help="From this day on.")
@click.option("--to", "date_to", default="", metavar="YYYY-MM-DD", help="Up to this day.")
@click.option("--mode", default="", help="keyword (default), semantic or hybrid.")
@click.pass_obj
def alerts_add(obj: tuple[Settings, Path | None], name: str, query: str, **options: object) -> None:
    """Save a search under NAME; what it matches now counts as seen, so `run` reports later additions."""
    import datetime as dt

    from search.errors import BadQuery
    from search.alerts import Alert, AlertError, alert_params, baseline

    settings, file = obj
    store = _alert_store(settings, file)
    renamed = {"date_from": "from", "date_to": "to"}
    pairs = []
    for key, value in options.items():
        for item in value if isinstance(value, tuple) else (value,):
            pairs.append((renamed.get(key, key), str(item)))
    alert = Alert(name=name, params=alert_params(query, pairs))
    try:
        alert.request()
        store.add(alert)  # type: ignore[attr-defined]
    except BadQuery as error:
        raise click.UsageError(error.message) from None
    except AlertError as error:
        raise click.UsageError(str(error)) from None
    with _alert_engine(settings) as engine:  # type: ignore[attr-defined]
        alert = baseline(engine, alert, dt.datetime.now(dt.timezone.utc))
    store.replace(alert)  # type: ignore[attr-defined]
    store.save()  # type: ignore[attr-defined]
    click.echo(f"Saved {name!r}: {alert.describe()} ({len(alert.seen):,} matches now; `alerts run` reports new ones).")


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="The saved searches as JSON.")
@click.pass_obj
def alerts_list(obj: tuple[Settings, Path | None], as_json: bool) -> None:
    """The saved searches, with when each last ran."""
    import json

    settings, file = obj
    store = _alert_store(settings, file)
    alerts = store.alerts  # type: ignore[attr-defined]
    if as_json:
        rows = [{"name": a.name, "search": {n: list(v) for n, v in a.params.items()}, "last_run": a.last_run} for a in alerts]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not alerts:
        click.echo("No saved searches; add one with `alerts add NAME QUERY`.")
    for alert in alerts:
        click.echo(f"{alert.name}\t{alert.describe()}\tlast run {alert.last_run or 'never'}")


@alerts_group.command("remove")
@click.argument("name")
@click.pass_obj
def alerts_remove(obj: tuple[Settings, Path | None], name: str) -> None:
    """Forget the saved search NAME."""
    from search.alerts import AlertError

    settings, file = obj
    store = _alert_store(settings, file)
    try:
        store.remove(name)  # type: ignore[attr-defined]
    except AlertError as error:
        raise click.UsageError(str(error)) from None
    store.save()  # type: ignore[attr-defined]
    click.echo(f"Removed {name!r}.")


@alerts_group.command("run")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON: per saved search, the new hits (API hit objects).")
@click.option("--base-url", default=None, metavar="URL", help="Public address for links to passages (or $VERBATIM_BASE_URL).")
@click.pass_obj
def alerts_run(obj: tuple[Settings, Path | None], names: tuple[str, ...], as_json: bool, base_url: str | None) -> None:
    """Print what the saved searches (all, or NAMES) match that they did not at their last run."""
    import datetime as dt
    import json

    from search.errors import BadQuery, SemanticUnavailable
    from search.alerts import AlertError, run_alerts

    settings, file = obj
    store = _alert_store(settings, file)
    base = (base_url or getattr(settings, "base_url", None) or "").rstrip("/")
    try:
        with _alert_engine(settings) as engine:  # type: ignore[attr-defined]
            results = run_alerts(engine, store, names, dt.datetime.now(dt.timezone.utc))  # type: ignore[arg-type]
    except AlertError as error:
        raise click.UsageError(str(error)) from None
    except (BadQuery, SemanticUnavailable) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({"alerts": [r.to_dict() for r in results]}, ensure_ascii=False, indent=2))
        return
    for result in results:
        count = len(result.new)
        click.echo(f"{result.alert.name}: {count:,} new ({result.alert.describe()})")
        for hit in result.new:
            where = f"{base}/t/{hit.transcript_id}#u{hit.seq}" if base else hit.id
            click.echo(f"  {hit.date.isoformat()}  {hit.speaker or 'Narration'} · {hit.title}")
            click.echo(f"    {where}" + (f"  (original: {hit.url})" if hit.url else ""))


# --- serve (web/) ---


def _needs_embedding(settings: Settings) -> bool:
    """True when the [semantic] extra is installed and some indexed utterance has no current vector."""
    from search.semantic import semantic_available

    if not semantic_available():
        return False
    from search.vectors import indexed_texts, load_store, text_hash

    store = load_store(settings.index_dir)
    if store is None:
        return True
    done = store.utterance_hashes()
    return any(done.get(uid) != text_hash(text) for uid, text in indexed_texts(settings.index_dir).items())


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1, or $VERBATIM_HOST).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 5000, or $VERBATIM_PORT).")
@click.option("--debug", is_flag=True, help="Flask's reloading development server with the debugger.")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (gunicorn; default: one per core).",
)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["auto", "gunicorn", "waitress"]),
    default="auto",
    show_default=True,
    help="gunicorn's pre-fork workers where available, else waitress in one process.",
)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Worker threads (waitress).")
@click.option(
    "--base-url",
    default=None,
    help="Public address of this server for absolute links (CSV, API description); default $VERBATIM_BASE_URL, else relative links.",
)
@click.option("--embed", is_flag=True, help="Compute missing embedding vectors in the background while serving (make run).")
@click.pass_obj
def serve_command(
    settings: Settings,
    host: str | None,
    port: int | None,
    debug: bool,
    workers: int | None,
    server_name: str,
    threads: int,
    base_url: str | None,
    embed: bool,
) -> None:
    """Run the web UI and JSON API (only this machine can connect unless --host says otherwise)."""
    # Imported here so the other commands do not pay for Flask and the servers.
    from web import server
    from settings import public_base_url

    try:
        base = public_base_url(base_url) if base_url is not None else settings.base_url
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None
    settings = dataclasses.replace(
        settings,
        host=host or settings.host,
        port=settings.port if port is None else port,
        debug=debug,
        base_url=base,
    )
    if server_name == "gunicorn" and not server.gunicorn_available():
        raise click.UsageError("gunicorn (with gevent) is not available here: use --server waitress")
    # --embed embeds in a thread of the serving process, whose pages show its progress: one process.
    embedding = embed and not debug and _needs_embedding(settings)
    use_gunicorn = not debug and not embedding and server_name != "waitress" and server.gunicorn_available()
    where = f"http://{settings.host}:{settings.port}/"
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"Warning: listening on {settings.host}, so other machines can connect; "
            "put a reverse proxy with header timeouts in front (README: Running it for others).",
            err=True,
        )
    if use_gunicorn:
        count = workers or server.default_workers()
        click.echo(f"Verbatim on {where} (index: {settings.index_dir}, {count} worker processes); Ctrl+C stops it.")
        server.serve_gunicorn(settings, count)
        return
    if workers and workers > 1:
        click.echo(f"--workers needs gunicorn: serving with waitress in one process ({threads} threads).", err=True)
    app = server.worker_app(settings, warm=False)
    click.echo(f"Verbatim on {where} (index: {settings.index_dir}); Ctrl+C stops it.")
    # The embedding model takes a moment to load: start now, so the first semantic search does not wait
    # (not under --debug, whose reloader would load it in a process that serves nothing).
    from web import warm_up

    if embedding:
        from web.embedding import start_background_embedding

        start_background_embedding(app)
        click.echo("Keyword search is on; embedding vectors are computed in the background for meaning search.")
    elif not debug and warm_up(app) is not None:
        click.echo("Semantic search on; loading the embedding model in the background.")
    if debug:
        app.run(host=settings.host, port=settings.port, debug=True)
    else:
        server.serve_waitress(app, settings, threads)


# --- every command takes --index after its name too (DESIGN §4) ---


def _set_index(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """`--index DIR` after a command's name: the group's settings with that index."""
    if value is not None and isinstance(ctx.obj, Settings):
        ctx.obj = dataclasses.replace(ctx.obj, index_dir=value)


def accept_index_option(group: click.Group) -> None:
    """Give every command of `group` (and of its sub-groups) an `--index DIR` option of its own."""
    for command in group.commands.values():
        if not any("--index" in getattr(param, "opts", ()) for param in command.params):
            command.params.append(
                click.Option(
                    ["--index", "index_after"],
                    type=click.Path(file_okay=False, path_type=Path),
                    default=None,
                    expose_value=False,
                    is_eager=True,
                    callback=_set_index,
                    help="Index directory (the same as the option before the command name).",
                )
            )
        if isinstance(command, click.Group):
            accept_index_option(command)


accept_index_option(cli)

if __name__ == "__main__":
    cli()

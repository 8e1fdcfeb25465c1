"""`fetch` against a real HTTP server on 127.0.0.1 that serves the site's pages (the HTML corpus when
$VERBATIM_CORPUS is set, else pages written here), plus pages that fail: 404, 500, slow, truncated.

Every test fetches a handful of pages with no delay; the one slow page is bounded by a short timeout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from site_pages import site_page

from index import fetch as fetching
from index.fetch import FetchError, HttpClient, Throttle, fetch, page_path, parse_id_range
from index.parse import source_files
from index.reindex import reindex
from manage import cli

NEWS = "/events/president/news"
# The first pages of the corpus in id order; the range 17108-17125 holds them and 12 ids that do not exist.
IDS = ("17108", "17113", "17117", "17118", "17119", "17125")
RANGE = "17108-17125"


@dataclass
class Site:
    """What the local server serves and what it was asked."""

    pages: Path
    robots: bytes | None = b"User-agent: *\nDisallow: /search\n"
    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def page_requests(self) -> list[str]:
        return [path.rsplit("/", 1)[-1] for path, _ in self.requests if path.startswith(f"{NEWS}/")]


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _serve_page(site: Site, handler: BaseHTTPRequestHandler, page_id: str) -> None:
    """A page with an ETag and Last-Modified; 304 for a matching If-None-Match."""
    path = site.pages / f"{page_id}.html"
    if not path.is_file():
        _send(handler, 404, b"<html><body>Not found</body></html>")
        return
    body = path.read_bytes()
    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
    validators = {"ETag": etag, "Last-Modified": "Wed, 21 Oct 2020 07:28:00 GMT"}
    if handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        for name, value in validators.items():
            handler.send_header(name, value)
        handler.end_headers()
        return
    _send(handler, 200, body, validators)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            site.requests.append((self.path, dict(self.headers.items())))
            if self.path in site.routes:
                site.routes[self.path](self)
            elif self.path == "/robots.txt":
                _send(self, 200, site.robots) if site.robots is not None else _send(self, 404)
            elif self.path.startswith(f"{NEWS}/") and self.path.rsplit("/", 1)[-1].isdigit():
                _serve_page(site, self, self.path.rsplit("/", 1)[-1])
            else:
                _send(self, 404)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def pages_dir(tmp_path: Path) -> Path:
    """The HTML corpus beside $VERBATIM_CORPUS, else six pages written here with the same ids."""
    corpus = os.environ.get("VERBATIM_CORPUS")
    if corpus and (Path(corpus).parent / "kremlin-html").is_dir():
        return Path(corpus).parent / "kremlin-html"
    folder = tmp_path / "served"
    folder.mkdir()
    for page_id in IDS:
        body = f"<p><b>Vladimir Putin:</b> Page {page_id}.</p><p><b>Question:</b> Thank you.</p>"
        (folder / f"{page_id}.html").write_text(site_page(body, page_id=page_id, title=f"Meeting {page_id}"), encoding="utf-8")
    return folder


@pytest.fixture
def site(pages_dir: Path) -> Iterator[Site]:
    """A real HTTP server on 127.0.0.1 (a free port) for the length of a test."""
    served = Site(pages_dir)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def quick(site: Site, out: Path, **kwargs: object) -> fetching.FetchSummary:
    """A fetch from the local server with no delay and a short timeout."""
    options: dict[str, object] = {"ids": parse_id_range(RANGE), "base_url": site.base, "delay": 0.0, "timeout": 2.0}
    options.update(kwargs)
    return fetch(out, **options)  # type: ignore[arg-type]


def saved_files(out: Path) -> list[str]:
    """Every file under the mirror, hidden ones included, relative to it."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_fetch_saves_pages_in_the_mirror_layout(site: Site, tmp_path: Path) -> None:
    """Existing pages are saved byte for byte as events/president/news/<id>.html; the gaps are 'not found'."""
    out = tmp_path / "mirror"
    summary = quick(site, out)
    assert sorted(summary.outcomes[fetching.SAVED]) == list(IDS)
    assert summary.count(fetching.MISSING) == len(parse_id_range(RANGE)) - len(IDS)
    assert summary.failures == {}
    for page_id in IDS:
        assert page_path(out, page_id).read_bytes() == (site.pages / f"{page_id}.html").read_bytes()
    assert saved_files(out) == sorted([fetching.STATE_FILE, *(f"events/president/news/{i}.html" for i in IDS)])
    assert [p.name for p in source_files([out])] == [f"{i}.html" for i in IDS]


def test_fetch_is_polite(site: Site, tmp_path: Path) -> None:
    """robots.txt first, then one request per id, each with a User-Agent naming Verbatim."""
    quick(site, tmp_path / "mirror")
    paths = [path for path, _ in site.requests]
    assert paths[0] == "/robots.txt"
    assert sorted(site.page_requests()) == [str(n) for n in parse_id_range(RANGE)]
    agents = {headers.get("User-Agent", "") for _, headers in site.requests}
    assert len(agents) == 1 and agents.pop().startswith("Verbatim/")


def test_second_run_asks_for_nothing_already_known(site: Site, tmp_path: Path) -> None:
    """Saved pages and ids found missing before are not requested again."""
    out = tmp_path / "mirror"
    quick(site, out)
    site.requests.clear()
    summary = quick(site, out)
    assert site.requests == []
    assert sorted(summary.outcomes[fetching.EXISTING]) == list(IDS)
    assert summary.count(fetching.MISSING) == len(parse_id_range(RANGE)) - len(IDS)


def test_refresh_uses_conditional_requests(site: Site, tmp_path: Path) -> None:
    """With refresh, saved pages are revalidated with their ETag: 304 leaves the file alone, a change replaces it."""
    served = tmp_path / "served-copy"
    served.mkdir()
    for page_id in IDS[:2]:
        (served / f"{page_id}.html").write_bytes((site.pages / f"{page_id}.html").read_bytes())
    site.pages = served
    out = tmp_path / "mirror"
    quick(site, out, ids=IDS[:2])
    before = {page_id: page_path(out, page_id).stat().st_mtime_ns for page_id in IDS[:2]}
    site.requests.clear()
    changed = (served / f"{IDS[1]}.html").read_text(encoding="utf-8").replace("</article>", "<p>Corrected.</p></article>")
    (served / f"{IDS[1]}.html").write_text(changed, encoding="utf-8")

    summary = quick(site, out, ids=IDS[:2], refresh=True)

    assert summary.outcomes == {fetching.NOT_MODIFIED: [IDS[0]], fetching.UPDATED: [IDS[1]]}
    sent = {path.rsplit("/", 1)[-1]: headers for path, headers in site.requests if path.startswith(NEWS)}
    assert sent[IDS[0]]["If-None-Match"].startswith('"') and sent[IDS[0]]["If-Modified-Since"]
    assert page_path(out, IDS[0]).stat().st_mtime_ns == before[IDS[0]]
    assert page_path(out, IDS[1]).read_text(encoding="utf-8") == changed


def _truncated(handler: BaseHTTPRequestHandler) -> None:
    """Promise a whole page, send half of it, hang up."""
    body = site_page("<p><b>Vladimir Putin:</b> Cut off.</p>").encode()
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.close_connection = True


def _slow(handler: BaseHTTPRequestHandler) -> None:
    """Answer after the client has given up."""
    time.sleep(1.0)
    try:
        _send(handler, 200, site_page("<p>Late.</p>").encode())
    except (BrokenPipeError, ConnectionResetError):
        pass


def _status(code: int, headers: dict[str, str] | None = None) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda handler: _send(handler, code, f"<html><body>Error {code}</body></html>".encode(), headers)


def _fail_once(site: Site, page_id: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """A 500 the first time, the page afterwards."""
    calls: list[int] = []

    def route(handler: BaseHTTPRequestHandler) -> None:
        calls.append(1)
        if len(calls) == 1:
            _send(handler, 500, b"busy")
        else:
            _serve_page(site, handler, page_id)

    return route


def test_failures_are_reported_never_half_written_and_retried_later(site: Site, tmp_path: Path) -> None:
    """500, truncated, slow and non-article pages fail with a reason and leave no file; a page that fails
    once is retried within the run; the next run fetches the rest once the server behaves."""
    broken, cut, slow, odd, flaky = IDS[:5]
    site.routes = {
        f"{NEWS}/{broken}": _status(500),
        f"{NEWS}/{cut}": _truncated,
        f"{NEWS}/{slow}": _slow,
        f"{NEWS}/{odd}": lambda handler: _send(handler, 200, b"<html><body><p>Maintenance</p></body></html>"),
        f"{NEWS}/{flaky}": _fail_once(site, flaky),
    }
    out = tmp_path / "mirror"

    summary = quick(site, out, ids=IDS, timeout=0.3, retries=1)

    assert summary.outcomes == {fetching.SAVED: [IDS[5], flaky], fetching.FAILED: [broken, cut, slow, odd]}
    assert summary.failures[broken] == "HTTP 500 Internal Server Error"
    assert summary.failures[cut].startswith("truncated")
    assert "timed out" in summary.failures[slow]
    assert summary.failures[odd] == "not an article page (no article text); not saved"
    assert site.page_requests().count(broken) == 2  # first pass and one retry round
    assert saved_files(out) == sorted([fetching.STATE_FILE, f"events/president/news/{flaky}.html", f"events/president/news/{IDS[5]}.html"])

    site.routes.clear()
    again = quick(site, out, ids=IDS)
    assert sorted(again.outcomes[fetching.SAVED]) == sorted([broken, cut, slow, odd])
    assert again.failures == {}


def test_retry_after_holds_back_the_next_request(site: Site, tmp_path: Path) -> None:
    """A 503 with Retry-After delays the next request by that long (the sleep asked of the throttle)."""
    site.routes = {f"{NEWS}/{IDS[0]}": _status(503, {"Retry-After": "1"})}
    sleeps: list[float] = []
    summary = quick(site, tmp_path / "mirror", ids=IDS[:2], retries=0, throttle=Throttle(0.0, sleep=sleeps.append))
    assert summary.failures == {IDS[0]: "HTTP 503 Service Unavailable"}
    assert summary.outcomes[fetching.SAVED] == [IDS[1]]
    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0


def test_robots_txt_is_honoured(site: Site, tmp_path: Path) -> None:
    """A disallowed page is never requested; a longer Crawl-delay than ours is obeyed."""
    site.robots = f"User-agent: *\nDisallow: {NEWS}/{IDS[1]}\nCrawl-delay: 3\n".encode()
    fetcher = fetching.Fetcher(tmp_path / "mirror", base_url=site.base, delay=1.0)
    assert not fetcher.allowed(fetching.page_url(site.base, IDS[1]))
    assert fetcher.allowed(fetching.page_url(site.base, IDS[0]))
    assert fetcher.throttle.delay == 3.0
    site.robots = f"User-agent: *\nDisallow: {NEWS}/{IDS[1]}\n".encode()
    summary = quick(site, tmp_path / "mirror", ids=IDS[:3])
    assert summary.outcomes[fetching.DISALLOWED] == [IDS[1]]
    assert IDS[1] not in site.page_requests()


def test_no_robots_txt_allows_all_but_an_unreachable_one_allows_nothing(site: Site, tmp_path: Path) -> None:
    site.robots = None
    assert quick(site, tmp_path / "a", ids=IDS[:1]).outcomes == {fetching.SAVED: [IDS[0]]}
    site.routes = {"/robots.txt": _status(500)}
    site.requests.clear()
    summary = quick(site, tmp_path / "b", ids=IDS[:2], retries=0)
    assert set(summary.failures) == set(IDS[:2])
    assert all(reason.startswith("robots.txt unreachable") for reason in summary.failures.values())
    assert site.page_requests() == []


def listing_page(entries: list[tuple[str, str]], next_href: str | None) -> bytes:
    """A news listing page in the site's mark-up: `.hentry` items with a link and a date, and a `next` link."""
    items = "".join(
        f'<div class="hentry h-entry hentry_event" data-id="{page_id}"><h3 class="hentry__title">'
        f'<a href="{NEWS}/{page_id}" rel="bookmark"><span class="entry-title">Meeting {page_id}</span>'
        f'<time class="published dt-published" datetime="{day}">{day}</time></a></h3></div>'
        for page_id, day in entries
    )
    more = f'<a href="{next_href}" class="button more more-next" rel="next">Previous</a>' if next_href else ""
    return f"<html><body><div class='events'>{items}</div>{more}</body></html>".encode()


def test_since_follows_the_news_listing_until_older_pages(site: Site, tmp_path: Path) -> None:
    """--since reads the listing pages newest first and stops at the first page that reaches older news."""
    first = listing_page([(IDS[5], "2020-06-16"), (IDS[4], "2020-06-15")], f"{NEWS}/page/2")
    second = listing_page([(IDS[3], "2020-06-12"), (IDS[2], "2020-06-01")], f"{NEWS}/page/3")
    site.routes = {NEWS: lambda h: _send(h, 200, first), f"{NEWS}/page/2": lambda h: _send(h, 200, second)}
    summary = quick(site, tmp_path / "mirror", ids=(), since=dt.date(2020, 6, 10))
    assert summary.outcomes == {fetching.SAVED: [IDS[5], IDS[4], IDS[3]]}
    assert f"{NEWS}/page/3" not in [path for path, _ in site.requests]


def test_throttle_spaces_requests() -> None:
    """The throttle sleeps whatever is left of the delay since the last request, and longer when asked."""
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    throttle = Throttle(2.0, clock=lambda: now[0], sleep=sleep)
    throttle.wait()
    now[0] += 0.5
    throttle.wait()
    now[0] += 3.0
    throttle.wait()
    throttle.wait(at_least=5.0)
    assert sleeps == [1.5, 5.0]


@pytest.mark.parametrize(("text", "expected"), [("17108-17110", range(17108, 17111)), ("42", range(42, 43))])
def test_parse_id_range(text: str, expected: range) -> None:
    assert parse_id_range(text) == expected


@pytest.mark.parametrize("text", ["17110-17108", "abc", "1-", "-5", "1-2-3"])
def test_parse_id_range_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_id_range(text)


def test_client_reports_a_refused_connection(tmp_path: Path) -> None:
    """Nothing listening: a FetchError with the reason, not a traceback."""
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as server:
        port = server.server_address[1]
    with pytest.raises(FetchError, match="refused|Connection"):
        HttpClient(timeout=2.0).get(f"http://127.0.0.1:{port}/robots.txt")


# --- the command, and fetch → reindex ------------------------------------------------------------


def test_fetch_command_then_reindex_adds_only_the_new_pages(site: Site, tmp_path: Path) -> None:
    """fetch a few pages, index them; fetch more, reindex: only the new pages are added."""
    out, index = tmp_path / "mirror", tmp_path / "index"
    runner = CliRunner()
    first = runner.invoke(cli, ["fetch", "--out", str(out), "--ids", f"{IDS[0]}-{IDS[2]}", "--base-url", site.base, "--delay", "0"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"Pages in {out}: 3 saved, 0 updated, 0 already saved,")
    assert f"Next: python manage.py reindex {out}" in first.output
    summary = reindex(index, [out])
    assert (summary.added, summary.transcripts) == (3, 3)

    second = runner.invoke(cli, ["fetch", "--out", str(out), "--ids", RANGE, "--base-url", site.base, "--delay", "0"])
    assert second.exit_code == 0, second.output
    assert "3 saved, 0 updated, 3 already saved" in second.output
    summary = reindex(index, [out])
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (3, 0, 0, 3)
    assert summary.transcripts == len(IDS)


def test_fetch_command_reports_failures_with_exit_status_1(site: Site, tmp_path: Path) -> None:
    site.routes = {f"{NEWS}/{IDS[0]}": _status(500)}
    result = CliRunner().invoke(
        cli, ["fetch", "--out", str(tmp_path / "m"), "--ids", IDS[0], "--base-url", site.base, "--delay", "0"]
    )
    assert result.exit_code == 1
    assert f"{IDS[0]}: HTTP 500 Internal Server Error" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "--ids A-B and/or --since"),
        (["--ids", "9-1"], "ends before it starts"),
        (["--ids", "1-2", "--base-url", "ftp://example.org"], "base URL must be http"),
    ],
)
def test_fetch_command_usage_errors(tmp_path: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["fetch", "--out", str(tmp_path / "m"), *arguments])
    assert result.exit_code == 2
    assert message in result.output


# --- a hostile server (issue 15 #5) ----------------------------------------------------------------


def _drip(body: bytes, *, every: float, announce: bool = True, stop_after: int | None = None):
    """Send `body` a few bytes at a time, `every` seconds apart (hanging up after `stop_after` bytes)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if announce:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.close_connection = True
        sent = body if stop_after is None else body[:stop_after]
        try:
            for start in range(0, len(sent), 64):
                handler.wfile.write(sent[start : start + 64])
                handler.wfile.flush()
                time.sleep(every)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return route


def _huge(size: int, *, announce: bool):
    """A body of `size` bytes, with or without a Content-Length saying so."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if announce:
            handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.close_connection = True
        block = b"<p>" + b"x" * 65_530 + b"</p>"
        try:
            for _ in range(size // len(block) + 1):
                handler.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return route


def test_a_huge_crawl_delay_is_capped_with_a_note(site: Site, tmp_path: Path) -> None:
    site.robots = b"User-agent: *\nCrawl-delay: 100000\n"
    fetcher = fetching.Fetcher(tmp_path / "mirror", base_url=site.base, delay=1.0)
    assert fetcher.allowed(fetching.page_url(site.base, IDS[0]))
    assert fetcher.throttle.delay == fetching.MAX_CRAWL_DELAY == 60.0
    assert fetcher.summary.notes == [
        "robots.txt asks for 100000 s between requests; waiting 60 s, the most fetch waits"
    ]


def test_a_dripping_page_fails_at_the_deadline_and_a_half_page_is_never_saved(site: Site, tmp_path: Path) -> None:
    """A 1 byte/s drip held a page 150 s under a 30 s timeout per read; the deadline bounds the whole body."""
    page = site_page("<p><b>Vladimir Putin:</b> Slowly.</p>").encode()
    site.routes = {
        f"{NEWS}/{IDS[0]}": _drip(page, every=0.05),  # each read is quick: only the deadline stops it
        f"{NEWS}/{IDS[1]}": _drip(page, every=0.0, stop_after=len(page) // 2),  # half, then hang up
        f"{NEWS}/{IDS[2]}": _drip(page, every=0.0, announce=False),  # no Content-Length: complete at close
    }
    started = time.perf_counter()
    summary = quick(site, tmp_path / "mirror", ids=IDS[:3], timeout=2.0, deadline=0.5, retries=0)
    assert time.perf_counter() - started < 3.0
    assert summary.failures[IDS[0]].startswith("too slow:") and summary.failures[IDS[0]].endswith("not saved")
    assert summary.failures[IDS[1]] == f"truncated: got {len(page) // 2} of {len(page)} bytes"
    assert summary.outcomes[fetching.SAVED] == [IDS[2]]
    assert saved_files(tmp_path / "mirror") == sorted([fetching.STATE_FILE, f"events/president/news/{IDS[2]}.html"])


def test_oversized_bodies_are_refused_announced_or_not(site: Site, tmp_path: Path) -> None:
    """A 300 MB body used to be kept in memory and saved; no more than MAX_BODY_BYTES is read."""
    site.routes = {
        f"{NEWS}/{IDS[0]}": _huge(300 * 2**20, announce=True),
        f"{NEWS}/{IDS[1]}": _huge(fetching.MAX_BODY_BYTES + 2**20, announce=False),
    }
    summary = quick(site, tmp_path / "mirror", ids=IDS[:2], retries=0)
    assert summary.failures[IDS[0]] == f"too large: {300 * 2**20:,} bytes announced, more than {fetching.MAX_BODY_BYTES:,}; not saved"
    assert summary.failures[IDS[1]] == f"too large: more than {fetching.MAX_BODY_BYTES:,} bytes; not saved"
    assert saved_files(tmp_path / "mirror") == [fetching.STATE_FILE]


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[Site]:
    """A second server: another origin (another port), serving a page that looks like the site's."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / f"{IDS[0]}.html").write_text(site_page("<p><b>Impostor:</b> Not the site.</p>", page_id=IDS[0]), encoding="utf-8")
    served = Site(folder, robots=b"User-agent: *\nDisallow: /\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_redirect_to_another_origin_is_refused_and_reported(site: Site, other_site: Site, tmp_path: Path) -> None:
    """Another site's page is not saved as this site's page (its robots.txt was never read); a redirect
    within the site is followed."""
    site.routes = {
        f"{NEWS}/{IDS[0]}": _status(302, {"Location": f"{other_site.base}{NEWS}/{IDS[0]}"}),
        f"{NEWS}/{IDS[1]}": _status(301, {"Location": f"{NEWS}/{IDS[2]}"}),
    }
    summary = quick(site, tmp_path / "mirror", ids=IDS[:2], retries=0)
    assert summary.failures == {IDS[0]: f"redirected to another site ({other_site.base}): not followed"}
    assert summary.outcomes[fetching.SAVED] == [IDS[1]]
    assert other_site.requests == []
    assert not page_path(tmp_path / "mirror", IDS[0]).exists()


def test_a_listing_whose_next_link_loops_stops(site: Site, tmp_path: Path) -> None:
    """A `rel=next` to itself cost 2,002 requests; a loop of two pages, or a next page listing nothing
    new, stops as well, with a note."""
    selfish = listing_page([(IDS[5], "2020-06-16")], NEWS)
    site.routes = {NEWS: lambda h: _send(h, 200, selfish)}
    summary = quick(site, tmp_path / "a", ids=(), since=dt.date(2020, 6, 1))
    assert [path for path, _ in site.requests if path.startswith(NEWS) and not path[len(NEWS) + 1 :].isdigit()] == [NEWS]
    assert summary.outcomes == {fetching.SAVED: [IDS[5]]}
    assert summary.notes == [f"listing {site.base}{NEWS}: its next link leads back to {site.base}{NEWS}; stopped there"]

    site.requests.clear()
    first = listing_page([(IDS[5], "2020-06-16")], f"{NEWS}/page/2")
    second = listing_page([(IDS[4], "2020-06-15")], f"{NEWS}/page/3")
    same = listing_page([(IDS[4], "2020-06-15")], f"{NEWS}/page/4")
    site.routes = {
        NEWS: lambda h: _send(h, 200, first),
        f"{NEWS}/page/2": lambda h: _send(h, 200, second),
        f"{NEWS}/page/3": lambda h: _send(h, 200, same),  # lists nothing new: page/4 is not asked for
    }
    summary = quick(site, tmp_path / "b", ids=(), since=dt.date(2020, 6, 1))
    listings = [path for path, _ in site.requests if "/page/" in path or path == NEWS]
    assert listings == [NEWS, f"{NEWS}/page/2", f"{NEWS}/page/3"]
    assert summary.notes == [f"listing {site.base}{NEWS}/page/3: lists no page not listed before; stopped there"]


def test_the_fetch_command_prints_the_notes(site: Site, tmp_path: Path) -> None:
    site.robots = b"User-agent: *\nDisallow: /\nCrawl-delay: 100000\n"  # nothing to wait for: no page is asked
    result = CliRunner().invoke(
        cli, ["fetch", "--out", str(tmp_path / "m"), "--ids", "1", "--base-url", site.base, "--delay", "0"]
    )
    assert "Note: robots.txt asks for 100000 s between requests; waiting 60 s, the most fetch waits" in result.stderr


@pytest.mark.parametrize(
    ("url", "target", "same"),
    [
        ("http://en.kremlin.ru/a", "http://en.kremlin.ru/b", True),
        ("http://en.kremlin.ru/a", "https://en.kremlin.ru/a", True),  # the upgrade every site does
        ("https://en.kremlin.ru/a", "http://en.kremlin.ru/a", False),
        ("http://en.kremlin.ru/a", "http://evil.example/a", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a", False),
        ("http://en.kremlin.ru/a", "https://en.kremlin.ru:8443/a", False),
    ],
)
def test_same_site(url: str, target: str, same: bool) -> None:
    assert fetching.same_site(url, target) is same


def _header_drip(handler: BaseHTTPRequestHandler) -> None:
    """Headers a byte at a time, each byte well within the per-read timeout, for ever."""
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        for _ in range(600):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def test_the_deadline_covers_the_headers_too(site: Site, tmp_path: Path) -> None:
    """Not only the body: a server dripping its headers is cut off at the deadline."""
    site.routes = {f"{NEWS}/{IDS[0]}": _header_drip}
    started = time.perf_counter()
    summary = quick(site, tmp_path / "mirror", ids=IDS[:1], timeout=2.0, deadline=0.5, retries=0)
    assert time.perf_counter() - started < 3.0
    assert summary.failures == {IDS[0]: "too slow: no complete answer within 0.5 s (the deadline per page); not saved"}

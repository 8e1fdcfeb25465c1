"""Fetch pages of the site (en.kremlin.ru) into a mirror folder that `reindex` reads.

Polite: one request at a time with a delay between them (at least the site's robots.txt
Crawl-delay), an honest User-Agent, robots.txt honoured, Retry-After obeyed. Resumable: a page
already saved is not requested again (with `refresh`, it is revalidated with If-None-Match /
If-Modified-Since); a page is written to a temporary file and renamed, so the mirror never holds
half a page; pages that fail are retried at the end of the run and reported, and a later run
tries them again. The mirror has the site's layout, `<out>/events/president/news/<id>.html`.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from tqdm import tqdm

from index import html as page_html
from index.reading import MAX_TRANSCRIPT_BYTES

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://en.kremlin.ru"
NEWS_PATH = "/events/president/news"
DEFAULT_DELAY = 2.0  # seconds between requests
DEFAULT_TIMEOUT = 30.0  # seconds for one read (connect, each header line, each block of the body)
# Bounds against a hostile or broken server (each one was exceeded in a trial: a 1 byte/s drip
# held a page 150 s, a 300 MB body was kept in memory, Crawl-delay: 100000 was obeyed silently).
DEFAULT_DEADLINE = 120.0  # seconds for one whole request (connect, headers, body), however it trickles in
MAX_BODY_BYTES = MAX_TRANSCRIPT_BYTES  # a page bigger than reindex would read is not downloaded
MAX_CRAWL_DELAY = 60.0  # the longest robots.txt Crawl-delay we wait between requests
READ_BLOCK = 64 * 1024
DEFAULT_RETRIES = 2  # extra rounds for the pages that failed, at the end of a run
MAX_RETRY_AFTER = 120.0  # longest Retry-After we wait for within a run
MAX_LISTING_PAGES = 2000  # `since` never walks further back than this
STATE_FILE = ".verbatim-fetch.json"  # hidden: reindex skips it
STATE_EVERY = 20  # pages between saves of the state file

# How a page came out of a run.
SAVED, UPDATED, NOT_MODIFIED, EXISTING, MISSING, DISALLOWED, FAILED = (
    "saved", "updated", "not modified", "already saved", "not found", "disallowed by robots.txt", "failed",
)


class FetchError(Exception):
    """A request that did not give a complete page: network error, timeout, truncated body, HTTP error."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def user_agent() -> str:
    """Who is asking: Verbatim, its version, and why."""
    try:
        version = metadata.version("verbatim")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"Verbatim/{version} (transcript search engine; polite single-threaded fetcher building a local index)"


@dataclass(frozen=True)
class Response:
    """A complete HTTP response (304 included)."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, lower-cased: what robots.txt and a site's pages belong to."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def same_site(url: str, target: str) -> bool:
    """Whether `target` is on the site of `url`: the same origin, or its https form (http://host →
    https://host, as sites upgrade every request)."""
    if origin(url) == origin(target):
        return True
    before, after = urlsplit(url), urlsplit(target)
    return (
        (before.scheme.lower(), after.scheme.lower()) == ("http", "https")
        and before.hostname == after.hostname
        and before.port in (None, 80)
        and after.port in (None, 443)
    )


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects within the site only: a page of another origin was saved as the site's page
    without that origin's robots.txt having been read."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if not same_site(req.full_url, newurl):
            fp.close()
            scheme, host = origin(newurl)
            raise FetchError(f"redirected to another site ({scheme}://{host}): not followed", status=code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Watchdog:
    """Shuts the sockets of one request at its deadline: a server that sends headers (or the body)
    a byte at a time, each byte within the per-read timeout, is cut off all the same."""

    def __init__(self) -> None:
        self.connections: list[http.client.HTTPConnection] = []
        self.expired = False
        self._timer: threading.Timer | None = None

    def connection(self, kind: type[http.client.HTTPConnection]) -> Callable[..., http.client.HTTPConnection]:
        """A connection factory for urllib's handlers that remembers what it made."""

        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            made = kind(host, **kwargs)
            self.connections.append(made)
            return made

        return make

    def start(self, seconds: float) -> None:
        self.expired = False
        self.connections.clear()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.connections.clear()

    def _expire(self) -> None:
        self.expired = True
        for made in list(self.connections):
            if made.sock is not None:
                try:
                    made.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _WatchedHttp(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: Any) -> Any:
        return self.do_open(self.watchdog.connection(http.client.HTTPConnection), req)


class _WatchedHttps(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req: Any) -> Any:
        return self.do_open(self.watchdog.connection(http.client.HTTPSConnection), req, context=self._context)


class HttpClient:
    """GET with our User-Agent, a timeout per read, a deadline for the whole request and a size cap;
    HTTP errors, timeouts, short, slow and oversized bodies and redirects off the site raise FetchError."""

    def __init__(
        self,
        *,
        agent: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.agent = agent or user_agent()
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._watchdog = _Watchdog()
        self._opener = urllib.request.build_opener(
            _SameOriginRedirects, _WatchedHttp(self._watchdog), _WatchedHttps(self._watchdog)
        )

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """The response to GET `url`; raises FetchError unless it is a complete 2xx or a 304 within the deadline."""
        too_slow = f"too slow: no complete answer within {self.deadline:g} s (the deadline per page); not saved"
        self._watchdog.start(self.deadline)
        try:
            response = self._get(url, headers)
        except FetchError:
            if self._watchdog.expired:
                raise FetchError(too_slow) from None
            raise
        finally:
            self._watchdog.stop()
        if self._watchdog.expired:  # cut off mid-headers, what arrived can look like a whole answer
            raise FetchError(too_slow)
        return response

    def _get(self, url: str, headers: Mapping[str, str] | None) -> Response:
        request = urllib.request.Request(url, headers={"User-Agent": self.agent, **(headers or {})})
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=min(self.timeout, self.deadline)) as answer:
                length = _content_length(answer.headers)
                if length is not None and length > self.max_bytes:
                    raise FetchError(f"too large: {length:,} bytes announced, more than {self.max_bytes:,}; not saved")
                body = self._read_body(answer, started)
                result = Response(answer.status, body, dict(answer.headers.items()))
        except urllib.error.HTTPError as error:
            with error:
                if error.code == 304:
                    return Response(304, b"", dict(error.headers.items()))
                raise FetchError(
                    f"HTTP {error.code} {error.reason}", status=error.code, retry_after=_retry_after(error.headers)
                ) from None
        except http.client.IncompleteRead as error:
            raise FetchError(f"truncated: got {len(error.partial)} bytes, {error.expected} more expected") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise FetchError(f"{type(reason).__name__}: {reason}" if isinstance(reason, Exception) else str(reason)) from None
        length = _content_length(result.headers)
        if length is not None and length != len(result.body):
            raise FetchError(f"truncated: got {len(result.body)} of {length} bytes")
        return result

    def _read_body(self, answer: Any, started: float) -> bytes:
        """The body block by block, stopping at the size cap or the deadline (`read()` would wait for
        all of it, one timeout per byte of a drip)."""
        blocks: list[bytes] = []
        size = 0
        while block := answer.read1(READ_BLOCK):
            size += len(block)
            if size > self.max_bytes:
                raise FetchError(f"too large: more than {self.max_bytes:,} bytes; not saved")
            if time.monotonic() - started > self.deadline:
                raise FetchError(f"too slow: {size:,} bytes in {self.deadline:g} s (the deadline per page); not saved")
            blocks.append(block)
        return b"".join(blocks)


def _content_length(headers: Any) -> int | None:
    """The Content-Length of a response as a number, None when absent or not a number."""
    value = (headers.get("Content-Length") or "").strip() if headers is not None else ""
    return int(value) if value.isdigit() else None


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), if any."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - dt.datetime.now(dt.timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


class Throttle:
    """Spaces requests at least `delay` seconds apart (start to start)."""

    def __init__(
        self,
        delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = max(0.0, delay)
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self, at_least: float = 0.0) -> None:
        """Sleep until the next request may go (and at least `at_least` seconds from the last one)."""
        gap = max(self.delay, at_least)
        if self._last is not None:
            remaining = self._last + gap - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last = self._clock()


@dataclass
class FetchSummary:
    """What a fetch did: page ids by outcome, failures with their reasons, and the time it took."""

    outcomes: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # bounds that applied (a capped Crawl-delay, a looping listing)

    def add(self, page_id: str, outcome: str) -> None:
        self.outcomes.setdefault(outcome, []).append(page_id)

    def count(self, outcome: str) -> int:
        return len(self.outcomes.get(outcome, ()))


# --- where things are ---------------------------------------------------------------------------


def normalise_base(base_url: str) -> str:
    """`http://en.kremlin.ru/` → `http://en.kremlin.ru`; raises ValueError for a URL that is not http(s)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be http:// or https:// with a host: {base_url!r}")
    return base_url.strip().rstrip("/")


def page_url(base_url: str, page_id: str) -> str:
    """The address of a page: `<base>/events/president/news/<id>`."""
    return f"{base_url}{NEWS_PATH}/{page_id}"


def page_path(out_dir: Path, page_id: str) -> Path:
    """Where a page is saved: the site's layout, as a wget mirror has it."""
    return out_dir.joinpath(*NEWS_PATH.strip("/").split("/"), f"{page_id}.html")


def parse_id_range(text: str) -> range:
    """`17100-17200` (inclusive) or a single id; raises ValueError for anything else."""
    first, dash, last = text.strip().partition("-")
    if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
        raise ValueError(f"expected an id range such as 17100-17200, got {text!r}")
    start, stop = int(first), int(last) if dash else int(first)
    if stop < start:
        raise ValueError(f"the range {text!r} ends before it starts")
    return range(start, stop + 1)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a hidden temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- state kept between runs ----------------------------------------------------------------------


def load_state(out_dir: Path) -> dict[str, dict[str, str]]:
    """{page id: {"etag", "last_modified", "status", "error"}} from earlier runs ({} if none or unreadable)."""
    try:
        data = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pages = data.get("pages") if isinstance(data, dict) else None
    return {str(k): v for k, v in pages.items() if isinstance(v, dict)} if isinstance(pages, dict) else {}


def save_state(out_dir: Path, state: Mapping[str, Mapping[str, str]]) -> None:
    """Write the state file atomically."""
    data = json.dumps({"pages": state}, ensure_ascii=False, indent=0, sort_keys=True)
    write_atomically(out_dir / STATE_FILE, data.encode("utf-8"))


# --- the fetch itself ---------------------------------------------------------------------------------


class Fetcher:
    """One polite fetching session against one site."""

    def __init__(
        self,
        out_dir: Path,
        *,
        base_url: str = DEFAULT_BASE_URL,
        delay: float = DEFAULT_DELAY,
        client: HttpClient | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.base_url = normalise_base(base_url)
        self.client = client or HttpClient()
        self.throttle = throttle or Throttle(delay)
        self.robots: urllib.robotparser.RobotFileParser | None = None
        self.robots_error: str | None = None
        self.backoff = 0.0
        self.summary = FetchSummary()
        self.notes = self.summary.notes

    def request(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """One throttled GET; a Retry-After from the server (429/503) holds back the next request."""
        self.throttle.wait(self.backoff)
        self.backoff = 0.0
        self.summary.requests += 1
        log.debug("GET %s", url)
        try:
            return self.client.get(url, headers)
        except FetchError as error:
            if error.retry_after:
                self.backoff = min(error.retry_after, MAX_RETRY_AFTER)
            raise

    def read_robots(self) -> None:
        """Fetch robots.txt: a missing one (4xx) allows everything; an unreachable one allows nothing (RFC 9309)."""
        robots = urllib.robotparser.RobotFileParser(f"{self.base_url}/robots.txt")
        try:
            response = self.request(f"{self.base_url}/robots.txt")
            robots.parse(response.body.decode("utf-8", errors="replace").splitlines())
        except FetchError as error:
            if error.status is None or not 400 <= error.status < 500:
                self.robots_error = f"robots.txt unreachable ({error}): nothing fetched, try again later"
                log.warning("%s", self.robots_error)
            robots.parse([])
        self.robots = robots
        crawl_delay = robots.crawl_delay(self.client.agent)
        if crawl_delay is not None and float(crawl_delay) > self.throttle.delay:
            wanted = float(crawl_delay)
            if wanted > MAX_CRAWL_DELAY:
                self.notes.append(
                    f"robots.txt asks for {wanted:g} s between requests; waiting {MAX_CRAWL_DELAY:g} s, the most fetch waits"
                )
                log.warning("%s", self.notes[-1])
            else:
                log.info("robots.txt asks for %s s between requests", crawl_delay)
            self.throttle.delay = max(self.throttle.delay, min(wanted, MAX_CRAWL_DELAY))

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url`; raises FetchError while robots.txt cannot be read."""
        if self.robots is None:
            self.read_robots()
        assert self.robots is not None
        if self.robots_error:
            raise FetchError(self.robots_error)
        return self.robots.can_fetch(self.client.agent, url)

    def fetch_page(self, page_id: str, record: dict[str, str], *, refresh: bool) -> str:
        """Fetch one page into the mirror; returns its outcome (raises FetchError when it fails)."""
        path = page_path(self.out_dir, page_id)
        saved = path.is_file() and path.stat().st_size > 0
        if saved and not refresh:
            return EXISTING
        if record.get("status") == MISSING and not refresh:
            return MISSING
        url = page_url(self.base_url, page_id)
        if not self.allowed(url):
            return DISALLOWED
        headers = {}
        if saved and record.get("etag"):
            headers["If-None-Match"] = record["etag"]
        if saved and record.get("last_modified"):
            headers["If-Modified-Since"] = record["last_modified"]
        try:
            response = self.request(url, headers)
        except FetchError as error:
            if error.status in (404, 410):
                return MISSING
            raise
        if response.status == 304:
            return NOT_MODIFIED
        if not page_html.is_site_page(response.body):
            raise FetchError("not an article page (no article text); not saved")
        record.update(_validators(response.headers))
        if saved and path.read_bytes() == response.body:
            return NOT_MODIFIED
        write_atomically(path, response.body)
        return UPDATED if saved else SAVED

    def listed_since(self, since: dt.date) -> list[str]:
        """Ids of the pages the site's news listing shows from `since` on, following its `next` links
        (within the site, never to a listing page already read, while they list pages not seen yet)."""
        ids: list[str] = []
        url: str | None = f"{self.base_url}{NEWS_PATH}"
        visited: set[str] = set()
        for _ in range(MAX_LISTING_PAGES):
            try:
                if url is None or not self.allowed(url):
                    break
                visited.add(url)
                listing = page_html.read_listing(self.request(url).body)
            except FetchError as error:
                self.summary.failures[url] = str(error)
                log.warning("listing %s: %s", url, error)
                break
            fresh = [page_id for page_id, day in listing.entries if day is None or day >= since]
            new = [page_id for page_id in fresh if page_id not in ids]
            ids.extend(new)
            if not listing.entries or len(fresh) < len(listing.entries):
                break  # reached pages older than `since`
            following = urljoin(url, listing.next_href) if listing.next_href else None
            problem = _listing_problem(url, following, visited, bool(new))
            if problem:
                self.notes.append(problem)
                log.warning("%s", problem)
                break
            url = following
        return ids


def _listing_problem(url: str, following: str | None, visited: set[str], progressed: bool) -> str | None:
    """Why the listing's `next` link is not followed (a loop, another site, nothing new), else None."""
    if following is None:
        return None
    if following in visited:
        return f"listing {url}: its next link leads back to {following}; stopped there"
    if not same_site(url, following):
        return f"listing {url}: its next link leads to another site ({following}); not followed"
    if not progressed:
        return f"listing {url}: lists no page not listed before; stopped there"
    return None


def _validators(headers: Mapping[str, str]) -> dict[str, str]:
    """ETag and Last-Modified of a response, for the next conditional request."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return {
        name: lowered[header]
        for name, header in (("etag", "etag"), ("last_modified", "last-modified"))
        if lowered.get(header)
    }


# The state file's status for each outcome: pages saved (or checked) earlier are not asked for again.
_STATUS = {SAVED: SAVED, UPDATED: SAVED, NOT_MODIFIED: SAVED, EXISTING: SAVED, MISSING: MISSING, DISALLOWED: DISALLOWED}


def _attempt(fetcher: Fetcher, page_id: str, record: dict[str, str], refresh: bool) -> FetchError | None:
    """Fetch one page and note the outcome in the summary and its state record; the error if it failed."""
    try:
        outcome = fetcher.fetch_page(page_id, record, refresh=refresh)
    except FetchError as error:
        record.update(status=FAILED, error=str(error))
        log.info("page %s: %s", page_id, error)
        return error
    record["status"] = _STATUS[outcome]
    record.pop("error", None)
    fetcher.summary.add(page_id, outcome)
    return None


def fetch(
    out_dir: Path | str,
    *,
    ids: Iterable[int | str] = (),
    since: dt.date | None = None,
    base_url: str = DEFAULT_BASE_URL,
    delay: float = DEFAULT_DELAY,
    refresh: bool = False,
    retries: int = DEFAULT_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    progress: bool = False,
    client: HttpClient | None = None,
    throttle: Throttle | None = None,
) -> FetchSummary:
    """Fetch the pages `ids` and those listed since `since` into `out_dir` (see the module docstring);
    pages that fail are tried again in up to `retries` rounds at the end.

    :raises ValueError: a base URL that is not http(s).
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fetcher = Fetcher(out, base_url=base_url, delay=delay, client=client or HttpClient(timeout=timeout, deadline=deadline), throttle=throttle)
    wanted = dict.fromkeys(str(page_id) for page_id in ids)
    if since is not None:
        wanted.update(dict.fromkeys(fetcher.listed_since(since)))
    state = load_state(out)
    pending = list(wanted)
    errors: dict[str, FetchError] = {}
    try:
        with tqdm(total=len(pending), desc="fetching", unit="page", leave=False, disable=not progress) as bar:
            for attempt in range(retries + 1):
                if attempt:
                    bar.set_description(f"retrying failed pages ({attempt}/{retries})")
                    bar.reset(total=len(pending))
                for done, page_id in enumerate(list(pending), 1):
                    error = _attempt(fetcher, page_id, state.setdefault(page_id, {}), refresh)
                    if error is None:
                        pending.remove(page_id)
                        errors.pop(page_id, None)
                    else:
                        errors[page_id] = error
                    bar.update()
                    if done % STATE_EVERY == 0:
                        save_state(out, state)
                if not pending:
                    break
    finally:
        save_state(out, state)
    for page_id in pending:
        fetcher.summary.add(page_id, FAILED)
        fetcher.summary.failures[page_id] = str(errors[page_id])
    fetcher.summary.seconds = time.perf_counter() - started
    return fetcher.summary

"""Security: hostile text is always shown as text, every response carries the CSP, no path leads
out of the index, the server listens on loopback by default, and expensive requests get a clear 400.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from reliability import REPO, manage, serving

from index.reindex import reindex
from search.query import MAX_QUERY_TERMS
from search.types import MAX_PAGE, MAX_PER_PAGE
from web import CONTENT_SECURITY_POLICY, create_app
from settings import Settings

# Every payload carries `pwned`: a tag or attribute of that name in a page means it got through.
PAYLOADS = (
    '<script data-pwned>alert("x")</script>',
    '"><pwned data-pwned=1>',
    "'><img src=x data-pwned onerror=alert(1)>",
    "</mark><pwned data-pwned>",
    "javascript:alert('pwned')",
    "{{ 7*7 }} {% if 1 %}pwned{% endif %}",
)
HOSTILE = PAYLOADS[0] + " " + PAYLOADS[1]


def hostile_records() -> list[dict[str, object]]:
    """Utterances whose every field (id, title, speaker, role, place, topics, geography, text) is hostile."""
    records: list[dict[str, object]] = []
    for number, payload in enumerate(PAYLOADS):
        records.append(
            {
                "transcript_id": f"evil-{number}",
                "title": f"Meeting on sanctions {payload}",
                "date": f"201{number}-05-07",
                "speaker": f"Speaker {payload}",
                "role": f"Role {payload}",
                "place": f"Place {payload}",
                "topics": [f"Topic {payload}"],
                "geography": [f"Country {payload}"],
                "text": f"Sanctions hurt {payload} both sides. {payload}",
            }
        )
    records.append(
        {"transcript_id": f"id {PAYLOADS[1]}", "title": "An id with mark-up", "date": "2016-01-01",
         "speaker": "Vladimir Putin", "text": "Sanctions are in the id of this transcript."}
    )
    return records


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "evil.jsonl").write_text("\n".join(json.dumps(r) for r in hostile_records()) + "\n", encoding="utf-8")
    (corpus / "page.txt").write_text(
        f"Events\nTitle {PAYLOADS[2]}\nMay 7, 2013\nThe Kremlin, Moscow\n"
        f"Vladimir Putin: Sanctions {PAYLOADS[0]} and {PAYLOADS[3]}.\n",
        encoding="utf-8",
    )
    summary = reindex(root / "index", [corpus])
    assert summary.skipped == () and summary.transcripts == len(PAYLOADS) + 2
    return root / "index"


@pytest.fixture(scope="module")
def hostile_app(hostile_index: Path) -> Iterator[Flask]:
    hostile_app = create_app(Settings(index_dir=hostile_index))
    yield hostile_app
    hostile_app.extensions["verbatim"].close()


@pytest.fixture
def hostile_client(hostile_app: Flask) -> FlaskClient:
    return hostile_app.test_client()


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str, where: str) -> Elements:
    """No payload became mark-up: no `pwned` tag or attribute, no handler, no inline or foreign script."""
    page = Elements(html)
    for tag, attrs in page.tags:
        assert tag != "pwned" and "data-pwned" not in attrs, (where, tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), (where, attrs)
        for name in ("href", "src", "action", "formaction"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (where, tag, attrs)
    return page


HOSTILE_PAGES = [
    "/?q=sanctions",
    "/?q=sanctions&per_page=50&sort=date",
    "/?q=sanctions&view=kwic",
    "/?" + urlencode({"q": HOSTILE}),
    "/?" + urlencode({"q": "sanctions", "speaker": f"Speaker {PAYLOADS[1]}", "topic": f"Topic {PAYLOADS[0]}"}),
    "/?" + urlencode({"place": f"Place {PAYLOADS[2]}", "geography": f"Country {PAYLOADS[3]}"}),
    "/?" + urlencode({"role": f"Role {PAYLOADS[4]}", "from": HOSTILE}),
    "/t/evil-0?q=sanctions",
    "/t/evil-1",
    "/t/page?q=sanctions",
    "/t/" + quote(f"id {PAYLOADS[1]}", safe=""),
    "/t/" + quote(HOSTILE, safe="") + "?q=sanctions",
    "/t/evil-2?" + urlencode({"q": HOSTILE}),
    "/help?" + urlencode({"q": HOSTILE}),
    "/nowhere/" + quote(HOSTILE, safe=""),
]


@pytest.mark.parametrize("url", HOSTILE_PAGES)
def test_hostile_text_in_any_field_or_parameter_is_shown_as_text(hostile_client: FlaskClient, url: str):
    with hostile_client.get(url, follow_redirects=True) as response:
        assert response.status_code in (200, 400, 404), url
        assert_inert(response.get_data(as_text=True), url)


def test_the_hostile_text_is_there_word_for_word(hostile_client: FlaskClient):
    """Escaped, not dropped: people see exactly what was said and typed."""
    results = Elements(hostile_client.get("/?q=sanctions&per_page=50").get_data(as_text=True))
    text = " ".join(" ".join(results.text).split())
    for payload in PAYLOADS:
        assert f"Meeting on sanctions {payload}" in text
        assert f"Speaker {payload}" in text
    transcript = " ".join(" ".join(Elements(hostile_client.get("/t/evil-5").get_data(as_text=True)).text).split())
    assert "{{ 7*7 }} {% if 1 %}pwned{% endif %}" in transcript  # data is never a template
    typed = Elements(hostile_client.get("/?" + urlencode({"q": HOSTILE})).get_data(as_text=True))
    assert any(HOSTILE in (attrs.get("value") or "") for tag, attrs in typed.tags if tag == "input")


def test_the_api_returns_hostile_text_as_json_data_and_escapes_snippets(hostile_client: FlaskClient):
    with hostile_client.get("/api/search?q=sanctions&per_page=50") as response:
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        data = response.get_json()
    assert {hit["speaker"] for hit in data["hits"]} >= {f"Speaker {payload}" for payload in PAYLOADS}
    for hit in data["hits"]:
        assert "<" not in hit["snippet"].replace("<mark>", "").replace("</mark>", "")
    with hostile_client.get("/api/search?" + urlencode({"q": "sanctions", "format": "csv"})) as csv:
        assert csv.mimetype == "text/csv"
        assert csv.headers["Content-Disposition"] == 'attachment; filename="verbatim-sanctions.csv"'


# --- headers


STATUS_URLS = {
    200: ["/", "/?q=sanctions", "/t/evil-0", "/help", "/api/search?q=sanctions", "/api/openapi.json",
          "/static/verbatim.css", "/api/search?q=sanctions&format=csv"],
    400: ["/?q=%22open", "/api/search?page=0", "/t/evil-0?q=%28", "/api/trend"],
    404: ["/nowhere", "/t/nothing", "/api/transcripts/nothing", "/api/nowhere", "/static/nothing.css"],
}


@pytest.mark.parametrize("status,url", [(status, url) for status, urls in STATUS_URLS.items() for url in urls])
def test_every_response_has_the_content_security_policy(hostile_client: FlaskClient, status: int, url: str):
    with hostile_client.get(url) as response:
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and "unsafe" not in CONTENT_SECURITY_POLICY


def test_a_method_the_app_does_not_serve_still_gets_the_headers(hostile_client: FlaskClient):
    with hostile_client.post("/api/search?q=x") as response:
        assert response.status_code == 405
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


# --- paths


SECRETS = ("root:x:0:", "Verbatim management commands", '"generation"', "[project]", "whoosh3")
TRAVERSALS = [
    "/t/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/t/%2e%2e%2f%2e%2e%2fmanage.py",
    "/t/..",
    "/t/../../manage.py",
    "/t/....//....//etc/passwd",
    "/api/transcripts/..%2F..%2Fmanage.py",
    "/api/transcripts/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/api/transcripts/..%5c..%5cmanage.py",
    "/api/similar/..%2F..%2Fetc%2Fpasswd",
    "/static/../manage.py",
    "/static/..%2fmanage.py",
    "/static/%2e%2e/%2e%2e/manage.py",
    "/static/..%5c..%5cmanage.py",
    "/static//etc/passwd",
    "/static/%2Fetc%2Fpasswd",
    "/static/../../pyproject.toml",
    "/../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/?q=../../etc/passwd&format=../../etc/passwd",
    "/api/search?format=..%2F..%2Fetc%2Fpasswd",
    "/api/search?q=sanctions&speaker=../../../etc/passwd",
    "/t/evil-0?q=..%2F..%2Fmanage.py",
    "/instance/index/current.json",
    "/index/current.json",
]


def assert_no_leak(status: int, body: str, url: str) -> None:
    assert status in (200, 301, 302, 308, 400, 404), (url, status)
    for secret in SECRETS:
        assert secret not in body, (url, secret)


@pytest.mark.parametrize("url", TRAVERSALS)
def test_no_path_leads_out_of_the_index_through_the_app(hostile_client: FlaskClient, url: str):
    with hostile_client.get(url) as response:
        assert_no_leak(response.status_code, response.get_data(as_text=True), url)


def raw_get(port: int, target: str) -> tuple[int, dict[str, str], str]:
    """GET `target` exactly as written (no client-side normalisation of `..`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_no_path_leads_out_of_the_index_through_the_production_server(hostile_app: Flask):
    with serving(hostile_app) as port:
        for url in TRAVERSALS:
            status, headers, body = raw_get(port, url)
            assert_no_leak(status, body, url)
            assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY or status >= 400, url
        # An absurd request line is refused (a 4xx, or the connection reset before the client reads
        # it: the server closes with the rest of the request unread), and the server keeps serving.
        try:
            status = raw_get(port, "/api/search?q=" + "a" * 1_000_000)[0]
        except (ConnectionResetError, BrokenPipeError):
            status = 400
        assert 400 <= status < 500
        assert raw_get(port, "/api/search?q=sanctions")[0] == 200


# --- loopback by default


def test_settings_default_to_loopback():
    assert Settings().host == "127.0.0.1"
    assert Settings.from_env({}).host == "127.0.0.1"


def test_serve_listens_on_loopback_only_by_default(hostile_index: Path):
    """`manage.py serve` without --host binds 127.0.0.1 (checked in the kernel's socket table)."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs /proc/net/tcp")
    process = subprocess.Popen(
        manage("--index", str(hostile_index), "serve", "--port", "0"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Verbatim on http://127.0.0.1:")
        listening: list[str] = []
        for _ in range(600):  # a bound on the wait for waitress to bind, not a timing assertion
            listening = listening_addresses(process.pid)
            if listening or process.poll() is not None:
                break
            time.sleep(0.05)
        assert listening and all(address.startswith("127.0.0.1:") for address in listening), listening
    finally:
        process.terminate()
        process.communicate(timeout=30)


def listening_addresses(pid: int) -> list[str]:
    """host:port of the TCP sockets `pid` listens on (IPv4 and IPv6)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    found.append(_address(fields[1]))
    return found


def _address(hex_address: str) -> str:
    """`0100007F:1F90` → `127.0.0.1:8080` (IPv6 stays hex)."""
    host, port = hex_address.split(":")
    if len(host) == 8:
        host = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return f"{host}:{int(port, 16)}"


# --- expensive requests


THOUSAND_TERMS = " ".join(f"w{n}" for n in range(1000))
EXPENSIVE = [
    ({"q": "sanctions", "page": "1000000"}, f"page must be between 1 and {MAX_PAGE}, got 1000000"),
    ({"q": "sanctions", "per_page": "100000"}, f"per_page must be between 1 and {MAX_PER_PAGE}, got 100000"),
    ({"q": THOUSAND_TERMS[:1999]}, "too many terms: "),
    ({"q": " OR ".join(f"w{n}" for n in range(400))[:2000]}, "too many terms: "),
    ({"q": "x" * 100_000}, "query too long: 100000 characters (at most 2000)"),
    ({"q": "a* b* c* d*"}, "'a*' at position 0: a wildcard needs at least 2 letters before the *"),
    ({"q": "sanctions *ion"}, "'*ion' at position 10: a wildcard needs at least 2 letters"),
    ({"q": "sanctions", "facet_limit": "1000000000"}, "facet_limit must be between 0 and 10000"),
]


@pytest.mark.parametrize("params,message", EXPENSIVE)
def test_expensive_requests_get_a_clear_400(hostile_client: FlaskClient, params: dict[str, str], message: str):
    with hostile_client.get("/api/search?" + urlencode(params)) as response:
        assert response.status_code == 400
        assert response.get_json()["error"].startswith(message)
    with hostile_client.get("/?" + urlencode(params)) as page:
        assert page.status_code == 400
        assert message.split(":")[0] in " ".join(Elements(page.get_data(as_text=True)).text)


def test_a_thousand_term_query_is_refused_everywhere_a_query_is_read(hostile_client: FlaskClient):
    query = urlencode({"q": THOUSAND_TERMS[:1999]})
    for url in (f"/api/trend?{query}", f"/t/evil-0?{query}", f"/?{query}&view=kwic"):
        with hostile_client.get(url) as response:
            assert response.status_code == 400, url
            assert "too many terms" in response.get_data(as_text=True), url
    assert MAX_QUERY_TERMS < 1000


def test_queries_just_under_the_limits_still_run(hostile_client: FlaskClient):
    many = " OR ".join(["sanctions"] * MAX_QUERY_TERMS)
    for params in ({"q": many}, {"q": "sanc* hurt"}, {"q": "sanctions", "page": str(MAX_PAGE)},
                   {"q": "sanctions", "per_page": str(MAX_PER_PAGE)}):
        with hostile_client.get("/api/search?" + urlencode(params)) as response:
            assert response.status_code == 200, (params, response.get_json())


# --- no server paths, no reflected Host (issue 15 #7)


def test_the_transcript_api_gives_a_file_name_not_the_servers_path(hostile_client: FlaskClient, hostile_index: Path):
    for transcript_id, name in (("evil-0", "evil.jsonl"), ("page", "page.txt")):
        data = hostile_client.get(f"/api/transcripts/{transcript_id}").get_json()
        assert data["source"] == name
        body = hostile_client.get(f"/api/transcripts/{transcript_id}").get_data(as_text=True)
        assert str(hostile_index.parent) not in body and "/corpus/" not in body


def test_the_no_index_page_and_json_show_no_index_path(tmp_path: Path):
    missing = tmp_path / "secret-folder" / "index"
    client = create_app(Settings(index_dir=missing)).test_client()
    for url in ("/", "/api/search?q=x"):
        response = client.get(url)
        assert response.status_code == 503
        assert "secret-folder" not in response.get_data(as_text=True)


EVIL_HOST = "evil.example.com"


def test_the_host_header_is_not_reflected_into_the_api_description_or_csv_links(hostile_client: FlaskClient):
    spec = hostile_client.get("/api/openapi.json", headers={"Host": EVIL_HOST})
    csv = hostile_client.get("/api/search?q=sanctions&format=csv", headers={"Host": EVIL_HOST})
    for response in (spec, csv):
        assert EVIL_HOST not in response.get_data(as_text=True)
    assert spec.get_json()["servers"] == [{"url": "/"}]
    links = csv_links(csv.get_data(as_text=True))
    assert "/t/page?q=sanctions#u0" in links and all(link.startswith("/t/") for link in links)


def test_absolute_links_come_from_the_configured_base_url(hostile_index: Path):
    app = create_app(Settings(index_dir=hostile_index, base_url="https://verbatim.example.org/v"))
    try:
        client = app.test_client()
        spec = client.get("/api/openapi.json", headers={"Host": EVIL_HOST}).get_json()
        assert spec["servers"] == [{"url": "https://verbatim.example.org/v/"}]
        rows = client.get("/api/search?q=sanctions&format=csv", headers={"Host": EVIL_HOST}).get_data(as_text=True)
        links = csv_links(rows)
        assert "https://verbatim.example.org/v/t/page?q=sanctions#u0" in links
        assert all(link.startswith("https://verbatim.example.org/v/t/") for link in links)
    finally:
        app.extensions["verbatim"].close()


def test_the_base_url_setting_is_validated():
    from settings import public_base_url

    assert Settings.from_env({"VERBATIM_BASE_URL": "https://news.example.org/"}).base_url == "https://news.example.org"
    assert Settings.from_env({}).base_url is None
    for bad in ("news.example.org", "javascript:alert(1)", "https://x.org/?a=1"):
        with pytest.raises(ValueError):
            public_base_url(bad)
    result = subprocess.run(
        [*manage("serve", "--base-url", "ftp://x")], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 2 and "--base-url" in result.stderr


def csv_links(body: str) -> list[str]:
    """The `link` column of a CSV export."""
    import csv as csv_module
    import io

    return [row["link"] for row in csv_module.DictReader(io.StringIO(body.removeprefix("\ufeff")))]

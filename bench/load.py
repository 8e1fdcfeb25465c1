"""Load test: the production server (`manage.py serve`) on loopback, N clients for D seconds.

Each client keeps one HTTP connection and sends a seeded mix of requests: searches through
the API and the page (words, phrases, OR, wildcards, filters, sorts, later pages, KWIC,
CSV), transcript pages and JSON, trends, and malformed queries that must get a 400.
An error is any other status, a broken connection or a timeout.

Prints requests, errors, throughput and latency percentiles (a benchmark, not a pass/fail
timing); exits 1 if any request failed.

    python scripts/loadtest.py                                  # the bundled samples, 20 clients, 60 s
    python scripts/loadtest.py --corpus ../shared/corpus/kremlin --duration 60
    python scripts/loadtest.py --index instance/index --clients 20 --duration 5 --json
    python scripts/loadtest.py --index instance/index --server gunicorn --workers 2 --slowloris 120

`workers_table` (`manage.py bench --load`) runs it for 1, 2 and N gunicorn workers and for
waitress, under 8 and 20 clients, the configurations taking turns.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_LIMIT = 120.0  # seconds the server may take to answer its first request
REQUEST_TIMEOUT = 60.0
MALFORMED = ('"unclosed phrase', "(russia", "AND", "economy OR", "year:20x3 AND")


@dataclass(frozen=True)
class Probe:
    """One request of the mix and the status it must get."""

    kind: str
    path: str
    status: int = 200


@dataclass
class Tally:
    """What one client saw."""

    latencies: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    """One request on a new connection: (status, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def build_index(corpus: Path, index_dir: Path) -> None:
    """`manage.py reindex` of the corpus into `index_dir`."""
    subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "--index", str(index_dir), "reindex", str(corpus)],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_server(
    index_dir: Path, port: int, threads: int, log: Path, workers: int | None = None, server: str = "waitress"
) -> subprocess.Popen[bytes]:
    """`manage.py serve` on loopback (its default host), waiting until it answers.

    Its log goes to a file: waitress warns on every queued request under load, and a pipe
    nobody reads would fill up and stall the server.
    """
    command = [sys.executable, str(REPO / "manage.py"), "--index", str(index_dir), "serve", "--port", str(port),
               "--threads", str(threads), "--server", server]
    if workers is not None:
        command += ["--workers", str(workers)]
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=stream,
        )
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if get(port, "/api/search?q=&per_page=1", timeout=5)[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    stop_server(process)
    raise SystemExit(f"the server did not answer within {START_LIMIT:.0f} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server as Ctrl+C would (gunicorn stops its workers too)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request_mix(port: int) -> list[Probe]:
    """Requests built from what the index holds: its words, speakers, years and transcripts."""
    status, body = get(port, "/api/search?q=&per_page=100&facet_limit=10")
    if status != 200:
        raise SystemExit(f"browsing the index failed with HTTP {status}")
    data = json.loads(body)
    text = " ".join(re.sub(r"</?mark>", "", hit["snippet"]) for hit in data["hits"])
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{5,}", text)})[:200] or ["russia"]
    pairs = [m.group(0) for m in re.finditer(r"[A-Za-z]{4,} [A-Za-z]{4,}", text)][:50] or ["prime minister"]
    speakers = [v["value"] for v in data["facets"].get("speaker", [])] or [""]
    years = [v["value"] for v in data["facets"].get("year", [])] or ["2013"]
    transcripts = sorted({hit["transcript_id"] for hit in data["hits"]})
    rng = random.Random(7)

    def q(**params: str) -> str:
        return urllib.parse.urlencode(params)

    probes: list[Probe] = []
    for _ in range(20):
        word, other = rng.choice(words), rng.choice(words)
        speaker, year = rng.choice(speakers), rng.choice(years)
        transcript = rng.choice(transcripts)
        probes += [
            Probe("api word", f"/api/search?{q(q=word)}"),
            Probe("api two words", f"/api/search?{q(q=f'{word} {other}')}"),
            Probe("api phrase", f"/api/search?{q(q=chr(34) + rng.choice(pairs) + chr(34))}"),
            Probe("api or", f"/api/search?{q(q=f'{word} OR {other}', sort='-date')}"),
            Probe("api wildcard", f"/api/search?{q(q=word[:4] + '*')}"),
            Probe("api speaker", f"/api/search?{q(q=word, speaker=speaker)}"),
            Probe("api year page 2", f"/api/search?{q(q='', year=year, page='2')}"),
            Probe("api browse", "/api/search?q=&sort=date"),
            Probe("page search", f"/?{q(q=word)}"),
            Probe("page kwic", f"/?{q(q=word, view='kwic')}"),
            Probe("page transcript", f"/t/{urllib.parse.quote(transcript)}?{q(q=word)}"),
            Probe("api transcript", f"/api/transcripts/{urllib.parse.quote(transcript)}"),
            Probe("api trend", f"/api/trend?{q(q=word)}"),
            Probe("api csv", f"/api/search?{q(q=f'{word} {other}', format='csv')}"),
            Probe("malformed", f"/api/search?{q(q=rng.choice(MALFORMED))}", 400),
            Probe("expensive", f"/api/search?{q(q=word, page='1000000')}", 400),
        ]
    return probes


def client(port: int, probes: list[Probe], seed: int, deadline: float, tally: Tally) -> None:
    """Send random probes on one kept-alive connection until the deadline."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        while time.monotonic() < deadline:
            probe = rng.choice(probes)
            started = time.perf_counter()
            try:
                connection.request("GET", probe.path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                tally.errors.append(f"{probe.path}: {type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.kinds[probe.kind] += 1
            if status != probe.status:
                tally.errors.append(f"{probe.path}: HTTP {status}, expected {probe.status}")
    finally:
        connection.close()


class Slowloris:
    """`count` connections that send a request line, then one header line every `interval` s, never finishing.

    The classic slow-headers attack: each connection looks alive, so a server that gives it
    a thread or a connection slot until its headers end is locked out by a few hundred.
    """

    def __init__(self, port: int, count: int, interval: float) -> None:
        self.port = port
        self.count = count
        self.interval = interval
        self.opened = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)

    def __enter__(self) -> "Slowloris":
        self._thread.start()
        # Give the server a moment to take the connections before the measured clients start.
        time.sleep(min(2.0, 0.02 * self.count))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        sockets: list[socket.socket] = []
        try:
            for _ in range(self.count):
                try:
                    sock = socket.create_connection((HOST, self.port), timeout=5)
                    sock.sendall(b"GET /api/search?q=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    sockets.append(sock)
                    self.opened += 1
                except OSError:
                    self.refused += 1
            line = 0
            while not self._stop.wait(self.interval):
                line += 1
                for sock in list(sockets):
                    try:
                        sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
                    except OSError:
                        sockets.remove(sock)
        finally:
            for sock in sockets:
                sock.close()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(fraction * len(ordered) + 0.999999) - 1))]


def run(
    index_dir: Path,
    clients: int,
    duration: float,
    threads: int,
    log: Path,
    workers: int | None = None,
    server_name: str = "waitress",
    slowloris: int = 0,
    slowloris_interval: float = 10.0,
) -> dict[str, object]:
    """Start the server, load it (while `slowloris` slow connections hold on, if any), stop it; the figures."""
    import contextlib

    port = free_port()
    server = start_server(index_dir, port, threads, log, workers, server_name)
    attack = Slowloris(port, slowloris, slowloris_interval) if slowloris else contextlib.nullcontext()
    try:
        probes = request_mix(port)
        with attack:
            server_cpu = tree_cpu_seconds(server.pid)
            figures = _load(port, probes, clients, duration)
            used = tree_cpu_seconds(server.pid)
        if server_cpu is not None and used is not None:
            # Cores the server's processes kept busy: where the workers' scaling stops.
            figures["server_cores_busy"] = round((used - server_cpu) / float(figures["seconds"]), 2)  # type: ignore[arg-type]
    finally:
        stop_server(server)
    figures.update(server=server_name, server_workers=workers, server_threads=threads)
    if isinstance(attack, Slowloris):
        figures.update(slowloris_connections=attack.opened, slowloris_refused=attack.refused)
    return figures


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its children so far, from /proc (None elsewhere)."""
    try:
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # gone meanwhile
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    family = {pid}
    for child, (parent, _) in stats.items():  # the server's workers are its children
        if parent == pid:
            family.add(child)
    return sum(stats[p][1] for p in family if p in stats) / ticks


def _load(port: int, probes: list[Probe], clients: int, duration: float) -> dict[str, object]:
    """`clients` clients sending probes for `duration` seconds; the figures."""
    tallies = [Tally() for _ in range(clients)]
    load_before = os.getloadavg()
    cpu_before = time.process_time()
    started = time.monotonic()
    deadline = started + duration
    workers = [
        threading.Thread(target=client, args=(port, probes, seed, deadline, tally))
        for seed, tally in enumerate(tallies)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    client_cpu = time.process_time() - cpu_before
    load_after = os.getloadavg()
    latencies = [value for tally in tallies for value in tally.latencies]
    errors = [error for tally in tallies for error in tally.errors]
    kinds: Counter[str] = Counter()
    for tally in tallies:
        kinds.update(tally.kinds)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:10],
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "cpus": os.cpu_count(),
        # The clients run on the same cores as the server: the share of a core they took.
        "client_cores_busy": round(client_cpu / elapsed, 2) if elapsed else 0.0,
        "requests_by_kind": dict(sorted(kinds.items())),
    }


def workers_table(
    index_dir: Path,
    worker_counts: list[int],
    clients: list[int],
    duration: float,
    rounds: int = 1,
    scratch: Path | None = None,
) -> list[dict[str, object]]:
    """Requests/s and latency for waitress and each gunicorn worker count, configurations in turn (A B A B)."""
    configs: list[tuple[str, int | None]] = [("waitress", None)] + [("gunicorn", n) for n in worker_counts]
    rows = []
    with tempfile.TemporaryDirectory(prefix="verbatim-load-") as temporary:
        log = Path(scratch or temporary) / "server.log"
        for round_number in range(rounds):
            for count in clients:
                for server_name, workers in configs:
                    figures = run(index_dir, count, duration, 4, log, workers, server_name)
                    figures["round"] = round_number + 1
                    rows.append(figures)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the load test, print the figures; 1 if any request failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--index", type=Path, help="An index to serve (default: build one from --corpus).")
    source.add_argument(
        "--corpus", type=Path, default=REPO / "samples", help="Transcripts to index (default: samples/)."
    )
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load (default 60).")
    parser.add_argument("--threads", type=int, default=4, help="Server worker threads (default 4, as `serve`).")
    parser.add_argument("--server", choices=("waitress", "gunicorn", "auto"), default="waitress",
                        help="`serve --server` (default waitress, one process).")
    parser.add_argument("--workers", type=int, default=None, help="`serve --workers` (gunicorn worker processes).")
    parser.add_argument("--slowloris", type=int, default=0,
                        help="Half-open connections held during the load (a header line every 10 s).")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="verbatim-load-") as scratch:
        index_dir = args.index
        if index_dir is None:
            index_dir = Path(scratch) / "index"
            build_index(args.corpus, index_dir)
        figures = run(index_dir, args.clients, args.duration, args.threads, Path(scratch) / "server.log",
                      args.workers, args.server, args.slowloris)
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['requests']} requests from {figures['clients']} clients in {figures['seconds']} s: "
            f"{figures['throughput_rps']} requests/s, {figures['errors']} errors\n"
            f"latency p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
            f"max {figures['max_ms']} ms\n"
            f"load average {figures['load_average_before']} → {figures['load_average_after']} "
            f"on {figures['cpus']} CPUs"
        )
        for sample in figures["error_samples"]:  # type: ignore[union-attr]
            print(f"error: {sample}")
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

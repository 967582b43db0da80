"""Import benchmark: one large CSV through the real pipeline, beside a bare COPY of the same file.

Run on demand (it is not a test)::

    .venv/bin/python bench/import_batch.py [--rows 1000000]

It creates its own PostgreSQL database (``groundwork_bench`` by default) and migrates it,
starts gunicorn and one real ``celery worker`` on it with Redis as the broker, generates a
CSV (``text`` plus three metadata columns), uploads it through the REST API with a token,
waits for the version, and prints rows/s, the worker's peak memory (RSS of its whole
process tree, sampled) and the time from upload to accepted version. In the same run it
times a bare ``COPY`` of the same file into a plain table: the physical limit of this
machine. Everything it started or created is stopped and dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GOAL_ROWS_PER_SECOND = 100_000
GOAL_COPY_RATIO = 3.0
GOAL_WORKER_BYTES = 1024**3
PASSWORD = "bench-" + secrets.token_hex(8)

CHANNELS = ["web", "app", "email", "store", "phone"]
LANGS = ["en", "de", "fr", "es", "it", "nl"]
VOCABULARY = (
    "the delivery was quick and the packaging solid but the product itself felt cheap "
    "battery lasts two days screen is bright support answered within an hour refund "
    "took weeks colour matches the photos size runs small great value would buy again "
    'stopped working after a month, instructions unclear; "premium" it is not'
)
WORDS = VOCABULARY.split(" ")


# -- the file ---------------------------------------------------------------------------
def csv_cell(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def generate_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Short review-like texts (all distinct), a channel, a 1-5 rating and a language."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("text,channel,rating,lang\n")
        block: list[str] = []
        for number in range(rows):
            words = rng.choices(WORDS, k=rng.randint(8, 22))
            text = f"{' '.join(words)} #{number}"
            block.append(f"{csv_cell(text)},{rng.choice(CHANNELS)},{rng.randint(1, 5)},{rng.choice(LANGS)}\n")
            if len(block) >= 50_000:
                handle.write("".join(block))
                block.clear()
        handle.write("".join(block))


# -- database ---------------------------------------------------------------------------
def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def to_libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def create_database(server_url: str, name: str) -> None:
    with psycopg.connect(to_libpq(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(to_libpq(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def bare_copy_seconds(database_url: str, path: Path) -> tuple[float, int]:
    """COPY the file as is into an unindexed table of text columns: what PostgreSQL alone costs."""
    with psycopg.connect(to_libpq(database_url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare_copy")
        conn.execute("CREATE TABLE bench_bare_copy (text text, channel text, rating text, lang text)")
        started = time.perf_counter()
        statement = "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(statement) as copy, path.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                copy.write(block)
        elapsed = time.perf_counter() - started
        copied = conn.execute("SELECT count(*) FROM bench_bare_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_bare_copy")
    return elapsed, copied


def server_version(database_url: str) -> str:
    with psycopg.connect(to_libpq(database_url)) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


# -- processes --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A subprocess in its own session, stopped by its process group id."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start:\n{self.log()[-4000:]}")
            if ready():
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start within {timeout}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


class TreeMemory:
    """Samples the RSS of a process and all its descendants; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[int, int]:
        total = single = 0
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0, 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                rss = process.memory_info().rss
                total += rss
                single = max(single, rss)
        return total, single

    def _run(self) -> None:
        while not self._stop.is_set():
            total, single = self.sample()
            self.peak_total = max(self.peak_total, total)
            self.peak_single = max(self.peak_single, single)
            time.sleep(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the REST client --------------------------------------------------------------------
class Api:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        payload = json.dumps(body).encode() if body is not None else None
        extra = {"Content-Type": "application/json"} if payload is not None else None
        conn.request(method, path, body=payload, headers=self._headers(extra))
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, (json.loads(data) if data else {})

    def upload(self, path: str, file_path: Path) -> tuple[int, dict]:
        """A multipart POST streamed from disk, as a script with a large file would send it."""
        boundary = uuid.uuid4().hex
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{file_path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + file_path.stat().st_size + len(tail)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.putrequest("POST", path, skip_host=True)
        for key, value in self._headers(
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)}
        ).items():
            conn.putheader(key, value)
        conn.endheaders()
        conn.send(head)
        with file_path.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                conn.send(block)
        conn.send(tail)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, (json.loads(data) if data else {})


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- the run ----------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path) -> dict[str, float]:
    database_url = with_database(args.server_url, args.database)
    csv_path = work / "batch.csv"
    print(f"generating {args.rows:,} rows ...", flush=True)
    generate_csv(csv_path, args.rows)
    size = csv_path.stat().st_size

    print(f"creating database {args.database} and migrating ...", flush=True)
    create_database(args.server_url, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": args.broker,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "GROUNDWORK_VAR_DIR": str(work / "var"),
        "GROUNDWORK_MAX_UPLOAD_BYTES": str(max(size * 2, 512 * 1024 * 1024)),
        "GROUNDWORK_MAX_BATCH_ROWS": str(max(args.rows, 5_000_000)),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    if args.chunk_rows:
        env["GROUNDWORK_IMPORT_CHUNK_ROWS"] = str(args.chunk_rows)
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [PYTHON, "manage.py", "createsuperuser", "--no-input", "--username", "bench", "--email", "bench@example.com"],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        check=True,
        stdout=subprocess.DEVNULL,
    )

    print("bare COPY of the same file ...", flush=True)
    copy_seconds, copied = bare_copy_seconds(database_url, csv_path)
    if copied != args.rows:
        raise SystemExit(f"the bare COPY loaded {copied:,} rows, not {args.rows:,}")

    services: list[Service] = []
    try:
        port = free_port()
        web = Service(
            "gunicorn",
            [PYTHON, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "900"],
            env, work,
        )  # fmt: skip
        services.append(web)
        worker = Service(
            "worker",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
             "-n", f"bench-{uuid.uuid4().hex[:8]}@%h", "--without-mingle", "--without-gossip"],
            {**env, "LOG_LEVEL": "INFO"}, work,
        )  # fmt: skip
        services.append(worker)
        web.wait_until(lambda: healthy(port), timeout=60)
        worker.wait_until(lambda: "ready." in worker.log(), timeout=90)

        api = Api(port)
        status, body = api.request("POST", "/api/auth/token/", {"username": "bench", "password": PASSWORD})
        if status != 200:
            raise SystemExit(f"token: {status} {body}")
        api.token = body["token"]
        status, body = api.request(
            "POST", "/api/projects/", {"name": "Bench", "task_type": "classification", "labels": ["pos", "neg"]}
        )
        if status != 201:
            raise SystemExit(f"project: {status} {body}")
        project_id = body["id"]

        memory = TreeMemory(worker.process.pid)
        idle_bytes = memory.sample()[0]
        print(f"uploading {size / 1e6:,.1f} MB through the REST API ...", flush=True)
        with memory:
            started = time.perf_counter()
            status, body = api.upload(f"/api/projects/{project_id}/batches/", csv_path)
            uploaded = time.perf_counter()
            if status != 202:
                raise SystemExit(f"upload: {status} {body}")
            batch_id = body["id"]
            last_report = 0.0
            while True:
                status, batch = api.request("GET", f"/api/batches/{batch_id}/")
                if batch.get("status") not in ("queued", "validating"):
                    break
                if time.perf_counter() - last_report > 5:
                    print(f"  {batch['status']} {batch['progress']:.0%} {batch['rows_total']:,} rows", flush=True)
                    last_report = time.perf_counter()
                time.sleep(0.05)
            observed = time.perf_counter()
        if batch["status"] != "accepted":
            raise SystemExit(f"the batch ended {batch['status']}: {batch.get('error')}\n{worker.log()[-4000:]}")
        status, versions = api.request("GET", f"/api/projects/{project_id}/versions/")
        version = versions[0] if isinstance(versions, list) else versions["results"][0]
        if version["item_count"] != args.rows or batch["rows_added"] != args.rows:
            raise SystemExit(f"expected {args.rows:,} items, the version holds {version['item_count']:,}")
    finally:
        for service in reversed(services):
            service.stop()

    created, claimed, finished = (parse_time(batch[k]) for k in ("created_at", "started_at", "finished_at"))
    return {
        "rows": args.rows,
        "bytes": size,
        "postgres": server_version(database_url),
        "upload": uploaded - started,
        "queue": (claimed - created).total_seconds(),
        "import": (finished - claimed).total_seconds(),
        "total": observed - started,
        "copy": copy_seconds,
        "idle_bytes": idle_bytes,
        "peak_bytes": memory.peak_total,
        "peak_single": memory.peak_single,
    }


def report(figures: dict[str, float]) -> None:
    rows = figures["rows"]

    def line(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<44} {seconds:8.2f} s  {rows / seconds:>10,.0f} rows/s  {note}")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    ratio = figures["total"] / figures["copy"]
    total_rate = rows / figures["total"]
    print()
    megabytes = figures["bytes"] / 1e6
    print(f"Groundwork import benchmark: {rows:,} rows (text + 3 metadata columns), {megabytes:,.1f} MB CSV")
    print(f"PostgreSQL {figures['postgres']}, Redis broker, gunicorn, 1 Celery worker (prefork, concurrency 1)")
    print()
    line("upload (streamed POST until 202)", figures["upload"])
    line("import (worker claim -> version accepted)", figures["import"])
    line("upload -> version accepted", figures["total"], "<- the figure the goals judge")
    line("bare COPY of the same file (the limit)", figures["copy"])
    print(f"  {'queued -> claimed by the worker':<44} {figures['queue']:8.2f} s")
    print(f"  {'worker RSS, idle (process tree)':<44} {figures['idle_bytes'] / 2**20:8.0f} MB")
    print(
        f"  {'worker RSS, peak (process tree)':<44} {figures['peak_bytes'] / 2**20:8.0f} MB"
        f"  (largest process {figures['peak_single'] / 2**20:,.0f} MB)"
    )
    print()
    print("Goals")
    print(f"  rows/s, upload -> accepted >= {GOAL_ROWS_PER_SECOND:,}: {total_rate:,.0f}  {verdict(total_rate >= 1e5)}")
    print(f"  within {GOAL_COPY_RATIO:.0f}x of the bare COPY:        {ratio:.2f}x  {verdict(ratio <= GOAL_COPY_RATIO)}")
    print(
        f"  worker memory < 1 GB:              {figures['peak_bytes'] / 2**20:,.0f} MB  "
        f"{verdict(figures['peak_bytes'] < GOAL_WORKER_BYTES)}"
    )


def default_server_url() -> str:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return with_database(url, "postgres")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated CSV (default 1,000,000)")
    parser.add_argument("--database", default="groundwork_bench", help="database to create and drop")
    parser.add_argument(
        "--server-url", default=default_server_url(), help="a PostgreSQL URL on the server to use (its maintenance db)"
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"),
        help="Redis URL; a database of its own, so the bench worker never takes another app's tasks",
    )
    parser.add_argument("--chunk-rows", type=int, default=0, help="override GROUNDWORK_IMPORT_CHUNK_ROWS")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder (for a look)")
    args = parser.parse_args(argv)
    if args.database in {"postgres", "template0", "template1"}:
        parser.error("refusing to drop a system database")

    work = Path(tempfile.mkdtemp(prefix="groundwork-bench-"))
    try:
        figures = run(args, work)
    finally:
        if not args.keep:
            drop_database(args.server_url, args.database)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept database {args.database} and {work}")
    report(figures)


if __name__ == "__main__":
    main()

"""The memory of an idle Celery worker, and which imports it comes from.

Starts ``celery worker`` (prefork, concurrency 1, as production runs it) on a throwaway SQLite
database and filesystem broker, waits until it is ready and has settled, and prints the RSS,
USS and PSS of each of its processes and of the whole tree (psutil). Then, in fresh
interpreters, it imports what the worker imports one package at a time and prints the RSS
each step adds, and what the first batch with a GX suite adds to the pool process.

    .venv/bin/python bench/worker_memory.py [--settle 10]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent
MB = 2**20

# Each step imports the packages named on top of the steps before it, in the order the worker's
# modules pull them in; the last steps are the rest of the task modules, then what a batch adds.
STEPS = [
    ("python + django.setup()", "import django; django.setup()"),
    ("celery app", "from config.celery import app"),
    ("numpy", "import numpy"),
    ("pyarrow (+ compute, csv, parquet)", "import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.parquet"),
    ("pandas", "import pandas"),
    ("scipy.stats", "import scipy.stats"),
    ("Pillow", "import PIL.Image"),
    ("rest_framework, drf_spectacular", "import rest_framework.views, drf_spectacular.openapi"),
    ("the rest of the task modules", "app.loader.import_default_modules()"),
    ("great_expectations (first batch with a suite)", "import great_expectations"),
]

PROBE = """
import psutil, sys
process = psutil.Process()
steps = {steps!r}
last = process.memory_info().rss
print(f"{{'bare interpreter':48}} {{last / 2**20:7.0f}}")
for name, code in steps:
    exec(code)
    now = process.memory_info().rss
    print(f"{{name:48}} {{now / 2**20:7.0f}} {{(now - last) / 2**20:+7.0f}}")
    last = now
"""


def worker_env(var_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "GROUNDWORK_VAR_DIR": var_dir,
        "DATABASE_URL": f"sqlite:///{var_dir}/bench.sqlite3",
        "CELERY_BROKER_URL": "filesystem://",
    }


def measure_worker(settle: float) -> None:
    with tempfile.TemporaryDirectory(prefix="gw-worker-memory-") as var_dir:
        log_path = Path(var_dir) / "worker.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
                   "--without-mingle", "--without-gossip", "-n", "bench-memory@%h"]  # fmt: skip
        with log_path.open("wb") as log:
            worker = subprocess.Popen(command, cwd=BASE_DIR, env=worker_env(var_dir), stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while b"ready." not in log_path.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the worker did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
            time.sleep(settle)
            main = psutil.Process(worker.pid)
            tree = [main, *main.children(recursive=True)]
            print(f"{'idle worker process':28} {'RSS MB':>8} {'USS MB':>8} {'PSS MB':>8}")
            totals = [0, 0, 0]
            for index, process in enumerate(tree):
                info = process.memory_full_info()
                values = (info.rss, info.uss, info.pss)
                totals = [t + v for t, v in zip(totals, values, strict=True)]
                name = "main" if index == 0 else f"pool child {index} (pid {process.pid})"
                print(f"{name:28} " + " ".join(f"{v / MB:8.0f}" for v in values))
            print(f"{'tree':28} " + " ".join(f"{v / MB:8.0f}" for v in totals))
        finally:
            worker.terminate()
            worker.wait(timeout=60)


def measure_imports() -> None:
    print(f"\n{'import (cumulative, one interpreter)':48} {'RSS MB':>7} {'added':>7}")
    env = worker_env(tempfile.gettempdir())
    subprocess.run([sys.executable, "-c", PROBE.format(steps=STEPS)], cwd=BASE_DIR, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after the worker is ready")
    args = parser.parse_args()
    measure_worker(args.settle)
    measure_imports()


if __name__ == "__main__":
    main()

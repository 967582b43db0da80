"""Locust users for ``bench/annotate_load.py``: each one asks for its next item and labels it, again and again.

Driven by environment variables (the bench script sets them):

- ``BENCH_SETUP``: a JSON file ``{"project": id, "labels": [...], "tokens": [...]}``; one token a user;
- ``BENCH_WAIT``: seconds from one item's start to the next, per user (0: no pause at all);
- ``BENCH_TIMINGS``: where to write every response time (ms) and the submits counted, as JSON.

Response times are kept raw so the percentiles are exact, not locust's rounded buckets.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from itertools import count

import gevent
from locust import events
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["BENCH_SETUP"], encoding="utf-8") as _setup:
    SETUP = json.load(_setup)
WAIT = float(os.environ.get("BENCH_WAIT", "0"))
TIMINGS_PATH = os.environ.get("BENCH_TIMINGS", "")
_next_token = count()
_timings: dict[str, list[float]] = {"next": [], "submit": []}
_counts = {"annotations": 0, "empty": 0, "conflicts": 0, "errors": 0}
_window = {"start": 0.0, "stop": 0.0}


@events.request.add_listener
def _record(name: str, response_time: float, exception: BaseException | None, **kwargs: object) -> None:
    if exception is None and name in _timings:
        _timings[name].append(response_time)


@events.test_start.add_listener
def _started(**kwargs: object) -> None:
    _window["start"] = time.monotonic()


@events.test_stop.add_listener
def _stopped(**kwargs: object) -> None:
    _window["stop"] = time.monotonic()
    if TIMINGS_PATH:
        with open(TIMINGS_PATH, "w", encoding="utf-8") as handle:
            json.dump({"timings": _timings, "counts": _counts, "seconds": _window["stop"] - _window["start"]}, handle)


class Annotator(FastHttpUser):
    def wait_time(self) -> float:
        """One item every WAIT seconds from this user's own start, whatever the latency; 0: no pause.

        Not locust's ``constant_pacing``: that counts from the user's creation, so it would
        cancel the random start below and every user would fire in the same instant."""
        if not WAIT:
            return 0.0
        self.next_start += WAIT
        return max(0.0, self.next_start - time.perf_counter())

    def on_start(self) -> None:
        tokens = SETUP["tokens"]
        self.headers = {"Authorization": f"Token {tokens[next(_next_token) % len(tokens)]}", "Host": "127.0.0.1"}
        self.next_path = f"/api/projects/{SETUP['project']}/next/"
        if WAIT:  # users spawn together; start them at random points of the period, as people would
            gevent.sleep(random.uniform(0, WAIT))
        self.next_start = time.perf_counter()

    def _task(self) -> None:
        with self.client.get(self.next_path, headers=self.headers, name="next", catch_response=True) as response:
            if response.status_code == 204:
                _counts["empty"] += 1
                response.success()
                return
            if response.status_code != 200:
                _counts["errors"] += 1
                response.failure(f"next: {response.status_code}")
                return
            item_id = response.json()["item"]["id"]
        body = {"uuid": str(uuid.uuid4()), "value": random.choice(SETUP["labels"])}
        with self.client.post(
            f"/api/items/{item_id}/annotations/", json=body, headers=self.headers, name="submit", catch_response=True
        ) as response:
            if response.status_code == 201:
                _counts["annotations"] += 1
            elif response.status_code == 409:
                _counts["conflicts"] += 1
                response.failure("submit: 409")
            else:
                _counts["errors"] += 1
                response.failure(f"submit: {response.status_code}")

    tasks = [_task]

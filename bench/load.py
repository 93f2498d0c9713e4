"""Load: respondents submitting their survey forms to a served Klantpeil, with locust.

    python bench/load.py                          # 50 respondents for 60 s, SQLite
    python bench/load.py --postgres postgres://postgres@127.0.0.1:5432/klantpeil
    python bench/load.py --users 10 --seconds 10  # the short run the test suite makes

Starts ``klantpeil serve`` (and its worker) on a free port of 127.0.0.1 with a
fresh data folder (or a fresh PostgreSQL database beside the one given), makes
single-use invitations through the API, and lets locust's respondents open their
link and post the form (with its CSRF token), one after another without pause; one
in ten taps "send" twice. First a baseline with one respondent, then the load, in
the same run. Afterwards the database must hold exactly one measurement per
acknowledged submission (the redirect to the thank-you page) and none twice.

Prints JSON: per phase the requests, errors, submissions, latency percentiles and
what was stored; then the ratios of the load to the baseline. Exits 1 when a
request failed or the stored measurements do not match the acknowledgements.
"""

# locust patches the standard library for gevent: first, before anything else.
from locust import FastHttpUser, constant, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
import urllib.parse
from datetime import UTC, datetime

import _served
import gevent

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWERS = {
    "overall_grade": "8",
    "reliability_promise": "8",
    "reliability_answer": "9",
    "empathy_understanding": "7",
    "empathy_serious": "8",
    "customer_focus": "7",
    "customer_knowledge": "6",
    "waiting_time": "5",
    "accessibility": "8",
    "nps": "9",
    "ces": "6",
    "solved_first_contact": "1",
    "comment": "Snel en vriendelijk geholpen",
}
PERCENTILES = (0.5, 0.9, 0.95, 0.99)
DOUBLE_TAP_EVERY = 10  # one respondent in ten sends the form twice


class Phase:
    """What one phase hands its respondents and what they report back."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.acknowledged: list[str] = []
        self.repeats = 0
        self.stopping = False
        self.exhausted = False  # the links ran out before the time did
        self.started = 0


PHASE: Phase | None = None


class Respondent(FastHttpUser):
    wait_time = constant(0)

    @task
    def answer_the_survey(self) -> None:
        phase = PHASE
        if phase.stopping or not phase.tokens:
            phase.exhausted = phase.exhausted or not phase.stopping
            gevent.sleep(0.05)  # idle until the runner stops everyone
            return
        token = phase.tokens.pop()
        phase.started += 1
        number = phase.started  # read now: other respondents go on while this one waits
        path = f"/s/{token}"
        with self.client.get(path, name="GET /s/<token>", catch_response=True) as page:
            match = CSRF.search(page.text or "")
            if page.status_code != 200 or match is None:
                page.failure(f"form: {page.status_code}")
                return
        body = urllib.parse.urlencode({**ANSWERS, "csrfmiddlewaretoken": match.group(1)})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.host + path}
        taps = 2 if number % DOUBLE_TAP_EVERY == 0 else 1
        for tap in range(taps):
            with self.client.post(
                path,
                data=body,
                headers=headers,
                name="POST /s/<token>",
                allow_redirects=False,
                catch_response=True,
            ) as sent:
                if tap == 0:
                    if sent.status_code == 302 and "/done" in sent.headers.get("Location", ""):
                        phase.acknowledged.append(token)
                    else:
                        sent.failure(f"submit: {sent.status_code}")
                        return
                elif sent.status_code == 200 and "al ontvangen" in (sent.text or ""):
                    phase.repeats += 1  # "Uw antwoorden zijn al ontvangen": nothing stored
                else:
                    sent.failure(f"second tap: {sent.status_code}")


def _invitations(port: int, api_token: str, count: int) -> list[str]:
    tokens: list[str] = []
    while len(tokens) < count:
        size = min(10_000, count - len(tokens))
        events_ = [
            {
                "channel": "email",
                "occurred_at": datetime.now(UTC).isoformat(),
                "external_contact_id": f"contact-{len(tokens) + i}",
            }
            for i in range(size)
        ]
        status, body = _served.request(
            port, "POST", "/api/v1/invitations", {"invitations": events_}, token=api_token
        )
        if status != 201:
            raise RuntimeError(f"invitations: {status} {body}")
        tokens.extend(item["url"].rsplit("/s/", 1)[1] for item in body)
    return tokens


def _stored(env: dict, tokens: list[str]) -> dict:
    """What the database holds for these invitations: answered, measurements, any twice."""
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    rows = _served.query(
        env, "SELECT token_hash, measurement_id FROM collection_invitation WHERE measurement_id > 0"
    )
    answered = [(h, m) for h, m in rows if h in hashes]
    linked = [m for _, m in answered]
    return {
        "answered_invitations": len(answered),
        "answered_twice": len(linked) - len(set(linked)),
        "answered_hashes": {h for h, _ in answered},
    }


def _latency(entry) -> dict:
    return {
        **{f"p{round(p * 100)}": entry.get_response_time_percentile(p) for p in PERCENTILES},
        "mean": round(entry.avg_response_time, 1),
        "max": round(entry.max_response_time, 1),
    }


def run_phase(server: _served.Server, env: dict, api_token: str, users: int, seconds: float):
    global PHASE
    count_before = _count(server.port, api_token)
    # More links than the run can use (one respondent answers ~30 forms a second on
    # this machine, the server takes at most a few hundred); each takes a fresh one.
    links = int(seconds * min(60 * users, 250)) + 100
    PHASE = Phase(_invitations(server.port, api_token, links))
    tokens = list(PHASE.tokens)
    environment = Environment(user_classes=[Respondent], host=server.base, stop_timeout=60)
    runner = environment.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=users)
    gevent.sleep(seconds)
    PHASE.stopping = True  # nobody starts a new form; forms under way are finished
    runner.quit()
    elapsed = time.monotonic() - started
    stats = environment.stats
    stored = _stored(env, tokens)
    acknowledged = PHASE.acknowledged
    measurements = _count(server.port, api_token) - count_before
    lost = len(
        {hashlib.sha256(t.encode()).hexdigest() for t in acknowledged}
        - stored.pop("answered_hashes")
    )
    total = stats.total
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": total.num_requests,
        "errors": total.num_failures,
        "error_kinds": {str(e.error): e.occurrences for e in stats.errors.values()},
        "requests_per_s": round(total.num_requests / elapsed, 1),
        "submissions_acknowledged": len(acknowledged),
        "submissions_per_s": round(len(acknowledged) / elapsed, 1),
        "double_taps_refused": PHASE.repeats,
        "links_ran_out": PHASE.exhausted,
        "measurements_stored": measurements,
        **stored,
        "acknowledged_but_not_stored": lost,
        "latency_ms": {
            "all": _latency(total),
            **{name: _latency(entry) for (name, _), entry in sorted(stats.entries.items())},
        },
    }


def _count(port: int, api_token: str) -> int:
    status, page = _served.request(port, "GET", "/api/v1/measurements?limit=1", token=api_token)
    assert status == 200, page
    return page["count"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent respondents (50)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load (60)")
    parser.add_argument("--baseline-users", type=int, default=1)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=8, help="the server's threads (8)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="serve from a fresh PostgreSQL database made beside this one (default: SQLite)",
    )
    args = parser.parse_args()
    url = _served.fresh_postgres(args.postgres, "load") if args.postgres else None
    env = _served.environment(database_url=url)
    [api_token] = _served.prepare(env)
    server = _served.Server(env, threads=args.threads)
    worker = _served.Process(env, "worker")
    server.start()
    worker.start()
    try:
        print(f"baseline: {args.baseline_users} respondent(s)…", file=sys.stderr, flush=True)
        baseline = run_phase(server, env, api_token, args.baseline_users, args.baseline_seconds)
        print(f"load: {args.users} respondents…", file=sys.stderr, flush=True)
        load = run_phase(server, env, api_token, args.users, args.seconds)
    finally:
        server.stop()
        worker.stop()
    result = {
        "database": "postgresql" if url else "sqlite",
        "server_threads": args.threads,
        "baseline": baseline,
        "load": load,
        "comparison": {
            "submissions_per_s_ratio": round(
                load["submissions_per_s"] / max(baseline["submissions_per_s"], 1e-9), 2
            ),
            "p50_ratio": round(
                load["latency_ms"]["all"]["p50"] / max(baseline["latency_ms"]["all"]["p50"], 1), 2
            ),
            "p95_ratio": round(
                load["latency_ms"]["all"]["p95"] / max(baseline["latency_ms"]["all"]["p95"], 1), 2
            ),
        },
    }
    print(json.dumps(result, indent=2))
    folder = env["KLANTPEIL_DATA_DIR"]
    sound = all(
        phase["errors"] == 0
        and phase["measurements_stored"] == phase["submissions_acknowledged"]
        and phase["answered_invitations"] == phase["submissions_acknowledged"]
        and phase["answered_twice"] == 0
        and phase["acknowledged_but_not_stored"] == 0
        for phase in (baseline, load)
    )
    if sound:
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    print(f"kept the data folder and the server's log: {folder}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

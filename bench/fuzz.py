"""Fuzz a served Klantpeil for longer than the test suite does: no input may give a 5xx.

    python bench/fuzz.py                         # 3,000 requests, SQLite
    python bench/fuzz.py --requests 20000 --seed 7
    python bench/fuzz.py --postgres postgres://postgres@127.0.0.1:5432/klantpeil

Starts ``klantpeil serve`` on a free port of 127.0.0.1 with a fresh data folder (or a
fresh PostgreSQL database beside the one given), makes an organisation with an API
token, 300 customer-survey measurements and an analyst, and then sends requests drawn
with a seeded generator (the same seed sends the same requests):

- every API operation in the served OpenAPI document, each query parameter and path
  parameter extreme (years 1, 1000 and 9999 with odd offsets, 21- and 400-digit
  numbers, NaN, 1e400, text no database stores, wrong types) or left out, and batches
  of measurements and invitations with extreme values in their fields and answers;
- every page of the organisation in the URL configuration that names no object, as
  the signed-in analyst, with query strings drawn from the parameters the pages read.

Prints JSON: the requests, the count per status, the 5xx count and the first few 5xx
requests (to reproduce them), and the seconds. Exits 1 when any answer was a 5xx.
The short, derandomised version runs in the test suite (tests/test_api_fuzz.py and
tests/test_page_fuzz.py).
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import _served

PASSWORD = "fuzz-password-for-bench-only"
ANALYST = "analyst@fuzz.example"
HUGE = "1" + "0" * 400
YEARS = [
    "0001",
    "0999",
    "1000",
    "1899",
    "1900",
    "1999",
    "2000",
    "2026",
    "2099",
    "2100",
    "2999",
    "9999",
]
OFFSETS = ["+14:00", "-12:00", "+05:45", "-00:01", "+23:59", "Z", ""]
NUMBERS = [HUGE, "-" + HUGE, "9" * 21, str(2**63), str(2**31), "-1", "0", "1e400", "NaN", "1.5"]
TEXTS = ["", " ", "{}", "[]", "null", "true", "x" * 3000, "\x00", "a\x00b", "' OR 1=1 --", "<b>"]
PARAMETERS = (
    "period", "channel", "unit", "since", "until", "page", "q", "sort", "sentiment",
    "driver", "language", "lang", "download", "instrument", "format", "unknown",
)  # fmt: skip
ANSWERS = {
    "overall_grade": 8, "reliability_promise": 8, "reliability_answer": 9,
    "empathy_understanding": 7, "empathy_serious": 8, "customer_focus": 7,
    "customer_knowledge": 6, "waiting_time": 5, "accessibility": 8, "nps": 9, "ces": 6,
    "solved_first_contact": True,
}  # fmt: skip
DRIVERS = (
    "reliability_promise", "reliability_answer", "empathy_understanding", "empathy_serious",
    "customer_focus", "customer_knowledge", "waiting_time", "accessibility", "ivr_menu",
)  # fmt: skip
PAGES = """
import json
from django.urls import URLPattern, URLResolver, get_resolver, reverse
def walk(entries, namespace=None, outer=()):
    for entry in entries:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, (namespace, entry.namespace))) or None
            yield from walk(entry.url_patterns, ns, (*outer, *entry.pattern.converters))
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, {*outer, *entry.pattern.converters}
print(json.dumps(sorted(
    reverse(name, kwargs={"org": "%(slug)s"}) for name, params in walk(get_resolver().url_patterns)
    if params == {"org"} and not (name or "").startswith(("admin", "api-v1"))
)))
"""


class Draw:
    """Extreme values, from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def date(self) -> str:
        r = self.rng
        return f"{r.choice(YEARS)}-{r.randint(0, 13):02d}-{r.choice([1, 28, 29, 31, 32]):02d}"

    def moment(self) -> str:
        r = self.rng
        return f"{self.date()}T{r.choice(['00', '12', '23', '24'])}:00:00{r.choice(OFFSETS)}"

    def period(self) -> str:
        r = self.rng
        suffix = r.choice(["", "-01", "-12", "-13", "-00", "-Q1", "-Q4", "-Q5"])
        return r.choice(YEARS) + suffix

    def text(self) -> str:
        r = self.rng
        kind = r.randrange(5)
        if kind == 0:
            return self.date()
        if kind == 1:
            return self.moment()
        if kind == 2:
            return self.period()
        return r.choice(NUMBERS if kind == 3 else TEXTS)

    def json_value(self):
        r = self.rng
        return r.choice(
            [
                10**400, -(10**400), 2**63, 1e308, "1e400", HUGE, None, True, False, {}, {"a": 1},
                [], [1, [2]], "x" * 6000, self.date(), self.moment(), self.period(), -1, 0,
            ]
        )  # fmt: skip


def _item(i: int) -> dict:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    grades = random.Random(i)
    return {
        "instrument": "customer-survey",
        "occurred_at": (start + timedelta(hours=13 * i)).isoformat(),
        "channel": ("phone", "email", "counter")[i % 3],
        "unit": "front",
        "external_id": f"fuzz-{i}",
        # Varied answers, so the driver analysis has variance to explain (with a
        # constant driver the overview answers 500: see bench/README.md).
        "answers": {
            **ANSWERS,
            **{key: grades.randint(1, 10) for key in (*DRIVERS, "overall_grade")},
        },
    }


def _api_request(draw: Draw, operation: dict) -> tuple[str, str, bytes | None]:
    r = draw.rng
    path = operation["path"]
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", urllib.parse.quote(draw.text(), safe=""))
    query = [
        (p, draw.text() if r.random() < 0.8 else draw.period())
        for p in operation["query"]
        if r.random() < 0.4
    ]
    url = path + ("?" + urllib.parse.urlencode(query) if query else "")
    if operation["method"] != "POST":
        return operation["method"], url, None
    if path.endswith("/invitations"):
        body: dict = {
            "invitations": [{"channel": "phone", "occurred_at": "2026-06-01T09:00:00+02:00"}]
        }
        fields = [
            "channel",
            "occurred_at",
            "unit",
            "language",
            "email",
            "phone",
            "external_contact_id",
        ]
    else:
        body = {"measurements": [_item(10_000 + r.randrange(10**6))]}
        fields = ["instrument", "occurred_at", "channel", "unit", "language", "external_id"]
        fields += [f"answers.{key}" for key in (*ANSWERS, "comment", "nope")]
    item = next(iter(body.values()))[0]
    for field in r.sample(fields, r.randint(1, 3)):
        if field.startswith("answers."):
            item["answers"][field.removeprefix("answers.")] = draw.json_value()
        else:
            item[field] = draw.json_value()
    if r.random() < 0.2:
        key = next(iter(body))
        body[key] = [item, draw.json_value()]
    return "POST", url, json.dumps(body, default=str).encode()


def _page_request(draw: Draw, pages: list[str]) -> str:
    r = draw.rng
    query = [(r.choice(PARAMETERS), draw.text()) for _ in range(r.randint(0, 4))]
    if r.random() < 0.5:
        query.append(("period", draw.period()))
    return r.choice(pages) + ("?" + urllib.parse.urlencode(query) if query else "")


def _login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/accounts/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    # Straight to a list, so a failing page is counted among the fuzzed ones, not here.
    landing = f"/app/{_served.ORG}/measurements/"
    form = {"csrfmiddlewaretoken": csrf, "login": ANALYST, "password": PASSWORD, "next": landing}
    opener.open(
        urllib.request.Request(
            base + "/accounts/login/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": base + "/accounts/login/"},
        )
    )
    return opener


def run(env: dict[str, str], requests: int, seed: int) -> dict:
    [token] = _served.prepare(env)
    env_user = {**env, "KLANTPEIL_PASSWORD": PASSWORD}
    _served.klantpeil(env_user, "createuser", ANALYST, "--org", _served.ORG, "--role", "analyst")
    pages = json.loads(
        _served.klantpeil(env, "manage", "shell", "-c", PAGES % {"slug": _served.ORG}).splitlines()[
            -1
        ]
    )
    server = _served.Server(env)
    server.start()
    try:
        status, _ = _served.request(
            server.port,
            "POST",
            "/api/v1/measurements",
            {"measurements": [_item(i) for i in range(300)]},
            token=token,
        )
        assert status == 201, status
        document = _served.request(server.port, "GET", "/api/v1/openapi.json", token=token)[1]
        operations = [
            {
                "method": method.upper(),
                "path": path,
                "query": [p["name"] for p in spec.get("parameters", []) if p["in"] == "query"],
            }
            for path, methods in document["paths"].items()
            for method, spec in methods.items()
        ]
        browser = _login(server.base)
        draw = Draw(seed)
        statuses: Counter[int] = Counter()
        failures: list[dict] = []
        started = time.monotonic()
        for number in range(requests):
            if number % 2:
                method, url, body = _api_request(draw, draw.rng.choice(operations))
                connection = http.client.HTTPConnection(_served.HOST, server.port, timeout=120)
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                connection.request(method, url, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                code = response.status
                connection.close()
            else:
                method, url, body = "GET", _page_request(draw, pages), None
                try:
                    with browser.open(server.base + url, timeout=120) as answer:
                        code = answer.status
                except urllib.error.HTTPError as error:
                    code = error.code
            statuses[code] += 1
            if code >= 500 and len(failures) < 10:
                failures.append(
                    {
                        "method": method,
                        "url": url[:500],
                        "body": (body or b"")[:500].decode(errors="replace"),
                    }
                )
        return {
            "database": "postgresql" if env.get("DATABASE_URL") else "sqlite",
            "seed": seed,
            "requests": requests,
            "api_operations": len(operations),
            "pages": len(pages),
            "statuses": {str(code): count for code, count in sorted(statuses.items())},
            "server_errors": sum(count for code, count in statuses.items() if code >= 500),
            "first_server_errors": failures,
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a fresh database is made beside it")
    args = parser.parse_args()
    url = _served.fresh_postgres(args.postgres, "fuzz") if args.postgres else None
    result = run(_served.environment(url), args.requests, args.seed)
    print(json.dumps(result, indent=2))
    return 1 if result["server_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

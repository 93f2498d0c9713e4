"""Importing a Qualtrics-format export (three header rows) against a naive row-by-row path.

    python bench/import_qualtrics.py                 # SQLite, and PostgreSQL when reachable
    python bench/import_qualtrics.py --database postgres --rows 100000

The bench writes a Qualtrics CSV of ``--rows`` responses (17 of Qualtrics' own
columns and five questions: a 1–5 satisfaction converted to the 1–10 grade, NPS,
solved yes/no, channel, an open comment on every third), drafts the mapping with
the suggester and imports it through ``dataio.imports.import_measurements`` into
``customer-survey-history``, timed end to end (read, detect, map, convert,
validate, write). The baseline, in the same run, reads the same file's rows one
at a time and stores each with ``collection.services.record_measurement`` (one
transaction per response), on ``--naive`` rows. Progress goes to stderr; the
result is JSON. Goal: at least 5,000 rows/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import time
from datetime import datetime, timedelta

from _databases import configure, each_database

META = (  # noqa: SIM905
    "StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,"
    "ResponseId,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,"
    "LocationLatitude,LocationLongitude,DistributionChannel,UserLanguage"
).split(",")
QUESTIONS = {
    "Q1": "Hoe tevreden bent u over het contact? (1 = zeer ontevreden, 5 = zeer tevreden)",
    "Q2": "Hoe waarschijnlijk is het dat u ons aanbeveelt bij vrienden of familie?",
    "Q3": "Is uw vraag in één keer opgelost?",
    "Q4": "Via welk kanaal had u contact met ons?",
    "Q5": "Wilt u nog iets kwijt over het contact?",
}
IMPORT_IDS = [
    "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished",
    "recordedDate", "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail",
    "externalDataReference", "locationLatitude", "locationLongitude", "distributionChannel",
    "userLanguage", "QID1", "QID2", "QID3", "QID4", "QID5_TEXT",
]  # fmt: skip


def qualtrics_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*META, *QUESTIONS])
    writer.writerow([*(m.replace("Date", " Date") for m in META), *QUESTIONS.values()])
    writer.writerow([json.dumps({"ImportId": i}, separators=(",", ":")) for i in IMPORT_IDS])
    start = datetime(2024, 1, 1, 8, 0, 0)
    for i in range(rows):
        moment = start + timedelta(minutes=5 * i)
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow(
            [
                stamp, stamp, "IP Address", f"192.0.2.{i % 250}", 100, rng.randint(20, 400),
                "True", stamp, f"R_bench{i:010d}", "", "", "", "", "52.37", "4.89",
                "anonymous", rng.choice(["NL", "NL", "EN"]),
                rng.randint(1, 5), rng.randint(0, 10), rng.choice(["Ja", "Nee"]),
                rng.choice(["Telefoon", "E-mail", "Balie"]),
                "Vriendelijk geholpen, maar het duurde lang." if i % 3 == 0 else "",
            ]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.shown = label, total, 0, 0

    def __call__(self, n: int) -> None:
        if not n:  # the validator reports its remainder, 0 when whole
            return
        self.done += n
        if self.done - self.shown >= 10_000 or self.done >= self.total:
            self.shown = self.done
            print(f"  {self.label}: {self.done:,}/{self.total:,} rows", file=sys.stderr, flush=True)


def run_one(database: str, rows: int, naive: int) -> dict:
    configure(database, __file__)
    from klantpeil.collection.models import Measurement, Source
    from klantpeil.collection.services import record_measurement
    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.formats import normalise
    from klantpeil.dataio.imports import Mapping, import_measurements
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import read_raw_table
    from klantpeil.dataio.suggest import questions_from_version, suggest_mapping
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Channel, Organisation, Sector, Unit

    sector = Sector.objects.create(key="bench", name_nl="Bench", name_en="Bench")
    orgs = {}
    for slug in ("bench", "bench-naive"):
        org = Organisation.objects.create(slug=slug, name=slug, sector=sector)
        Unit.unscoped_all_tenants.create(organisation=org, code="front", name="Front")
        for kind in ("phone", "email", "counter"):
            Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
        orgs[slug] = org
    print(f"  {database}: writing a {rows:,}-row Qualtrics CSV", file=sys.stderr, flush=True)
    data = qualtrics_csv(rows)
    with tenant(orgs["bench"]):
        started = time.perf_counter()
        source = normalise(read_raw_table(data, "bench.csv", LOCAL_FILE_LIMITS))
        version = latest_version(key="customer-survey-history")
        draft = suggest_mapping(source, "customer-survey-history", questions_from_version(version))
        suggest_seconds = time.perf_counter() - started
        mapping = Mapping.from_json(json.dumps(draft))
        started = time.perf_counter()
        report = import_measurements(
            data=data,
            name="bench.csv",
            instrument="customer-survey-history",
            mapping=mapping,
            progress=Progress(f"{database} import", rows),
            limits=LOCAL_FILE_LIMITS,
        )
        import_seconds = time.perf_counter() - started
        assert report.ok, [p.describe("bench.csv") for p in report.problems[:5]]
        assert report.created == rows == Measurement.objects.count(), report.created
    # The naive path: the same file's rows, one record_measurement per response.
    with tenant(orgs["bench-naive"]):
        channels = {c.kind: c for c in Channel.objects.all()}
        words = {"Telefoon": "phone", "E-mail": "email", "Balie": "counter"}
        version = latest_version(key="customer-survey-history")
        started = time.perf_counter()
        reader = csv.reader(io.StringIO(data.decode("utf-8")))
        header = next(reader)
        next(reader), next(reader)
        progress = Progress(f"{database} naive", naive)
        for _number, row in zip(range(naive), reader, strict=False):
            cells = dict(zip(header, row, strict=True))
            grade = 1 + (int(cells["Q1"]) - 1) * 9 / 4
            record_measurement(
                version=version,
                answers={
                    "overall_grade": int(grade + 0.5),
                    "nps": cells["Q2"],
                    "solved_first_contact": cells["Q3"],
                    "comment": cells["Q5"],
                },
                occurred_at=datetime.strptime(
                    cells["RecordedDate"], "%Y-%m-%d %H:%M:%S"
                ).astimezone(),
                source=Source.IMPORT,
                channel=channels[words[cells["Q4"]]],
                language=cells["UserLanguage"].lower(),
                external_id=cells["ResponseId"],
            )
            progress(1)
        naive_seconds = time.perf_counter() - started
    rate, naive_rate = rows / import_seconds, naive / naive_seconds
    return {
        "benchmark": "import_qualtrics",
        "database": database,
        "rows": rows,
        "detected_format": report.format,
        "suggest_seconds": round(suggest_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "import_rows_per_second": round(rate, 1),
        "naive_rows": naive,
        "naive_seconds": round(naive_seconds, 3),
        "naive_rows_per_second": round(naive_rate, 1),
        "speedup_vs_naive": round(rate / naive_rate, 1),
        "goal_rows_per_second_postgres": 5_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=2_000)
    args = parser.parse_args()
    if args.database != "all":
        print(json.dumps(run_one(args.database, args.rows, args.naive)))
        return
    results = each_database(__file__, ["--rows", str(args.rows), "--naive", str(args.naive)])
    print(json.dumps({"benchmark": "import_qualtrics", "results": results}, indent=2))


if __name__ == "__main__":
    main()

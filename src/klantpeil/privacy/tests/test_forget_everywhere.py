"""Forgetting reaches everything derived from a respondent.

A respondent answers with a comment that holds their name and address; a report is
made, the comments are annotated, a task naming them waits in the queue, and staff
search the comments page and the back office for them. After "forget", every column
of every table in the database (read from the database's own catalogue, so a table
added later is searched too), the stored report files (unpacked) and every file under
the data folder are searched for their comment, name, address, e-mail, phone and
contact id, and nothing is found. On SQLite the database file itself is searched as
well, byte for byte, through the real command.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from klantpeil.collection.ingest import create_invitations
from klantpeil.collection.services import answer_invitation
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.privacy.models import AuditAction, AuditEvent
from klantpeil.reports import services as report_services
from klantpeil.reports.models import ReportRun
from klantpeil.textanalysis.models import CommentAnnotation
from klantpeil.textanalysis.services import annotate_comments

EMAIL = "anna.devries@example.nl"
PHONE = "+31 6 1234 5678"
CONTACT = "CRM-ANNA-42"
NAME = "Anna de Vries"
ADDRESS = "Kerkstraat 12"
COMMENT = f"Ik ben {NAME}, {ADDRESS} in Wadderveen: niemand belde terug, héél slecht"
SECRETS = (EMAIL, PHONE, CONTACT, NAME, ADDRESS, COMMENT)
WHEN = datetime(2026, 3, 10, 10, tzinfo=UTC)


@task()
def send_reminder(address: str, text: str) -> str:
    """A stand-in for an invitation or reminder e-mail waiting in the queue."""
    return address


def _respond(email: str, phone: str, contact: str, grade: int, comment: str):
    invitation, _token = create_invitations(
        events=[
            {
                "channel": "email",
                "occurred_at": WHEN,
                "email": email,
                "phone": phone,
                "external_contact_id": contact,
            }
        ]
    )[0]
    answers = {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade, "comment": comment}
    return answer_invitation(invitation_id=invitation.pk, answers=answers).measurement


def _spellings(text: str) -> set[str]:
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def _database_hits(terms) -> list[str]:
    """Every (table, column) whose text holds one of ``terms``, whatever its type: each
    column is cast to text and searched case-insensitively, in every table there is."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        assert {
            "collection_answer",
            "reports_reportrun",
            "django_tasks_database_dbtaskresult",
        } <= set(tables)
        for table in tables:
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                for term in terms:
                    for spelling in _spellings(term):
                        cursor.execute(
                            f"SELECT 1 FROM {quote(table)} "
                            f"WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE LOWER(%s) "
                            "LIMIT 1",
                            [f"%{spelling}%"],
                        )
                        if cursor.fetchone():
                            hits.append(f"{table}.{column.name}: {term!r}")
    return hits


def _readable(blob: bytes) -> str:
    """A stored file as text: a PDF through pdftotext, an XLSX (zip) unpacked."""
    if blob.startswith(b"%PDF"):
        done = subprocess.run(
            ["pdftotext", "-", "-"], input=blob, capture_output=True, check=True, timeout=60
        )
        return done.stdout.decode("utf-8", "replace")
    if blob.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return blob.decode("utf-8", "replace")


def _stored_files_text() -> str:
    parts = [
        _readable(bytes(c))
        for c in ReportRun.unscoped_all_tenants.values_list("content", flat=True)
        if c
    ]
    for path in Path(settings.ENV.data_dir).rglob("*"):
        if path.is_file():
            parts.append(_readable(path.read_bytes()))
    parts += [str(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(parts)


def _found_in_files(text: str) -> list[str]:
    flat = " ".join(text.split()).lower()  # pdftotext breaks lines
    return [s for s in SECRETS if " ".join(s.split()).lower() in flat]


@pytest.fixture
def scene(make_org, make_member, client):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    alpha = make_org("alpha")
    analyst = make_member("analyst@alpha.example", alpha, "analyst")
    operator = make_member("op@klantpeil.example", alpha, "operator")
    with tenant(alpha):
        _respond(EMAIL, PHONE, CONTACT, 2, COMMENT)
        _respond("other@example.nl", "", "", 3, "Ook bij mij duurde het lang, erg slecht")
        assert annotate_comments(method="lexicon") == 2
        runs = {}
        for period, fmt in (("2026-03", "pdf"), ("2026-Q1", "xlsx"), ("2024", "pdf")):
            runs[period] = report_services.request_report(period=period, fmt=fmt, lang="nl")
    for run in runs.values():
        report_services.make(run_id=run.pk)
    send_reminder.enqueue(EMAIL, f"Beste {NAME}, wilt u nog antwoorden?")
    send_reminder.enqueue("someone@example.nl", "Beste klant")
    # Staff looked for them: the audit log quotes the searches.
    client.force_login(analyst)
    assert client.get("/app/alpha/comments/", {"q": ADDRESS}).status_code == 200
    assert client.get("/app/alpha/comments/", {"q": "slecht"}).status_code == 200
    client.force_login(operator)
    assert client.get("/admin/accounts/user/", {"q": EMAIL}).status_code == 200
    client.force_login(analyst)
    return {"org": alpha, "client": client, "runs": runs}


def test_forget_leaves_nothing_of_the_respondent_in_any_table_or_file(scene):
    client, runs = scene["client"], scene["runs"]
    # Before: the respondent is in the answers, the invitation, the March and Q1 reports,
    # the queue and the audit log, so the searches below can find them.
    before = _database_hits(SECRETS)
    assert any(h.startswith("collection_answer.text") for h in before)
    assert any(h.startswith("collection_invitation.respondent_email") for h in before)
    assert any(h.startswith("django_tasks_database_dbtaskresult.args_kwargs") for h in before)
    assert any(h.startswith("privacy_auditevent.detail") for h in before)
    assert set(_found_in_files(_stored_files_text())) >= {NAME, ADDRESS}

    response = client.post(
        "/app/alpha/privacy/forget/", {"email": EMAIL, "confirm": "on"}, follow=True
    )
    page = response.content.decode()
    assert "1 uitnodiging(en) en 1 meting(en) verwijderd" in page
    assert "2 opgeslagen rapport(en)" in page  # the user is told to make them again

    assert _database_hits(SECRETS) == []
    assert _found_in_files(_stored_files_text()) == []
    # What was derived from them went; what was not stays.
    statuses = {p: ReportRun.unscoped_all_tenants.get(pk=r.pk).status for p, r in runs.items()}
    assert statuses == {"2026-03": "erased", "2026-Q1": "erased", "2024": "done"}
    assert CommentAnnotation.unscoped_all_tenants.count() == 1
    assert list(
        DBTaskResult.objects.filter(task_path=send_reminder.module_path).values_list(
            "args_kwargs", flat=True
        )
    ) == [{"args": ["someone@example.nl", "Beste klant"], "kwargs": {}}]
    searches = [
        e.detail["query"]["q"]
        for e in AuditEvent.objects.filter(detail__query__has_key="q").order_by("id")
    ]
    assert searches == ["[forgotten]", "[forgotten]", "[forgotten]"]  # "slecht" is their word
    forget = AuditEvent.objects.get(action=AuditAction.FORGET)
    assert forget.detail == {"invitations": 1, "measurements": 1}
    # The erased report says so and can be made again.
    erased = client.get(f"/app/alpha/reports/{runs['2026-03'].pk}/")
    assert "opnieuw" in erased.content.decode()
    assert client.get(f"/app/alpha/reports/{runs['2026-03'].pk}/download/").status_code == 404


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the SQLite file; PostgreSQL is searched above"
)
def test_forget_leaves_no_copy_in_the_sqlite_files(tmp_path):
    """On a real SQLite folder, through the real ``klantpeil privacy forget`` entry point
    (one process, so the test pays for one start): afterwards the bytes of the database
    and its write-ahead log hold none of the respondent's data."""
    from tests.conftest import klantpeil

    script = """
from django.core.management import call_command
from klantpeil.cli import main
from klantpeil.organisations.models import Organisation, Sector, Channel
from klantpeil.core.tenancy import tenant
from klantpeil.privacy.tests.test_forget_everywhere import _respond, EMAIL, PHONE, CONTACT, COMMENT
from django.db import connection
call_command("migrate", verbosity=0)
# Freed space is zeroed on every connection (settings), not only where SQLite is built so.
print("SECURE_DELETE", connection.cursor().execute("PRAGMA secure_delete").fetchone()[0])
sector = Sector.objects.create(key="m", name_nl="m", name_en="m")
org = Organisation.objects.create(slug="alpha", name="Alpha", sector=sector)
Channel.unscoped_all_tenants.create(organisation=org, kind="email")
with tenant(org):
    for i in range(12):
        _respond(f"n{i}@example.nl", "", "", 7, "Prima geholpen, dank u " * (i % 5))
    _respond(EMAIL, PHONE, CONTACT, 2, COMMENT)
    for i in range(12):
        _respond(f"m{i}@example.nl", "", "", 8, "Snel en vriendelijk " * (i % 5))
from pathlib import Path
held = b"".join(p.read_bytes() for p in Path(DATA).rglob("*") if p.is_file())
print("BEFORE", EMAIL.encode() in held, COMMENT.encode() in held)
main(["privacy", "forget", "--org", "alpha", "--email", EMAIL])
# Read while the connection is still open, as with a running server (closing the last
# connection would checkpoint and remove the write-ahead log anyway).
from klantpeil.privacy.tests.test_forget_everywhere import SECRETS
held = b"".join(p.read_bytes() for p in Path(DATA).rglob("*") if p.is_file())
print("AFTER", [s for s in SECRETS if s.encode() in held], len(held))
""".replace("DATA", repr(str(tmp_path)))
    done = klantpeil(
        "manage",
        "shell",
        "-c",
        script,
        env={"KLANTPEIL_DATA_DIR": str(tmp_path), "DATABASE_URL": ""},
    )
    assert done.returncode == 0, done.stderr
    assert "SECURE_DELETE 1" in done.stdout
    assert "BEFORE True True" in done.stdout  # the files held them, so the search can find them
    assert "Deleted 1 invitation(s) and 1 measurement(s)" in done.stdout
    assert "AFTER [] " in done.stdout, done.stdout
    left = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert len(left) > 100_000  # the database is there
    for secret in SECRETS:
        assert secret.encode() not in left, secret

"""The escape hatch for cross-tenant reads is used only where it is meant to be.

Every tenant-owned model has a fail-closed default manager (``core/tenancy.py``) and
one manager that reads across organisations. That second manager is the one way to
see another organisation's rows, so each module that uses it is listed here with
the reason it must. A new use fails until it is added with a reason (and reviewed);
a listed module that stops using it fails until it is taken off, so the list stays
exactly the set of modules that can read across tenants.

``MANAGER`` is the manager's name, in one place, so that renaming it is one edit
(or one sed over the tree). Uses are found in the syntax tree: attribute access
(``Model.<name>``), the name itself (a definition), and the name as a string
(``getattr(model, "<name>")``); a mention in a docstring or comment is not a use.
Test modules, which build worlds of several organisations, and migrations are not
scanned; templates are, and may not use it at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import klantpeil

MANAGER = "unscoped_all_tenants"

ROOT = Path(klantpeil.__file__).parent

# Module (relative to src/klantpeil) -> why it reads across organisations.
ALLOWED: dict[str, str] = {
    "core/tenancy.py": "defines the manager on TenantModel, beside the fail-closed one",
    "collection/models.py": "defines Measurement's cross-tenant manager with its queryset "
    "methods (current, of_method)",
    "core/admin.py": "operator back office: the admin lists every organisation's rows",
    "core/backup.py": "backup: the summary counts every organisation's measurements",
    "accounts/services.py": "API authentication: a token's secret names its organisation, "
    "which is not known before the token is found; issuing and revoking by id",
    "accounts/team.py": "team invitations: the link's secret names its organisation, "
    "looked up by its hash before any tenant is known (invitation_for_secret only)",
    "collection/views.py": "respondent links: an invitation or open link token names its "
    "organisation (the token is the capability)",
    "instruments/services.py": "standard content: syncs the shipped standard instruments, "
    "rows that belong to no organisation",
    "rollups/reader.py": "the one rollup reader: cells plus tail of the organisations it is "
    "given (the current one, or the sector's peers for analytics/sector.py, whose figures "
    "leave only through metrics/disclosure.py)",
    "rollups/services.py": "rollup worker: folds every organisation's new measurements "
    "and rebuilds or prunes their cells (task fan-out)",
    "accounts/admin.py": "operator back office: a membership's units are chosen among "
    "the units of every organisation (the form refuses another organisation's)",
    "privacy/tasks.py": "retention task fan-out: whether any organisation still holds "
    "contact data to purge",
    "reports/services.py": "report worker: loads a queued run by id, then works inside "
    "its organisation",
    "textanalysis/services.py": "text-analysis worker: annotates pending comments of "
    "every organisation in one batch (task fan-out)",
    "textanalysis/tasks.py": "text-analysis task fan-out: whether any organisation has "
    "comments left to annotate",
    "accounts/sso/selectors.py": "sign-in: an e-mail domain or allauth's provider id names "
    "the organisation whose identity provider signs the person in, before any is known",
    "demo/generate.py": "demo generator: creates several organisations' units, channels "
    "and measurements",
    "organisations/selectors.py": "unit scope: core/tenancy.py widens a member's units "
    "with their sub-units before the tenant is active; reads one organisation's units, "
    "filtered by its id",
    "demo/reset.py": "demo generator: wipes every organisation's demo rows before a rebuild",
    "demo/distribution.py": "demo generator: writes each organisation's invitations, sends "
    "and opt-outs (the funnel), naming the organisation on every row",
    "distribution/services.py": "delivery dispatcher: claims every organisation's due "
    "deliveries in one queue, then sends each inside its organisation; an opt-out link's "
    "signed token names its delivery (the token is the capability)",
}


def uses(source: str) -> list[int]:
    """The lines of ``source`` that use the cross-tenant manager."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            (isinstance(node, ast.Attribute) and node.attr == MANAGER)
            or (isinstance(node, ast.Name) and node.id == MANAGER)
            or (isinstance(node, ast.Constant) and node.value == MANAGER)
            or (isinstance(node, ast.keyword) and node.arg == MANAGER)
        ):
            lines.append(node.lineno)
    return sorted(lines)


def _scanned() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    ]


def _found() -> dict[str, list[int]]:
    found = {}
    for path in _scanned():
        if lines := uses(path.read_text(encoding="utf-8")):
            found[path.relative_to(ROOT).as_posix()] = lines
    return found


def test_the_scanner_finds_every_form_of_use_and_no_mention():
    source = (
        f'"""The {MANAGER} manager is loud."""\n'  # a mention: not a use
        f"# {MANAGER} in a comment\n"
        f"rows = Answer.{MANAGER}.filter(pk=1)\n"  # 3
        f"manager = getattr(model, {MANAGER!r})\n"  # 4
        "class M:\n"
        f"    {MANAGER} = Manager()\n"  # 6
        f"other = Answer.objects.filter(note='{MANAGER} here')\n"
    )
    assert uses(source) == [3, 4, 6]


def test_the_name_is_the_managers_name():
    # A rename of the manager without this constant would make the scan find nothing.
    from klantpeil.collection.models import Answer, Measurement
    from klantpeil.organisations.models import Channel

    for model in (Answer, Measurement, Channel):
        assert getattr(model, MANAGER).model is model


def test_every_cross_tenant_read_is_on_the_allow_list():
    found = _found()
    unlisted = {module: lines for module, lines in found.items() if module not in ALLOWED}
    assert not unlisted, (
        f"{MANAGER} used outside the allow-list (add the module with the reason it must "
        f"read across organisations, or use the tenant-scoped manager): {unlisted}"
    )
    # The scan did look: the manager's own definition is found where it is.
    assert "core/tenancy.py" in found


def test_the_allow_list_is_honest():
    found = _found()
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"allow-listed but no longer using {MANAGER}; take them off: {stale}"
    assert all(len(reason) > 30 for reason in ALLOWED.values())


def test_no_template_reaches_the_manager():
    templates = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*.html")
        if MANAGER in path.read_text(encoding="utf-8")
    ]
    assert not templates

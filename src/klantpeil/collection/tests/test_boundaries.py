"""The write path knows nothing of its readers: collection imports none of them.

Rollups, text analysis and privacy subscribe to the events collection publishes
(``klantpeil.core.events``); an import of theirs in collection would tie the write
path to them again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import klantpeil.collection

READERS = (
    "klantpeil.analytics",
    "klantpeil.rollups",
    "klantpeil.textanalysis",
    "klantpeil.privacy",
)
PACKAGE = Path(klantpeil.collection.__file__).parent


def _imported(source: str, package: str = "klantpeil.collection") -> set[str]:
    """Every module an ``import`` or ``from … import`` names, at any depth of the code
    (imports inside functions too), relative ones resolved against ``package``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _readers(names: set[str]) -> set[str]:
    return {n for n in names if any(n == r or n.startswith(r + ".") for r in READERS)}


def test_the_parser_finds_imports_at_any_depth_and_relative_ones():
    source = (
        "import klantpeil.rollups.tasks\n"
        "def later():\n"
        "    from klantpeil.privacy.tasks import schedule_contact_purge\n"
        "from ..textanalysis import tasks\n"
        "from . import services\n"
    )
    assert _readers(_imported(source)) == {
        "klantpeil.rollups.tasks",
        "klantpeil.privacy.tasks",
        "klantpeil.privacy.tasks.schedule_contact_purge",
        "klantpeil.textanalysis",
        "klantpeil.textanalysis.tasks",
    }


def test_collection_imports_no_reader_only_the_event_publisher():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {"services.py", "ingest.py", "respondent.py", "views.py"} <= {p.name for p in modules}
    found = {p.name: sorted(_readers(_imported(p.read_text()))) for p in modules}
    assert {name: names for name, names in found.items() if names} == {}
    # The two modules that store measurements tell the others through the bus.
    for name in ("services.py", "ingest.py"):
        assert "klantpeil.core.events" in _imported((PACKAGE / name).read_text()), name

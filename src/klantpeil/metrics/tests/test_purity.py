"""metrics/ is plain computation: the CLI, the web, the benchmarks and the reports share it,
so it must import without Django (nor anything that imports Django) being loaded."""

import subprocess
import sys
from pathlib import Path

import klantpeil.metrics

PACKAGE = Path(klantpeil.metrics.__file__).parent
MODULES = sorted(
    f"klantpeil.metrics.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"
)

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(",".join(loaded))
"""


def test_metrics_has_the_measurement_modules():
    # A guard against the probe below passing vacuously on an emptied package.
    for name in ("stats", "drivers", "reachability", "significance", "weighting", "periods"):
        assert f"klantpeil.metrics.{name}" in MODULES


def test_no_metrics_module_loads_django():
    # A fresh interpreter: this test process has Django loaded already.
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *MODULES], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"metrics/ loads Django: {result.stdout.strip()}"

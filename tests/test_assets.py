"""The chart libraries the package serves are the ones package-lock.json pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "klantpeil" / "core" / "static" / "klantpeil" / "vendor"


@pytest.mark.parametrize("package", ["vega", "vega-lite", "vega-embed"])
def test_vendored_copies_equal_the_locked_npm_packages(package):
    installed = ROOT / "node_modules" / package
    if not installed.is_dir():
        pytest.skip("node_modules missing: run npm ci (scripts/test.sh does)")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"][f"node_modules/{package}"]["version"]
    assert json.loads((installed / "package.json").read_text())["version"] == locked
    shipped = (VENDOR / f"{package}.min.js").read_bytes()
    assert shipped == (installed / "build" / f"{package}.min.js").read_bytes(), (
        f"{package}: run scripts/vendor-assets.sh after changing package.json"
    )
    assert (VENDOR / f"{package}.LICENSE.txt").is_file()


def test_the_vega_expression_interpreter_is_vendored_as_a_plain_script():
    installed = ROOT / "node_modules" / "vega-interpreter"
    if not installed.is_dir():
        pytest.skip("node_modules missing: run npm ci (scripts/test.sh does)")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/vega-interpreter"]["version"]
    shipped = (VENDOR / "vega-interpreter.js").read_text()
    assert shipped.startswith(f"// vega-interpreter {locked}, wrapped over window.vega")
    assert "import " not in shipped and "export " not in shipped
    assert "vega.expressionInterpreter = expression;" in shipped
    assert (VENDOR / "vega-interpreter.LICENSE.txt").is_file()

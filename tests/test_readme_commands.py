"""The README's `klantpeil` table and the commands' ``--help`` agree.

Every row of the table names a command (``rollups refresh|rebuild``: each of them) and
its flags; each command must exist and show each of its documented flags in its help.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from klantpeil.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def documented_commands() -> list[tuple[str, list[str], list[str]]]:
    """(``privacy purge``, [the words to type], [documented flags]) per command in the table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The `klantpeil` command", 1)[1].split("\n## ", 1)[0]
    commands = []
    for line in section.splitlines():
        match = re.match(r"\|\s*`klantpeil ([^`]*)`\s*\|", line)
        if not match:
            continue
        usage = match.group(1).replace("\\|", "|")
        words = []
        for word in usage.split():
            if word.startswith(("-", "[")) or word.isupper() or word == "...":
                break
            words.append(word.split("|"))
        flags = sorted(set(FLAG.findall(usage)))
        # "rollups refresh|rebuild": one command for each alternative.
        variants = [[]]
        for alternatives in words:
            variants = [[*v, a] for v in variants for a in alternatives]
        commands += [(" ".join(v), v, flags) for v in variants]
    return commands


COMMANDS = documented_commands()


def test_the_readme_table_is_read():
    names = [name for name, _, _ in COMMANDS]
    assert len(names) >= 20
    for name in ("demo", "serve", "token", "rollups rebuild", "analyse drivers", "privacy purge"):
        assert name in names


def _help(words: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*words, "--help"])
    assert exit_.value.code == 0, f"klantpeil {' '.join(words)} --help failed"
    return out.getvalue()


def _cases():
    for name, words, flags in COMMANDS:
        yield pytest.param(name, words, flags, id=name)


@pytest.mark.parametrize(("name", "words", "flags"), list(_cases()))
def test_each_documented_command_exists_and_shows_its_documented_flags(name, words, flags):
    text = _help(words)
    assert text.startswith(f"usage: klantpeil {words[0]}"), text[:200]
    # A sub-command or a choice of one positional argument ("rollups {refresh,rebuild}").
    for word in words[1:]:
        assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), (
            f"`klantpeil {name}`: {word!r} is not a command or choice in its help"
        )
    missing = [flag for flag in flags if not re.search(rf"(?<![\w-]){re.escape(flag)}\b", text)]
    assert not missing, f"`klantpeil {name} --help` does not show {missing}"

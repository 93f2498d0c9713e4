"""``klantpeil manage openapi``: write (or check) the committed OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from klantpeil.api.contract import COMMITTED, REGENERATE, committed_text, generated_document, render


class Command(BaseCommand):
    help = "Write the API's OpenAPI document to the committed file (or check that it is current)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=COMMITTED,
            help=f"where to write it (default {COMMITTED})",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; fail when the committed file differs from the generated one",
        )

    def handle(self, *args, output: Path, check: bool, **options) -> None:
        text = render(generated_document())
        if check:
            if committed_text() != text:
                raise CommandError(f"{COMMITTED} is out of date; regenerate it: {REGENERATE}")
            self.stdout.write(f"{COMMITTED} is current.")
            return
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {output} ({len(text):,} characters).")

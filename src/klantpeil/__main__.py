"""``python -m klantpeil`` is the ``klantpeil`` command (the server starts its worker this way)."""

import sys

from klantpeil.cli import main

sys.exit(main())

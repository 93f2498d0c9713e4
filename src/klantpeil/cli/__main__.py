"""``python -m klantpeil.cli`` is the ``klantpeil`` command, like ``python -m klantpeil``."""

import sys

from klantpeil.cli import main

sys.exit(main())

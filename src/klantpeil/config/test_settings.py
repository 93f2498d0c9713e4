"""Settings for the test suite: the test environment, a throw-away data folder."""

import os
import tempfile

os.environ["KLANTPEIL_ENV"] = "test"
os.environ.setdefault("KLANTPEIL_DATA_DIR", tempfile.mkdtemp(prefix="klantpeil-test-"))

from klantpeil.config.settings import *  # noqa: F403

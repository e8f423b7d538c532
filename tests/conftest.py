"""Shared test setup: the part folders on sys.path, and hypothesis profiles."""

import os
import sys

from hypothesis import HealthCheck, settings

from tests.helpers import PART_DIRS

for part_dir in PART_DIRS.values():
    if str(part_dir) not in sys.path:
        sys.path.insert(0, str(part_dir))

# Property tests train nothing, but shapes vary; timing on a shared 2-core machine is noise.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI explores the same examples on every run, so a red run can be reproduced.
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

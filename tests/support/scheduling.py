"""How pytest-xdist shares the tests out (``--dist loadfile``, as ``make pytest`` runs it): a file's
tests go to one worker, so a module's platform (the fuzzing's, the gateway's end-to-end one) starts
once; and the files whose tests share the end-to-end platform of tests/e2e/conftest.py go to one
worker together, one after the other, so that platform starts once per run too (and so do the fault
suite's files that share its platform). (pytest-xdist's own
``xdist_group`` mark does not group under pytest 9: it renames node ids, which pytest 9 no longer
lets a plugin do.)"""

from __future__ import annotations

from typing import Any

import pytest

SHARED_PLATFORM_FILES = frozenset(
    {
        "tests/e2e/test_life_e2e.py",
        "tests/e2e/test_orders_e2e.py",
        "tests/e2e/test_street_office_e2e.py",
        "tests/e2e/test_typescript_client.py",
    }
)


# The fault suite's files that share its platform (tests/faults/conftest.py: fault_platform).
FAULT_PLATFORM_FILES = frozenset(
    {
        "tests/faults/test_killed_relay.py",
        "tests/faults/test_killed_service.py",
        "tests/faults/test_photo_store_full.py",
    }
)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedPlatformScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path in SHARED_PLATFORM_FILES:
                return "tests/e2e (the shared platform)"
            if path in FAULT_PLATFORM_FILES:
                return "tests/faults (the fault platform)"
            return path

    return SharedPlatformScheduling(config, log)

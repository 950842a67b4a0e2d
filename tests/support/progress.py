"""Progress for the slow phases: pytest's dots say little while one end-to-end or fuzz test runs for
half a minute, so each test marked ``e2e`` or ``fuzz`` gets a line of its own, written when it starts
and finished with its outcome and time:

    tests/e2e/test_life_e2e.py::test_notices_reach_the_residents_of_their_places . 4.2 s     [ 12%]

The other tests keep pytest's dots per file. Under pytest-xdist a slow test gets a line when it starts
and one when it ends; with ``-v`` pytest's own lines are left as they are.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

SLOW_MARKERS = ("e2e", "fuzz")
SLOW_FOLDERS = ("tests/e2e/", "tests/fuzz/")


class SlowTestLines:
    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter
        self.slow: set[str] = set()
        self.started: dict[str, float] = {}
        self.header: str | None = None  # the file whose path heads the current lines

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.slow = {item.nodeid for item in items if any(item.get_closest_marker(m) for m in SLOW_MARKERS)}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if nodeid not in self.slow:
            self.header = None
            return
        reporter, tw = self.reporter, self.reporter._tw
        path = nodeid.split("::", 1)[0]
        if reporter.currentfspath is not None and reporter._show_progress_info:
            reporter._write_progress_information_filling_space()  # ends the line of dots before
        if self.header != path:
            tw.line()
            tw.write(path)
            self.header = path
        name = nodeid.split("::", 1)[1]
        room = max(20, tw.fullwidth - 4 - len(" . 999.9 s") - len(" [100%]") - 1)
        tw.line()
        tw.write("    " + (name if len(name) <= room else name[: room - 1] + "…") + " ", flush=True)
        # The reporter takes this line for the file's and adds the outcome's letter to it.
        reporter.currentfspath = reporter.config.rootpath / path
        self.started[nodeid] = time.monotonic()

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        started = self.started.pop(nodeid, None)
        if started is None:
            return
        reporter = self.reporter
        reporter._tw.write(f" {time.monotonic() - started:.1f} s", flush=True)
        if reporter._show_progress_info and not reporter._is_last_item:
            reporter._write_progress_information_filling_space()
        reporter.currentfspath = None  # the next test starts a line of its own


class SlowTestLinesXdist:
    """Under pytest-xdist the workers' tests run side by side: a whole line when a slow test starts
    and one when it ends, between the dots."""

    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter
        self.started: dict[str, float] = {}
        self.failed: set[str] = set()

    def _line(self, text: str) -> None:
        tw = self.reporter._tw
        if tw.width_of_current_line:
            tw.line()
        tw.line(text, flush=True)

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if nodeid.startswith(SLOW_FOLDERS):  # the controller collects nothing: the markers' folders
            self.started[nodeid] = time.monotonic()
            self._line(f"started  {nodeid}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.add(report.nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        started = self.started.pop(nodeid, None)
        if started is not None:
            outcome = "FAILED " if nodeid in self.failed else "done   "
            self._line(f"{outcome}  {nodeid} ({time.monotonic() - started:.1f} s)")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput") or config.get_verbosity() > 0:
        return  # no terminal, a worker of pytest-xdist (its controller reports), or pytest's own lines
    if not hasattr(reporter, "_write_progress_information_filling_space"):
        return  # another pytest than the one pinned: its own output as it is
    if getattr(config.option, "numprocesses", None):
        config.pluginmanager.register(SlowTestLinesXdist(reporter), "slow-test-lines")
    else:
        config.pluginmanager.register(SlowTestLines(reporter), "slow-test-lines")

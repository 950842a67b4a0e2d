"""``make run``'s launcher without a database: what its start-up banner tells a new user."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy import local

pytestmark = pytest.mark.no_db


def test_the_no_demo_banner_shows_how_to_bootstrap_not_the_demo_accounts() -> None:
    banner = local.banner(0, with_demo=False)
    assert "python -m deploy.bootstrap" in banner and "--street-code" in banner and "--admin-phone" in banner
    assert "Starting your own street" in banner
    assert "demo12345" not in banner and "13900000001" not in banner
    assert "--pgdata" not in banner


def test_the_no_demo_banner_names_a_pgdata_other_than_the_default() -> None:
    assert "--pgdata /elsewhere/pg" in local.banner(0, with_demo=False, pgdata=Path("/elsewhere/pg"))


def test_the_demo_banner_keeps_the_demo_accounts() -> None:
    banner = local.banner(0)
    assert "demo12345" in banner and "13900000001" in banner
    assert "deploy.bootstrap" not in banner

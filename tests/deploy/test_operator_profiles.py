"""Operator commands never guess a profile for a server's database: given <PREFIX>DATABASE_URL without
<PREFIX>PROFILE they refuse before touching anything, naming the variable (the finding: keys rotate
without GATEWAY_PROFILE sealed a key with the development placeholder)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deploy import backup, bootstrap, demo, migrate, resync
from deploy.processes import PROCESSES

pytestmark = [pytest.mark.no_db]
NOWHERE = "postgresql://operator:never-reached@127.0.0.1:9/{name}"  # nothing listens: a refusal comes first

COMMANDS: dict[str, Callable[[], Any]] = {
    "migrate": lambda: migrate.main([]),
    "demo": demo.main,
    "bootstrap": lambda: bootstrap.main(
        [
            "--street-code",
            "110105001",
            "--street-name",
            "示范街道",
            "--admin-username",
            "admin",
            "--admin-name",
            "张三",
            "--admin-phone",
            "13800000000",
        ]
    ),  # fmt: skip
    "resync": lambda: resync.main(["households", "--check"]),
    "backup": lambda: backup.main([]),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_servers_database_without_its_profile_is_refused(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in PROCESSES:
        monkeypatch.setenv(f"{spec.env_prefix}DATABASE_URL", NOWHERE.format(name=spec.name))
        monkeypatch.delenv(f"{spec.env_prefix}PROFILE", raising=False)
    with pytest.raises(SystemExit) as refused:
        COMMANDS[command]()
    message = str(refused.value.code)
    assert "_PROFILE" in message and "not set" in message
    assert "never-reached" not in message

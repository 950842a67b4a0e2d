"""``python -m deploy.bootstrap``: a street and its first street administrator, on databases of this
module's own (the gateway's and the grids service's), emptied before each test. The command is called
in-process (in a thread: it runs migrations and its own event loop) and once as a subprocess."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import bootstrap
from gateway.auth.passwords import verify_password
from shared.embedded import ensure_databases, replace_database
from tests.conftest import database_prefix
from tests.support import db

ROOT = Path(__file__).resolve().parents[2]
# The suite's own tables are not touched here: this module empties its own databases.
pytestmark = [pytest.mark.keep_tables, pytest.mark.usefixtures("env")]

STREET, OTHER_STREET = "110105002", "110105003"
PHONE, OTHER_PHONE = "13812345678", "13987654321"
TABLES = {
    "gateway": ("account", "account_binding", "admin_audit"),
    "grids": ("street", "party_org", "member", "binding"),
}


def args(username: str = "alice", *, street: str = STREET, phone: str = PHONE, name: str = "李四") -> list[str]:
    return [
        "--street-code", street, "--street-name", "测试街道", "--admin-username", username,
        "--admin-name", name, "--admin-phone", phone,
    ]  # fmt: skip


async def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return await asyncio.to_thread(bootstrap.main, argv)


async def counts(urls: dict[str, str]) -> dict[str, int]:
    return {
        table: await db.value(urls[name], f"SELECT count(*) FROM {table}")
        for name, tables in TABLES.items()
        for table in tables
    }


def in_clear(text: str, value: object) -> bool:
    return text.encode() in value if isinstance(value, bytes) else text in str(value)


def printed_password(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("Password: ")]
    return line.removeprefix("Password: ")


async def test_first_run_creates_the_street_its_committee_and_its_administrator(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(), monkeypatch) == 0
    out = capsys.readouterr().out

    assert [tuple(r) for r in await db.rows(urls["grids"], "SELECT code, name FROM street")] == [(STREET, "测试街道")]
    (org,) = await db.rows(urls["grids"], "SELECT * FROM party_org")
    assert (org["level"], org["parent_id"], org["name"]) == ("street_committee", None, "测试街道党工委")
    assert (org["place_code"], org["street_code"], org["community_code"]) == (STREET, STREET, None)
    (account,) = await db.rows(urls["gateway"], "SELECT * FROM account")
    assert (account["username"], account["display_name"], account["home_place"]) == ("alice", "李四", STREET)
    assert account["created_by"] == "bootstrap" and account["must_change_password"] is True
    assert account["phone_index"] and account["phone_encrypted"]
    assert not any(in_clear(PHONE, value) for value in account.values())
    (member,) = await db.rows(urls["grids"], "SELECT * FROM member")
    assert (member["account_id"], member["name"], member["street_code"]) == (account["id"], "李四", STREET)
    assert member["community_code"] is None
    (binding,) = await db.rows(urls["grids"], "SELECT * FROM binding")
    assert (binding["member_id"], binding["role"], binding["place_code"]) == (member["id"], "street_admin", STREET)
    assert binding["street_code"] == STREET
    snapshot = await db.rows(urls["gateway"], "SELECT account_id, role, place_code FROM account_binding")
    assert [tuple(r) for r in snapshot] == [(account["id"], "street_admin", STREET)]
    (audit,) = await db.rows(urls["gateway"], "SELECT * FROM admin_audit")
    assert (audit["actor"], audit["actor_role"], audit["action"]) == ("bootstrap", "bootstrap", "account.created")
    assert (audit["target_type"], audit["target_id"], audit["street_code"]) == ("account", str(account["id"]), STREET)
    assert not any(in_clear(PHONE, value) for value in audit.values())

    password = printed_password(out)
    assert out.count(password) == 1 and "must be changed" in out
    assert await verify_password(account["password_hash"], password)
    assert "POST /api/v1/auth/login" in out and "POST /api/v1/communities" in out


async def test_the_same_run_again_changes_nothing_and_says_so(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(), monkeypatch) == 0
    hash_before = await db.value(urls["gateway"], "SELECT password_hash FROM account")
    before = await counts(urls)
    capsys.readouterr()

    assert await run(args(), monkeypatch) == 0
    out = capsys.readouterr().out
    assert "Nothing changed" in out and "Password:" not in out
    assert await counts(urls) == before
    assert await db.value(urls["gateway"], "SELECT password_hash FROM account") == hash_before


async def test_another_username_adds_a_second_administrator_of_the_street(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await run(args(), monkeypatch) == 0
    assert await run(args("bob", phone=OTHER_PHONE, name="王五"), monkeypatch) == 0

    assert await db.value(urls["grids"], "SELECT count(*) FROM street") == 1
    assert await db.value(urls["grids"], "SELECT count(*) FROM party_org") == 1
    admins = await db.rows(
        urls["grids"],
        "SELECT m.name FROM member m JOIN binding b ON b.member_id = m.id"
        " WHERE b.role = 'street_admin' AND b.place_code = $1 ORDER BY m.name",
        STREET,
    )
    assert sorted(r["name"] for r in admins) == sorted(["李四", "王五"])
    assert await db.value(urls["gateway"], "SELECT count(*) FROM account") == 2
    assert await db.value(urls["gateway"], "SELECT count(*) FROM admin_audit") == 2


async def test_a_phone_another_account_has_is_refused_and_nothing_is_written(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(), monkeypatch) == 0
    before = await counts(urls)
    capsys.readouterr()

    assert await run(args("bob", street=OTHER_STREET), monkeypatch) == 2
    err = capsys.readouterr().err
    assert "--admin-phone" in err and PHONE not in err
    assert await counts(urls) == before


async def test_a_username_of_another_street_is_refused(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(), monkeypatch) == 0
    before = await counts(urls)
    capsys.readouterr()

    assert await run(args(street=OTHER_STREET, phone=OTHER_PHONE), monkeypatch) == 2
    assert "--admin-username" in capsys.readouterr().err
    assert await counts(urls) == before


@pytest.mark.parametrize(
    "flag, value",
    [("--street-code", "11010500"), ("--street-code", "1101050021"), ("--admin-phone", "1381234567")],
)
async def test_bad_input_exits_2_naming_the_field(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    argv = args()
    argv[argv.index(flag) + 1] = value
    assert await run(argv, monkeypatch) == 2
    err = capsys.readouterr().err
    assert flag in err and value not in err
    assert set((await counts(urls)).values()) == {0}


async def test_a_password_from_stdin_is_kept_and_need_not_be_changed(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run([*args(), "--password-stdin"], monkeypatch, stdin="correct horse battery\n") == 0
    out = capsys.readouterr().out
    assert "Password:" not in out and "correct horse" not in out
    account = await db.row(urls["gateway"], "SELECT password_hash, must_change_password FROM account")
    assert account is not None and account["must_change_password"] is False
    assert await verify_password(account["password_hash"], "correct horse battery")


@pytest.mark.parametrize("password", ["short1", "alice", "ALICE", PHONE])
async def test_a_weak_password_from_stdin_is_refused(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    assert await run([*args(), "--password-stdin"], monkeypatch, stdin=password + "\n") == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert set((await counts(urls)).values()) == {0}


async def test_a_run_cut_short_after_the_account_is_finished_by_the_next(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(), monkeypatch) == 0
    capsys.readouterr()
    # As if the first run had stopped between the gateway's transaction and the grids service's.
    for table in ("binding", "member", "party_org", "street"):
        await db.execute(urls["grids"], f"DELETE FROM {table}")

    assert await run(args(), monkeypatch) == 0
    out = capsys.readouterr().out
    account = await db.row(urls["gateway"], "SELECT id, password_hash FROM account")
    assert account is not None
    # The first password was never shown for sure: a new one is, and it is the one that works.
    assert await verify_password(account["password_hash"], printed_password(out))
    assert await db.value(urls["grids"], "SELECT account_id FROM member") == account["id"]
    assert await db.value(urls["grids"], "SELECT count(*) FROM binding WHERE role = 'street_admin'") == 1
    assert await db.value(urls["gateway"], "SELECT count(*) FROM account") == 1
    assert await db.value(urls["gateway"], "SELECT count(*) FROM admin_audit") == 1


async def test_as_a_command_it_migrates_empty_databases_first(admin_url: str) -> None:
    """Before the first ``make run``: the databases exist but hold no table yet."""
    prefix = database_prefix("bootstrap_fresh")
    await ensure_databases(admin_url, [f"{prefix}gateway", f"{prefix}grids"], fresh=True)
    urls = {name: replace_database(admin_url, f"{prefix}{name}") for name in ("gateway", "grids")}
    environment = {
        **os.environ,
        "GATEWAY_DATABASE_URL": urls["gateway"],
        "GRIDS_DATABASE_URL": urls["grids"],
        "GATEWAY_PROFILE": "development",
        "GRIDS_PROFILE": "development",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deploy.bootstrap", *args(), "--password-stdin"],
        input="correct horse battery\n", capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "alice" in done.stdout and "correct horse" not in done.stdout
    assert await db.value(urls["grids"], "SELECT count(*) FROM binding") == 1
    assert await db.value(urls["gateway"], "SELECT username FROM account") == "alice"

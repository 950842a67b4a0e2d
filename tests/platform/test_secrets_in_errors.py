"""A process started in production with a secret missing or malformed refuses to start, names the
environment variable to set, and prints no part of any secret (pydantic's own error quoted the input:
half of GATEWAY_BLIND_INDEX_KEY when GATEWAY_PII_KEYS was missing)."""

from __future__ import annotations

import base64
import importlib
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from deploy.processes import PROCESSES, ProcessSpec
from tests.support.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def good_secrets(spec: ProcessSpec) -> dict[str, str]:
    settings = importlib.import_module(f"{spec.package}.config").Settings
    values = {}
    for field in settings.required_secrets():
        if field == "pii_keys":
            values[field] = f"k1:{b64(32)}"
        elif field == "blind_index_key":
            values[field] = b64(32)
        else:
            values[field] = f"secret-{secrets.token_hex(16)}"
    return {settings.env_name(field): value for field, value in values.items()}


def cases() -> list[tuple[ProcessSpec, str, str]]:
    """(process, variable, what is wrong with it)."""
    found = []
    for spec in PROCESSES:
        for variable in good_secrets(spec):
            found.append((spec, variable, "missing"))
            if variable.endswith(("_PII_KEYS", "_BLIND_INDEX_KEY")):
                found.append((spec, variable, "malformed"))
    return found


def start(spec: ProcessSpec, variable: str, wrong: str) -> tuple[int, str, dict[str, str]]:
    given = good_secrets(spec)
    if wrong == "missing":
        given.pop(variable)
    elif variable.endswith("_PII_KEYS"):
        given[variable] = f"k1:{b64(20)},{given[variable]}"  # a key of 20 bytes before a good one
    else:
        given[variable] = b64(16)  # too short
    env = {key: value for key, value in os.environ.items() if not key.endswith(("_DATABASE_URL", "_PROFILE"))}
    env |= given | {
        f"{spec.env_prefix}PROFILE": "production",
        f"{spec.env_prefix}DATABASE_URL": "postgresql://grid:db-password-never-shown@127.0.0.1:9/x",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", spec.app_factory, "--port", str(free_port())]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr, given


@pytest.mark.e2e
@pytest.mark.no_db
def test_a_missing_or_malformed_secret_is_named_and_no_secret_is_printed() -> None:
    every = cases()
    assert len(every) >= 15
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda case: (case, start(*case)), every))
    for (spec, variable, wrong), (returncode, output, given) in outcomes:
        where = f"{spec.name} with {variable} {wrong}"
        assert returncode != 0, f"{where} started"
        assert variable in output, f"{where}: the variable is not named:\n{output[-2000:]}"
        for value in [*given.values(), "db-password-never-shown"]:
            pieces = {value[i : i + 8] for i in range(len(value) - 7)}
            shown = [piece for piece in pieces if piece in output]
            assert not shown, f"{where}: a secret is printed ({shown[:3]}):\n{output[-2000:]}"

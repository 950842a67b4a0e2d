"""Every environment variable of every process, with its default and whether production needs it,
written from the settings classes themselves into docs/SETTINGS.md.

    python -m deploy.settings_doc write    # after changing a setting
    python -m deploy.settings_doc check    # exit 1 when docs/SETTINGS.md is not what the code says

``tests/deploy/test_settings_doc.py`` fails when the committed page differs from the code's, or when
a setting has no description.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from deploy.processes import PROCESSES, ProcessSpec
from shared.settings import ProcessSettings

PAGE = Path(__file__).resolve().parent.parent / "docs" / "SETTINGS.md"
NOT_READ = {"service_name"}  # each process's own name, not a setting
HEADER = """# Settings: every environment variable

Written by `python -m deploy.settings_doc write` from the settings classes (`shared/settings.py` and
each process's `config.py`); a test fails when this page and the code differ. Each process reads only
its own prefix: `GATEWAY_`, `RESIDENTS_`, `GRIDS_`, `ORDERS_`, `JOBS_`. Values that are lists or maps
are JSON (`GATEWAY_CORS_ORIGINS='["https://app.example"]'`). "Production" says what a process in the
production profile needs: **required** (it refuses to start without it) or a default to review.
How to run them: [OPERATIONS.md](OPERATIONS.md).
"""


def settings_of(spec: ProcessSpec) -> type[ProcessSettings]:
    settings: type[ProcessSettings] = importlib.import_module(f"{spec.package}.config").Settings
    return settings


def required_in_production(settings: type[ProcessSettings], name: str) -> bool:
    return name in (*settings.required_secrets(), "database_url")


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, (dict, list, tuple)):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if isinstance(value, str) and not value:
        return '""'
    return f"`{value}`"


def _row(settings: type[ProcessSettings], name: str, field: FieldInfo, variable: str) -> str:
    production = "**required**" if required_in_production(settings, name) else ""
    default = "none (development: a placeholder)" if name in settings.required_secrets() else _default(field)
    description = (field.description or "").replace("|", "\\|")
    return f"| `{variable}` | {default} | {production} | {description} |"


def _own(settings: type[ProcessSettings], name: str, field: FieldInfo) -> bool:
    """A field of the process's own, or a common one whose default the process changes."""
    common = ProcessSettings.model_fields.get(name)
    if common is None or name in settings.secret_fields:
        return True
    return bool(
        common.get_default(call_default_factory=True) != field.get_default(call_default_factory=True)
        or common.description != field.description
    )


def render() -> str:
    lines = [HEADER, "## Every process (`<PREFIX>` is the process's prefix)", ""]
    lines += ["| variable | default | production | what it is |", "|---|---|---|---|"]
    for name, field in ProcessSettings.model_fields.items():
        if name not in NOT_READ:
            lines.append(_row(ProcessSettings, name, field, f"<PREFIX>{name.upper()}"))
    for spec in PROCESSES:
        settings = settings_of(spec)
        own = [(n, f) for n, f in settings.model_fields.items() if n not in NOT_READ and _own(settings, n, f)]
        lines += ["", f"## {spec.name} (`{spec.env_prefix}`)", ""]
        if not own:
            lines.append("Only the common variables.")
            continue
        lines += ["| variable | default | production | what it is |", "|---|---|---|---|"]
        lines += [_row(settings, name, field, settings.env_name(name)) for name, field in own]
    return "\n".join(lines) + "\n"


def undescribed() -> list[str]:
    """Variables without a description."""
    missing = []
    for spec in PROCESSES:
        settings = settings_of(spec)
        for name, field in settings.model_fields.items():
            if name not in NOT_READ and not field.description:
                missing.append(settings.env_name(name))
    return sorted(set(missing))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["write", "check"])
    args = parser.parse_args(argv)
    page = render()
    if args.command == "write":
        PAGE.write_text(page)
        print(f"wrote {PAGE.relative_to(PAGE.parent.parent)}")
        return 0
    if not PAGE.exists() or PAGE.read_text() != page:
        print("docs/SETTINGS.md differs from the settings: run python -m deploy.settings_doc write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

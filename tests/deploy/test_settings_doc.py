"""docs/SETTINGS.md is every process's environment variables as the code reads them, each described;
and compose and the Kubernetes manifests set no variable that no process reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from deploy import settings_doc
from deploy.processes import PROCESSES

pytestmark = [pytest.mark.no_db]
ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_page_is_the_codes() -> None:
    assert settings_doc.PAGE.read_text() == settings_doc.render(), "run: python -m deploy.settings_doc write"


def test_every_setting_says_what_it_is() -> None:
    assert settings_doc.undescribed() == []


def variables_set() -> set[str]:
    found: set[str] = set()
    documents = list(yaml.safe_load_all((ROOT / "docker-compose.yml").read_text()))
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        documents += list(yaml.safe_load_all(path.read_text()))

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", key):
                    found.add(key)
                if key == "name" and isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", value):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(documents)
    return found


def test_compose_and_kubernetes_set_only_variables_a_process_reads() -> None:
    read = {
        settings_doc.settings_of(spec).env_name(name)
        for spec in PROCESSES
        for name in settings_doc.settings_of(spec).model_fields
    }
    prefixes = tuple(spec.env_prefix for spec in PROCESSES)
    unknown = sorted(v for v in variables_set() if v.startswith(prefixes) and v not in read)
    assert unknown == []

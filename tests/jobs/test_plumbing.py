"""The jobs service's own plumbing: its search tokens, its secret settings, and retried creating POSTs."""

from __future__ import annotations

import httpx
import pytest

from services.jobs.config import Settings
from services.jobs.postings import search
from tests.jobs.helpers import People, make_employer, make_posting, make_profile
from tests.support import db
from tests.support.answers import ok


@pytest.mark.no_db
def test_tokens_hold_every_character_pair_and_latin_word() -> None:
    assert search.tokens("粽叶车间 ＥＸＣＥＬ 2号") == sorted(
        {"粽", "叶", "车", "间", "粽叶", "叶车", "车间", "excel", "2", "号"}
    )
    assert search.query_tokens("叶车") == ["叶车"]
    assert search.query_tokens("车") == ["车"]
    # A latin word touching the query's ends may be part of a longer one: only the text recheck sees it.
    assert search.query_tokens("elec") == []
    assert search.query_tokens("会 excel 的") == ["excel", "会", "的"]
    assert search.like_pattern("100%_") == "%100\\%\\_%"


@pytest.mark.no_db
def test_production_refuses_to_start_without_the_pii_keys() -> None:
    with pytest.raises(ValueError, match="JOBS_PII_KEYS"):
        Settings(profile="production", database_url="postgresql://x@y/jobs")
    assert Settings(profile="development").pii_keys  # a development key, derived


async def test_an_application_retried_with_its_idempotency_key_is_made_once(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    employer = await make_employer(jobs, people.staff())
    posting = await make_posting(jobs, people.staff(), employer["id"])
    me = people.resident()
    await make_profile(jobs, me)
    headers = me | {"Idempotency-Key": "apply-once-1"}
    first = await jobs.post("/api/v1/applications", json={"posting_id": posting["id"]}, headers=headers)
    again = await jobs.post("/api/v1/applications", json={"posting_id": posting["id"]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(await db.rows(database_urls["jobs"], "SELECT id FROM application")) == 1
    other_body = await jobs.post("/api/v1/applications", json={"posting_id": employer["id"]}, headers=headers)
    assert other_body.status_code == 422
    ok(await jobs.get("/api/v1/applications", headers=me))

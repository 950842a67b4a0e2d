"""Cases (``issue`` orders) written straight into the orders database, in the state and with the
timestamps a real one would have got from the case loop: its stages' times an hour apart, its
dispatches and returns on the timeline, a hotline ticket when it came from 12345. For the figures'
tests (indicators, bulletin, the street's statistics), which need known cases, not the loop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.places import community_of, street_of
from tests.support import db
from tests.support.places import GRIDS, STREET

# The loop's stages in order, with the column each one stamps.
STAGES = (
    ("placed", "placed_at"),
    ("verified", "verified_at"),
    ("filed", "filed_at"),
    ("dispatched", "dispatched_at"),
    ("accepted", "accepted_at"),
    ("handled", "handled_at"),
    ("checked", "checked_at"),
    ("closed", "closed_at"),
)
# Where the cases that end early stopped: refused filing after verifying, voided after verifying.
ENDS = {"refused": "verified", "voided": "verified"}
HOUR = timedelta(hours=1)


def department(n: int, street: str = STREET) -> str:
    """A department's code: its street's, ``D`` and two digits."""
    return f"{street}D{n:02d}"


async def add_department(url: str, n: int, name: str, street: str = STREET) -> str:
    code = department(n, street)
    await db.execute(
        url,
        "INSERT INTO department (code, street_code, name, kind, active, created_at, updated_at)"
        " VALUES ($1, $2, $3, 'law', true, now(), now())",
        code,
        street,
        name,
    )
    return code


async def add_case(
    url: str,
    *,
    state: str = "placed",
    placed_at: datetime | None = None,
    grid: str = GRIDS[0],
    channel: str = "visit",
    placed_by_role: str = "grid_worker",
    department_code: str | None = None,
    class_code: str | None = None,
    on_time: bool | None = None,
    handling_minutes: int | None = None,
    dispatches: int | None = None,
    returns: int = 0,
    reworks: int = 0,
    due_at: datetime | None = None,
    yellow_at: datetime | None = None,
    kind: str = "issue",
) -> uuid.UUID:
    """A case that went round the loop up to ``state``; ``dispatches`` dispatch steps (the first a
    dispatch, the others reassignments; default one once it was dispatched)."""
    placed_at = placed_at or datetime.now(UTC) - timedelta(days=2)
    reached = ENDS.get(state, state)
    stamps: dict[str, datetime | None] = {column: None for _, column in STAGES}
    for n, (stage, column) in enumerate(STAGES):
        stamps[column] = placed_at + n * HOUR
        if stage == reached:
            break
    if state in ENDS:
        stamps["closed_at"] = placed_at + 2 * HOUR
    filed = stamps["filed_at"] is not None
    if dispatches is None:
        dispatches = 1 if stamps["dispatched_at"] is not None else 0
    order_id = uuid.uuid4()
    async with db.connected(url) as conn:
        await conn.execute(
            "INSERT INTO service_order (id, kind, channel, title, grid_code, community_code, street_code, placed_by,"
            " placed_by_role, sla_dispatch_minutes, sla_accept_minutes, sla_finish_minutes, points_base, state,"
            " needs_return_visit, was_overdue, escalation_level, placed_at, updated_at, verified_at, filed_at,"
            " dispatched_at, accepted_at, handled_at, checked_at, closed_at, class_code, urgency, department_code,"
            " closed_on_time, handling_minutes, rework_count, return_count, due_at, yellow_at, handle_due_at)"
            " VALUES ($1, $2, $3, '楼道堆物', $4, $5, $6, $7, $8, 240, 240, 2880, 10, $9, false, false, 'grid',"
            " $10, now(), $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
            order_id,
            kind,
            channel,
            grid,
            community_of(grid),
            street_of(grid),
            str(uuid.uuid4()),
            placed_by_role,
            state,
            placed_at,
            stamps["verified_at"],
            stamps["filed_at"],
            stamps["dispatched_at"],
            stamps["accepted_at"],
            stamps["handled_at"],
            stamps["checked_at"],
            stamps["closed_at"],
            class_code if filed else None,
            "normal" if filed else None,
            department_code,
            on_time if state == "closed" else None,
            handling_minutes if state == "closed" else None,
            reworks,
            returns,
            due_at,
            yellow_at,
            placed_at + 40 * HOUR if filed else None,
        )
        steps: list[tuple[str, str | None, str, datetime]] = [("place", None, "placed", placed_at)]
        for n in range(dispatches):
            at = (stamps["dispatched_at"] or placed_at) + n * timedelta(minutes=10)
            steps.append(("dispatch" if n == 0 else "reassign", "filed", "dispatched", at))
        for n in range(returns):
            at = (stamps["dispatched_at"] or placed_at) + n * timedelta(minutes=10) + timedelta(minutes=5)
            steps.append(("return", "dispatched", "filed", at))
        await conn.executemany(
            "INSERT INTO order_step (order_id, at, action, actor_id, actor_role, from_state, to_state)"
            " VALUES ($1, $2, $3, 'someone', 'community_staff', $4, $5)",
            [(order_id, at, action, before, after) for action, before, after, at in steps],
        )
    return order_id


async def add_ticket(
    url: str,
    order_id: uuid.UUID,
    *,
    signed: bool,
    signed_late: bool = False,
    resolved: bool | None = None,
    satisfaction: str | None = None,
) -> None:
    """The 12345 ticket a case came from: signed for (by its deadline, or after it), and followed up
    (回访) when ``resolved`` is given."""
    async with db.connected(url) as conn:
        placed_at, street = await conn.fetchrow(
            "SELECT placed_at, street_code FROM service_order WHERE id = $1", order_id
        )
        sign_due_at = placed_at + HOUR
        signed_at = (sign_due_at + (HOUR if signed_late else -HOUR / 2)) if signed else None
        followed_up_at = placed_at + 48 * HOUR if resolved is not None else None
        await conn.execute(
            "INSERT INTO hotline_ticket (order_id, number, street_code, client_id, deadline, received_at,"
            " sign_yellow_at, sign_due_at, signed_at, return_state, resolved, satisfaction, followed_up_at)"
            " VALUES ($1, $2, $3, 'hotline-12345', $4, $5, $6, $7, $8, 'none', $9, $10, $11)",
            order_id,
            f"GD{order_id.hex[:12]}",
            street,
            placed_at + 120 * HOUR,
            placed_at,
            placed_at + 48 * timedelta(minutes=1),
            sign_due_at,
            signed_at,
            resolved,
            satisfaction,
            followed_up_at,
        )

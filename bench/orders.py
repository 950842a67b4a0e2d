"""orders: placing and listing orders through the gateway, at ``--connections`` concurrent clients.

The platform as ``make run`` wires it (gateway, grids, residents and orders as real processes, the
demo community loaded): a demo resident places service orders (``POST /api/v1/orders``, each one a
new order with its timeline step and outbox event), then the community's staff and the resident
page through the orders (``GET /api/v1/orders?limit=20``, the staff over every order placed). The
same staff list straight to the orders service gives the gateway's share of the list's cost.

The gateway's per-account write limit (120 a minute by default) is lifted for the run: it would
otherwise be the figure measured.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any

from bench.harness import (
    Options,
    Postgres,
    Server,
    background_cpu,
    free_port,
    process_env,
    request_json,
    say,
    sign_in,
    uvicorn,
)
from bench.loadgen import LoadResult, run_load

NAME = "orders"
DATABASES = {name: f"bench_{name}" for name in ("gateway", "grids", "residents", "orders")}
RESIDENT, STAFF = "13900000001", "staff"


def _line(label: str, result: LoadResult) -> str:
    return (
        f"  {label:<34} {result.rps:8.1f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  errors {result.errors}"
    )


def run(options: Options) -> dict[str, Any]:
    from deploy.demo import PASSWORD, load_process
    from deploy.processes import BY_NAME
    from shared.migrate import upgrade

    postgres = Postgres()
    urls = {name: postgres.fresh_database(database) for name, database in DATABASES.items()}
    say(f"migrating and loading the demo community ({postgres.kind})")
    for name in ("grids", "residents", "gateway", "orders"):
        upgrade(BY_NAME[name].migrations, urls[name])
        asyncio.run(load_process(BY_NAME[name], urls[name]))

    ports = {name: free_port() for name in DATABASES}
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    services = {name: bases.get(name, bases["orders"]) for name in ("residents", "grids", "orders", "jobs")}
    background = background_cpu()

    def env(name: str) -> dict[str, str]:
        settings = process_env(name, urls[name], bases, services)
        if name == "gateway":
            settings["GATEWAY_WRITES_PER_ACCOUNT"] = "[100000000, 60]"
            settings["GATEWAY_WRITES_PER_IP"] = "[100000000, 60]"
        return settings

    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                uvicorn(f"orders-{name}", BY_NAME[name].app_factory, env(name), factory=True, port=ports[name])
            )
            for name in ("gateway", "grids", "residents", "orders")
        }
        gateway, orders = servers["gateway"], servers["orders"]
        resident = sign_in(gateway, RESIDENT, PASSWORD)
        staff = sign_in(gateway, STAFF, PASSWORD)
        status, menu = request_json(gateway.base_url + "/api/v1/menu", headers=resident)
        if status != 200:
            raise RuntimeError(f"menu answered {status}: {menu}")
        item = next(i for i in menu["items"] if i["name"] == "义剪")
        order = {"kind": "service", "menu_item_id": item["id"], "description": "上门理发"}
        status, placed = request_json(gateway.base_url + "/api/v1/orders", document=order, headers=resident)
        if status != 201:
            raise RuntimeError(f"placing an order answered {status}: {placed}\n{orders.log_tail()}")
        watch = {name: server.pid for name, server in servers.items()}

        def load(server: Server, path: str, headers: dict[str, str], body: Any = None) -> LoadResult:
            return run_load(
                server.base_url + path,
                headers=headers,
                duration=options.duration,
                connections=options.connections,
                warmup=options.warmup,
                watch_pid=server.pid,
                watch=watch,
                method="POST" if body is not None else "GET",
                json_body=body,
            )

        say("placing orders through the gateway")
        place = load(gateway, "/api/v1/orders", resident, order)
        _, page = request_json(gateway.base_url + "/api/v1/orders/stats?group_by=community", headers=staff)
        total = sum(row["placed"] for row in page["items"]) if isinstance(page, dict) else 0
        say(f"listing {total} orders as staff, through the gateway and directly")
        staff_list = load(gateway, "/api/v1/orders?limit=20", staff)
        staff_direct = load(orders, "/api/v1/orders?limit=20", staff)
        say("listing as the resident who placed them")
        own_list = load(gateway, "/api/v1/orders?limit=20", resident)

    results = {
        "place (resident, POST)": place,
        "list (staff, community)": staff_list,
        "list (staff) straight to orders": staff_direct,
        "list (resident, own orders)": own_list,
    }
    print(
        f"{NAME}: placing and listing orders through the gateway, {options.connections} connections, "
        f"{options.duration:g} s each; {total} orders in the community when listing"
    )
    for label, result in results.items():
        print(_line(label, result))
    ratio = staff_list.rps / staff_direct.rps if staff_direct.rps else 0.0
    print(f"  {'list: gateway/direct':<34} {ratio:8.2f}")
    errors = sum(result.errors for result in results.values())
    for label, result in results.items():
        if result.errors:
            print(f"  {label}: {result.errors} errors, e.g. {result.error_sample}; statuses {result.statuses}")
    return {
        "name": NAME,
        "database": postgres.kind,
        "orders_listed": total,
        "background_cpu": background,
        **{label: result.to_dict() for label, result in results.items()},
        "list_ratio_gateway_direct": ratio,
        "met": errors == 0,
    }

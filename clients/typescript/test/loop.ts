/**
 * The closed loop through the gateway with the typed client, as the two apps would drive it:
 * a resident places an order from the menu, staff dispatch it to a party member, who accepts and
 * completes it, and the resident rates it. The resident's steps go over a `wx.request` stand-in (the
 * mini-program's transport, simulated on Node's fetch); the others over fetch. Then a bad request
 * comes back as an ApiError naming the field. GATEWAY_URL and DEMO_PASSWORD come from the test.
 */
import assert from "node:assert/strict";
import { ApiError, createClient, fetchTransport, type WxLike, wxTransport } from "../src/index.js";

const baseUrl = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";
const password = process.env.DEMO_PASSWORD ?? "";

/** `wx.request` as WeChat's runtime answers it (success with statusCode/header/data, or fail). */
const wx: WxLike = {
  request(options) {
    fetch(options.url, { method: options.method, headers: options.header, body: options.data })
      .then(async (answer) => {
        const header: Record<string, string> = {};
        answer.headers.forEach((value, name) => (header[name] = value));
        options.success({ statusCode: answer.status, header, data: await answer.text() });
      })
      .catch((error: Error) => options.fail({ errMsg: `request:fail ${error.message}` }));
    return {};
  },
};

async function signIn(username: string, transport = fetchTransport()) {
  const tokens = await createClient({ baseUrl, transport }).post("/api/v1/auth/login", { body: { username, password } });
  return createClient({ baseUrl, transport, token: () => tokens.access_token });
}

const resident = await signIn("13900000001", wxTransport(wx));
const staff = await signIn("staff");
const pm1 = await signIn("pm1");

const menu = await resident.get("/api/v1/menu");
const item = menu.items.find((entry) => entry.name === "陪伴");
assert.ok(item, "the demo menu has 陪伴");
const placed = await resident.post("/api/v1/orders", { body: { kind: "service", menu_item_id: item.id, description: "周末陪老人散步" } });
assert.equal(placed.state, "placed");
const me = await pm1.get("/api/v1/me");
const dispatched = await staff.post("/api/v1/orders/{order_id}/dispatch", {
  path: { order_id: placed.id },
  body: { mode: "assign", assignee_id: me.account_id },
});
assert.equal(dispatched.state, "dispatched");
const accepted = await pm1.post("/api/v1/orders/{order_id}/accept", { path: { order_id: placed.id } });
assert.equal(accepted.state, "accepted");
const completed = await pm1.post("/api/v1/orders/{order_id}/complete", {
  path: { order_id: placed.id },
  body: { note: "陪老人在小区散步一小时" },
});
assert.equal(completed.state, "completed");
const rated = await resident.post("/api/v1/orders/{order_id}/rate", { path: { order_id: placed.id }, body: { stars: 5 } });
assert.equal(rated.state, "rated");
assert.equal(rated.rating?.stars, 5);
const mine = await pm1.get("/api/v1/orders", { query: { mine: true, state: ["rated"] } });
assert.ok(mine.items.some((order) => order.id === placed.id));

await assert.rejects(
  resident.post("/api/v1/orders/{order_id}/rate", { path: { order_id: placed.id }, body: { stars: 9 } }),
  (error: unknown) => error instanceof ApiError && error.status === 422 && JSON.stringify(error.problem).includes("stars"),
);
console.log(`loop done: order ${placed.id} placed, dispatched, accepted, completed, rated 5`);

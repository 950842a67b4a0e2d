/**
 * What `tsc` must refuse: the client is typed by the API's document, not `any`. Each line below is
 * an error the compiler has to find (`@ts-expect-error` fails the check when it finds none).
 */
import { createClient } from "../src/index.js";

const api = createClient({ baseUrl: "http://127.0.0.1:8000" });

export async function mistakes(): Promise<void> {
  // @ts-expect-error no such path
  await api.get("/api/v1/nothing-here");
  // @ts-expect-error the order list has no POST body of this shape
  await api.post("/api/v1/orders", { body: { kind: "service", stars: 5 } });
  // @ts-expect-error stars is a number
  await api.post("/api/v1/orders/{order_id}/rate", { path: { order_id: "x" }, body: { stars: "five" } });
  // @ts-expect-error the path parameter is required
  await api.post("/api/v1/orders/{order_id}/accept", {});
  // @ts-expect-error kind is one of the order kinds
  await api.get("/api/v1/orders", { query: { kind: "pizza" } });
  const page = await api.get("/api/v1/orders", { query: { mine: true } });
  // @ts-expect-error an order has no such field
  page.items[0].pizza;
}

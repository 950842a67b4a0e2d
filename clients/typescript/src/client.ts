/**
 * A typed client of the platform's public API, over any transport: `fetch` (browsers, Node 18+) or
 * WeChat mini-programs' `wx.request` (which has no fetch, Request or Response).
 *
 * The types come from `schema.d.ts`, generated from docs/openapi.json by openapi-typescript
 * (`npm run generate`): a path, its method, its path and query parameters, its JSON body and its
 * answer are all checked by `tsc`.
 *
 *   const api = createClient({ baseUrl: "http://127.0.0.1:8000", token: () => accessToken });
 *   const page = await api.get("/api/v1/orders", { query: { mine: true } });
 *   const order = await api.post("/api/v1/orders", { body: { kind: "service", menu_item_id } });
 *
 * A problem+json answer (4xx, 5xx) is thrown as an `ApiError` carrying the problem.
 */
import type { paths } from "./schema.js";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** The paths that have an operation for `M`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: infer O } ? ([O] extends [never | undefined] ? never : P) : never;
}[keyof paths];

type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M & keyof paths[P]]>;
type Parameters<O> = O extends { parameters: infer R } ? R : never;
type PathOf<O> = Parameters<O> extends { path: infer X } ? ([X] extends [never | undefined] ? never : X) : never;
type QueryOf<O> = Parameters<O> extends { query?: infer Q } ? ([Q] extends [never | undefined] ? never : Q) : never;
type BodyOf<O> = O extends { requestBody?: { content: infer C } }
  ? C extends { "application/json": infer B }
    ? B
    : never
  : never;
type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : undefined;
/** What the operation answers on success (200, else 201, else 202, else nothing for 204). */
export type Answer<O> = O extends { responses: infer R }
  ? 200 extends keyof R
    ? JsonOf<R[200]>
    : 201 extends keyof R
      ? JsonOf<R[201]>
      : 202 extends keyof R
        ? JsonOf<R[202]>
        : undefined
  : never;

type Optional<K extends string, T> = [T] extends [never] ? { [_ in K]?: never } : { [_ in K]: T };
type QueryOption<T> = [T] extends [never] ? { query?: never } : { query?: T };
export type Options<O> = Optional<"path", PathOf<O>> &
  QueryOption<QueryOf<O>> &
  Optional<"body", BodyOf<O>> & { headers?: Record<string, string> };

/** What a transport sends: the method, the whole URL, the headers, the body as text. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a transport hands back: the status, the headers (lower-case names), the body as text. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** A problem+json answer (RFC 9457): `status`, `title`, `detail`, `errors` naming the fields. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title ?? ""}: ${problem.detail ?? ""}`.trim());
    this.name = "ApiError";
  }
}

/** The transport of `fetch` (the global one by default). */
export function fetchTransport(fetchImpl: typeof fetch = fetch): Transport {
  return async (request) => {
    const answer = await fetchImpl(request.url, { method: request.method, headers: request.headers, body: request.body });
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return { status: answer.status, headers, text: await answer.text() };
  };
}

/** The part of WeChat's `wx` object the client uses (wx.request). */
export interface WxLike {
  request(options: {
    url: string;
    method: string;
    header: Record<string, string>;
    data?: string;
    dataType: string;
    responseType: "text";
    success: (result: { statusCode: number; header: Record<string, string>; data: unknown }) => void;
    fail: (error: { errMsg: string }) => void;
  }): unknown;
}

/** The transport of a WeChat mini-program's `wx.request`: the body as text, answered as text (so
 * that problem+json and JSON are parsed alike); a network failure rejects with its `errMsg`. */
export function wxTransport(wx: WxLike): Transport {
  return (request) =>
    new Promise((resolve, reject) => {
      wx.request({
        url: request.url,
        method: request.method.toUpperCase(),
        header: request.headers,
        data: request.body,
        dataType: "text",
        responseType: "text",
        success: (result) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(result.header ?? {})) headers[name.toLowerCase()] = String(value);
          const text = typeof result.data === "string" ? result.data : JSON.stringify(result.data ?? "");
          resolve({ status: result.statusCode, headers, text });
        },
        fail: (error) => reject(new Error(`wx.request failed: ${error.errMsg}`)),
      });
    });
}

export interface ClientOptions {
  /** The gateway, e.g. `https://grid.example.gov.cn` (no trailing slash needed). */
  baseUrl: string;
  transport?: Transport;
  /** The access token to send, asked for before each request. */
  token?: () => string | undefined;
}

function query(values: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(values ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(item))}`);
    }
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

function fill(path: string, values: Record<string, unknown> | undefined): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values?.[name];
    if (value === undefined || value === null) throw new Error(`path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
}

export function createClient(options: ClientOptions) {
  const transport = options.transport ?? fetchTransport();
  const base = options.baseUrl.replace(/\/+$/, "");

  async function call(method: Method, path: string, init: Record<string, unknown> = {}): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json", ...(init.headers as Record<string, string>) };
    const token = options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    const url = base + fill(path, init.path as Record<string, unknown>) + query(init.query as Record<string, unknown>);
    const answer = await transport({ method: method.toUpperCase(), url, headers, body });
    const parsed: unknown = answer.text ? JSON.parse(answer.text) : undefined;
    if (answer.status >= 400) {
      throw new ApiError(answer.status, (parsed as Problem) ?? { status: answer.status });
    }
    return parsed;
  }

  function verb<M extends Method>(method: M) {
    return <P extends PathsWith<M>>(path: P, ...init: {} extends Options<Operation<P, M>> ? [Options<Operation<P, M>>?] : [Options<Operation<P, M>>]) =>
      call(method, path as string, init[0] as Record<string, unknown>) as Promise<Answer<Operation<P, M>>>;
  }

  return { get: verb("get"), post: verb("post"), put: verb("put"), patch: verb("patch"), delete: verb("delete") };
}

export type Client = ReturnType<typeof createClient>;

import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { clientAddress } from "./client-address.ts";

const app = new Hono().get("/", (c) => c.text(clientAddress(c) ?? "none"));

test("on Node the address comes from the socket @hono/node-server hands over", async () => {
  const env = {
    incoming: { socket: { remoteAddress: "192.0.2.7", remotePort: 4000, remoteFamily: "IPv4" } },
  };
  assert.equal(await (await app.request("/", {}, env)).text(), "192.0.2.7");
});

test("a request that crossed no socket (app.request in process) has no address", async () => {
  assert.equal(await (await app.request("/")).text(), "none");
  assert.equal(await (await app.request("/", {}, {})).text(), "none");
});

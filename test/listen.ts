/**
 * What CCR's servers share (src/server/listen.ts): request bodies bounded, whether their length is declared or they
 * are streamed, through a real listening server (the Node adapter reads a declared body straight from the socket).
 */
import { expect } from "chai";
import { Hono } from "hono";
import { boundedBodies, listenOn } from "../src/server/listen.ts";
import { post } from "./httpPost.ts";

const MAX = 1024;

describe("bounded request bodies (src/server/listen.ts)", function () {
  let url: string;
  let close: () => Promise<void>;

  before(async function () {
    const app = new Hono();
    app.use("*", boundedBodies(MAX));
    app.post("/echo", async (c) => c.text(`read ${(await c.req.text()).length}`));
    app.get("/echo", (c) => c.text("no body"));
    const { server, url: at } = await listenOn(app.fetch, { host: "127.0.0.1", port: 0 });
    url = `${at}/echo`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });

  after(async function () {
    await close();
  });

  it("reads a body up to the bound, declared or streamed", async function () {
    for (const streamed of [false, true]) {
      expect(await post(url, "x".repeat(MAX), streamed), `streamed: ${streamed}`).to.deep.equal({
        status: 200,
        text: `read ${MAX}`,
      });
    }
    expect(await post(url, "", false)).to.deep.equal({ status: 200, text: "read 0" });
  });

  it("refuses a body over the bound with 413 and a sentence, declared (unread) or streamed (counted)", async function () {
    const refusal = {
      status: 413,
      text: JSON.stringify({ error: "invalid_request", error_description: `bodies are at most ${MAX} bytes` }),
    };
    for (const streamed of [false, true]) {
      expect(await post(url, "x".repeat(MAX + 1), streamed), `streamed: ${streamed}`).to.deep.equal(refusal);
    }
  });

  it("lets a request without a body through", async function () {
    const response = await fetch(url);
    expect([response.status, await response.text()]).to.deep.equal([200, "no body"]);
  });
});

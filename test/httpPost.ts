/** Posting a body to a test server as a client may: its length declared, or streamed in chunks (none declared). */
import { request } from "node:http";

/** Posts `body` to `url`, declaring its length or streaming it in chunks; the status and the answer's text. */
export function post(
  url: string,
  body: string,
  streamed: boolean,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const length = streamed ? {} : { "content-length": String(Buffer.byteLength(body)) };
    const sent = request(url, { method: "POST", headers: { ...headers, ...length } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
    });
    sent.on("error", reject);
    if (streamed) {
      // Chunked: no length is declared, so the bound can only be kept by counting what arrives.
      for (let at = 0; at < body.length; at += 100) sent.write(body.slice(at, at + 100));
      sent.end();
    } else sent.end(body);
  });
}

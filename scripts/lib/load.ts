/**
 * Waves of concurrent HTTP requests against a server, each on its own connection (as many users at once, not one
 * client's pool): latencies, errors and throughput per wave. For `npm run bench:serve` and the server's load test.
 */
import { Agent, request } from "node:http";

export interface LoadRequest {
  path: string;
  method?: "GET" | "POST";
  body?: string;
  /** Whether an answer is right (default: status 200); anything else counts as an error. */
  accept?: (status: number, body: string) => boolean;
}

export interface Wave {
  requests: number;
  errors: number;
  /** The first few errors, as status and body (or the connection error). */
  samples: string[];
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One request on a new connection: its status and body, or the connection's error. */
function once(base: URL, load: LoadRequest, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = load.body === undefined ? undefined : Buffer.from(load.body, "utf8");
    const outgoing = request(new URL(load.path, base), {
      method: load.method ?? "GET",
      agent,
      headers: body === undefined ? {} : { "content-type": "application/json", "content-length": body.length },
    });
    outgoing.once("error", reject);
    outgoing.once("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("error", reject);
      response.once("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    outgoing.end(body);
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/** `concurrency` requests at once, each `loads[i % loads.length]`, every one on its own connection. */
export async function wave(url: string, loads: LoadRequest[], concurrency: number): Promise<Wave> {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const latencies: number[] = [];
  const samples: string[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const load = loads[i % loads.length] ?? { path: "/" };
      const begun = performance.now();
      let problem: string | undefined;
      try {
        const { status, body } = await once(base, load, agent);
        const accept = load.accept ?? ((s: number) => s === 200);
        if (!accept(status, body)) problem = `${load.path}: HTTP ${status} ${body.slice(0, 200)}`;
      } catch (error) {
        problem = `${load.path}: ${String(error)}`;
      }
      latencies.push(performance.now() - begun);
      if (problem !== undefined) {
        errors++;
        if (samples.length < 3) samples.push(problem);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: concurrency,
    errors,
    samples,
    seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? 0,
  };
}

/**
 * Credentials of many wallets' answers verified together: an answer's credential waits while a group is being
 * verified, and all that waited are verified as the next group, in one `verifyReads` (one DID resolution per issuer,
 * one read of the schemas, the verdicts in batched calls, the signatures on worker threads). Under load the groups
 * grow and the chain is asked per group, not per answer; alone, an answer is verified at once. Nothing waits on a
 * timer.
 */
import type { ReadCredential } from "../vc/file.ts";
import type { VerificationResult } from "../vc/verify.ts";

interface Waiting {
  read: ReadCredential;
  resolve: (result: VerificationResult) => void;
  reject: (error: unknown) => void;
}

export class ReadGroups {
  /** Waiting reads and whether a group runs, by group key (the economy whose recognition counts). */
  readonly #lanes = new Map<string, { waiting: Waiting[]; running: boolean }>();

  constructor(private readonly verify: (reads: ReadCredential[], key: string) => Promise<VerificationResult[]>) {}

  /** The result of `read`, verified in the next group of `key`. */
  verifyOne(read: ReadCredential, key: string): Promise<VerificationResult> {
    let lane = this.#lanes.get(key);
    if (lane === undefined) this.#lanes.set(key, (lane = { waiting: [], running: false }));
    const result = new Promise<VerificationResult>((resolve, reject) => lane.waiting.push({ read, resolve, reject }));
    if (!lane.running) void this.#run(key, lane);
    return result;
  }

  async #run(key: string, lane: { waiting: Waiting[]; running: boolean }): Promise<void> {
    lane.running = true;
    while (lane.waiting.length > 0) {
      const group = lane.waiting.splice(0);
      try {
        const results = await this.verify(
          group.map((w) => w.read),
          key,
        );
        group.forEach((w, i) => {
          const result = results[i];
          if (result === undefined) w.reject(new Error(`no result for ${w.read.file}`));
          else w.resolve(result);
        });
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    lane.running = false;
    this.#lanes.delete(key);
  }
}

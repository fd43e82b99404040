/**
 * CPU time of a process and everything it started (Linux /proc): a bench reports where a machine's cores went while
 * it measured, between the server under test, the node, and the bench's own simulated clients.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** User and system CPU seconds of `pid` and its descendants so far; 0 where /proc cannot say (not Linux). */
export function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const name of entries) {
    try {
      // The fields after the command name, which is in parentheses and may hold spaces.
      const fields = readFileSync(`/proc/${name}/stat`, "utf8").split(")").at(-1)?.trim().split(" ") ?? [];
      parents.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const inTree = (candidate: number): boolean => {
    for (let p: number | undefined = candidate; p !== undefined && p > 1; p = parents.get(p))
      if (p === pid) return true;
    return false;
  };
  let total = 0;
  for (const [candidate, used] of ticks) if (inTree(candidate)) total += used;
  return total / TICKS_PER_SECOND;
}

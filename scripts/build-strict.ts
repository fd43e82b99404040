/** `npm run build:strict`: a full compile in which any compiler warning is an error. */
import { spawnSync } from "node:child_process";

const result = spawnSync("npx", ["hardhat", "build", "--force"], { encoding: "utf8" });
const output = `${result.stdout}${result.stderr}`
  .split("\n")
  .filter((line) => !line.includes("nodedir"))
  .join("\n");
process.stdout.write(output);
if (result.status !== 0) process.exit(result.status ?? 1);
const warnings = output.split("\n").filter((line) => /^Warning\b/.test(line.trim()));
if (warnings.length > 0) {
  console.error(`build:strict: ${warnings.length} compiler warning(s), treated as errors`);
  process.exit(1);
}
console.log("build:strict: no compiler warnings");

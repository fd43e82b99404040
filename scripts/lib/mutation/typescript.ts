/**
 * The TypeScript half of `npm run mutation`: Stryker mutates the named check functions of each module and runs only
 * that module's own tests (mocha, in Stryker's runner processes, each test's coverage known so that a mutant runs the
 * tests that reach it).
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Stryker } from "@stryker-mutator/core";
import type { LogLevel, MutantResult, PartialStrykerOptions } from "@stryker-mutator/api/core";
import type { TypeScriptTarget } from "./targets.ts";

export interface FileScore {
  file: string;
  killed: number;
  survived: number;
  /** Mutants none of the module's tests reached. */
  untested: number;
  /** Message text, not counted (see messageIgnorer.ts). */
  ignored: number;
  /** Survivors listed as equivalent in targets.ts, not counted. */
  equivalent: string[];
  survivors: string[];
}

const IGNORER = fileURLToPath(new URL("./messageIgnorer.ts", import.meta.url));

/**
 * The 1-based line range of each named function (`name`, `Class.method`, or `const name = (...) =>`), or of a
 * module-level `const` (a table of rules, such as a map of event handlers).
 */
export async function checkRanges(file: string, names: readonly string[]): Promise<string[]> {
  const source = ts.createSourceFile(file, await readFile(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map<string, ts.Node>();
  const visit = (node: ts.Node, owner?: string): void => {
    let name: string | undefined;
    if (ts.isFunctionDeclaration(node) && node.name) name = node.name.text;
    else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const moduleLevel = node.parent.parent.parent === source;
      if (moduleLevel || ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer)) {
        name = node.name.text;
      }
    } else if (ts.isMethodDeclaration(node) && owner !== undefined) name = `${owner}.${node.name.getText(source)}`;
    if (name !== undefined) found.set(name, node);
    const inner = ts.isClassDeclaration(node) ? node.name?.text : owner;
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source);
  return names.map((name) => {
    const node = found.get(name);
    if (node === undefined) throw new Error(`${file} has no function ${name} (scripts/lib/mutation/targets.ts)`);
    const line = (at: number): number => source.getLineAndCharacterOfPosition(at).line + 1;
    return `${file}:${line(node.getStart(source))}-${line(node.getEnd())}`;
  });
}

async function score(target: TypeScriptTarget, results: readonly MutantResult[]): Promise<FileScore> {
  const { file } = target;
  const lines = (await readFile(file, "utf8")).split("\n");
  const mine = results.filter((r) => r.fileName.endsWith(file));
  const count = (...statuses: string[]): number => mine.filter((r) => statuses.includes(r.status)).length;
  const describe = (r: MutantResult): string =>
    `${file}:${r.location.start.line} ${r.mutatorName}: ${(r.replacement ?? "").replace(/\s+/g, " ")}`;
  const isEquivalent = (r: MutantResult): boolean =>
    (target.equivalent ?? []).some(
      (e) =>
        e.line === lines[r.location.start.line - 1]?.trim() &&
        e.mutator === r.mutatorName &&
        (e.replacement === undefined || e.replacement === r.replacement),
    );
  const alive = mine.filter((r) => r.status === "Survived" || r.status === "NoCoverage");
  const equivalent = alive.filter(isEquivalent);
  const survivors = alive.filter((r) => !isEquivalent(r));
  return {
    file,
    killed: count("Killed", "Timeout"),
    survived: survivors.filter((r) => r.status === "Survived").length,
    untested: survivors.filter((r) => r.status === "NoCoverage").length,
    ignored: count("Ignored"),
    equivalent: equivalent.map(describe),
    survivors: survivors.map(describe),
  };
}

/** Runs Stryker on one target and scores its file. */
export async function mutateTarget(target: TypeScriptTarget, workDir: string, reportDir: string): Promise<FileScore> {
  const options: PartialStrykerOptions = {
    testRunner: "mocha",
    mochaOptions: { spec: [...target.tests], ...(target.grep === undefined ? {} : { grep: target.grep }) },
    testRunnerNodeArgs: ["--import", "tsx"],
    mutate: await checkRanges(target.file, target.checks),
    coverageAnalysis: "perTest",
    plugins: ["@stryker-mutator/mocha-runner", IGNORER],
    ignorers: ["message-text"],
    // Folders test runs write while a mutation run copies the project (deployments of devnets, their state).
    ignorePatterns: ["out", "dist", "coverage", ".devnet", "web/dist", "deploy/deployments", "issuer-service"],
    reporters: ["html"],
    htmlReporter: { fileName: join(reportDir, `${basename(target.file, ".ts")}.html`) },
    // LogLevel is a const enum of these strings.
    logLevel: "warn" as LogLevel,
    fileLogLevel: "off" as LogLevel,
    tempDirName: workDir,
    cleanTempDir: true,
    concurrency: 2,
    timeoutMS: 60_000,
  };
  return score(target, await new Stryker(options).runMutationTest());
}

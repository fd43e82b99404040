/**
 * A Stryker ignore plugin: mutants of message text are not counted. A check's message tells a person why; the check is
 * its outcome (valid/invalid, refused, reverted), and that is what the mutation run measures. Ignored, and listed as
 * ignored in the report: the text arguments of errors (`new CCRError(code, text, { cause })`: the code is still mutated), of
 * `refuse(text)` and `settle(candidate, outcome, text, check)`, and `reason:`/`message:`/`detail:` text in objects.
 * Only text is ignored: a condition, a code or a value next to it is still mutated.
 */
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";
import type { Ignorer, NodePath as StrykerPath } from "@stryker-mutator/api/ignore";

/** The slice of Babel's NodePath the plugin reads. */
interface Path {
  node: { type: string; operator?: string; name?: string; callee?: Node; key?: Node };
  parentPath: Path | null;
  listKey?: string;
  key: string | number | null;
}
interface Node {
  type: string;
  name?: string;
  value?: unknown;
  property?: Node;
}

/** Callees whose arguments at these positions are message text. */
const MESSAGE_ARGUMENTS = new Map<string, readonly number[]>([
  ["CCRError", [1, 2]],
  ["TrqpProblem", [1, 2]],
  ["Error", [0]],
  ["TypeError", [0]],
  ["RangeError", [0]],
  ["refuse", [0]],
  ["settle", [2]],
]);

const MESSAGE_PROPERTIES = new Set(["reason", "message", "detail"]);

/** A string, a template, a `+` of them, or an error's `{ cause }` (what it wraps, for the person reading it). */
function isText(path: Path): boolean {
  const { type, operator } = path.node;
  if (type === "ObjectExpression") {
    const properties = (path.node as { properties?: { key?: Node }[] }).properties ?? [];
    return properties.length > 0 && properties.every((p) => p.key?.name === "cause");
  }
  return type === "StringLiteral" || type === "TemplateLiteral" || (type === "BinaryExpression" && operator === "+");
}

function calleeName(callee: Node | undefined): string | undefined {
  if (callee?.type === "Identifier") return callee.name;
  if (callee?.type === "MemberExpression") return callee.property?.name;
  return undefined;
}

function isMessage(path: Path): boolean {
  const parent = path.parentPath;
  if (parent === null || !isText(path)) return false;
  const { type } = parent.node;
  if ((type === "NewExpression" || type === "CallExpression") && path.listKey === "arguments") {
    const positions = MESSAGE_ARGUMENTS.get(calleeName(parent.node.callee) ?? "");
    return positions?.includes(Number(path.key)) ?? false;
  }
  if (type === "ObjectProperty" && path.key === "value") {
    const key = parent.node.key;
    return MESSAGE_PROPERTIES.has(String(key?.name ?? key?.value));
  }
  return false;
}

export const messageIgnorer: Ignorer = {
  shouldIgnore: (path: StrykerPath) => (isMessage(path as Path) ? "message text, not a check's outcome" : undefined),
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "message-text", messageIgnorer)];

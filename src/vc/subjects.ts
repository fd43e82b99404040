import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { DEMO_SCHEMAS, type DemoSchemaKey } from "../apec.ts";
import cbpr from "./schemas/cbpr.json" with { type: "json" };
import device from "./schemas/device.json" with { type: "json" };
import diploma from "./schemas/diploma.json" with { type: "json" };
import kyc from "./schemas/kyc.json" with { type: "json" };
import origin from "./schemas/origin.json" with { type: "json" };
import prp from "./schemas/prp.json" with { type: "json" };

/** The JSON Schemas of the credential subjects shipped with CCR, by schema key. */
export const SUBJECT_SCHEMAS: Record<DemoSchemaKey, object> = { cbpr, prp, diploma, origin, kyc, device };

/** One reason why a credential subject does not match its schema. */
export interface SubjectProblem {
  /** The field's path in the subject, dot-separated ("" for the subject itself). */
  field: string;
  message: string;
}

// ajv-formats is CommonJS; its plugin is also exported as `default`.
const ajv = addFormatsModule.default(new Ajv2020({ allErrors: true, strict: true }));
const validators = new Map<DemoSchemaKey, ValidateFunction>(
  DEMO_SCHEMAS.map(({ key }) => [key, ajv.compile(SUBJECT_SCHEMAS[key])]),
);

const path = (pointer: string): string => pointer.replace(/^\//, "").replaceAll("/", ".");

function describe(error: ErrorObject): SubjectProblem {
  if (error.keyword === "required") {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
    return { field: path(`${error.instancePath}/${missing}`), message: "is required" };
  }
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
    return { field: path(`${error.instancePath}/${extra}`), message: "is not a field of this credential type" };
  }
  return { field: path(error.instancePath), message: error.message ?? "is not valid" };
}

/** Every problem of `subject` against the schema `key` (empty when it is valid). */
export function checkSubject(key: DemoSchemaKey, subject: unknown): SubjectProblem[] {
  const validate = validators.get(key);
  if (validate === undefined) return [{ field: "", message: `unknown credential type "${key}"` }];
  return validate(subject) ? [] : (validate.errors ?? []).map(describe);
}

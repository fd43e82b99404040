import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

/** One reason why a credential subject does not match its schema. */
export interface SubjectProblem {
  /** The field's path in the subject, dot-separated ("" for the subject itself). */
  field: string;
  message: string;
}

// ajv-formats is CommonJS; its plugin is also exported as `default`. Strict: a keyword ajv does not know is an error
// in the schema document, except CCR's own `credentialType` (the credential's type name).
const ajv = addFormatsModule.default(new Ajv2020({ allErrors: true, strict: true }));
ajv.addKeyword({ keyword: "credentialType", schemaType: "string" });
// CCR's `alwaysDisclosed`: subject fields an SD-JWT VC carries in the clear (every other one is a disclosure).
ajv.addKeyword({
  keyword: "alwaysDisclosed",
  schemaType: "array",
  metaSchema: { type: "array", items: { type: "string" } },
});

/** Validators by document digest: documents are content-addressed, so one compilation serves every run. */
const validators = new Map<string, ValidateFunction>();

/**
 * The validator of a subject JSON Schema document (`digest` identifies it). Throws ajv's error when the document is
 * not a valid JSON Schema.
 */
export function subjectValidator(digest: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(digest);
  if (validate === undefined) {
    // Compiled without registering its $id: two documents (two versions of a schema) may share one.
    validate = ajv.compile(Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$id")));
    validators.set(digest, validate);
  }
  return validate;
}

const path = (pointer: string): string => pointer.replace(/^\//, "").replaceAll("/", ".");

function describe(error: ErrorObject): SubjectProblem {
  if (error.keyword === "required") {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
    const field = path(`${error.instancePath}/${missing}`);
    // The subject's id is its holder: say what it must be.
    const holder = field === "id" ? ": the holder's DID (did:ethr, did:key or did:jwk)" : "";
    return { field, message: `is required${holder}` };
  }
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
    return { field: path(`${error.instancePath}/${extra}`), message: "is not a field of this credential type" };
  }
  return { field: path(error.instancePath), message: error.message ?? "is not valid" };
}

/** Every problem of `subject` against `validate` (empty when it is valid). */
export function checkSubject(validate: ValidateFunction, subject: unknown): SubjectProblem[] {
  return validate(subject) ? [] : (validate.errors ?? []).map(describe);
}

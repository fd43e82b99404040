/**
 * Signing a run's groups: the subjects read again from the input, group by group (never all at once, and refused when
 * the input changed since it was checked), built into credentials and signed, `vc+jwt` on worker threads (one per
 * core), SD-JWT VCs on this thread (libsecp256k1 too).
 */
import { CCRError } from "../../errors.ts";
import { VC_JWT_TYP, credentialHash, toSeconds } from "../credential.ts";
import { subjectDigest, type SubjectInput } from "../input.ts";
import { issueSdJwt } from "../sdJwt.ts";
import { DEFAULT_SIGNING_ALG } from "../jwsAlg.ts";
import { SigningPool, jwsSigner, signingInput } from "../signingPool.ts";
import { credentialOf } from "./build.ts";
import type { RunContext, RunRecord } from "./model.ts";
import { controllerKeyId, signingKeyId } from "./run.ts";

/**
 * The subjects of a run's groups, read from its input as each group is signed (in order, never all at once). A row
 * that is gone or whose subject is not the one checked when the run began is refused before it is signed.
 */
export function groupSubjects(
  input: SubjectInput,
  run: RunRecord,
): { take(group: number): Promise<Record<string, unknown>[]>; close(): Promise<void> } {
  const reader = input.subjects();
  const changed = (what: string): CCRError =>
    new CCRError(
      "JOURNAL_MISMATCH",
      `${input.file} changed after it was checked: ${what}; nothing more was signed. Put the file back as it was ` +
        `and run the same command again to finish the run`,
    );
  return {
    async take(group) {
      const first = group * run.batchSize;
      const taken: Record<string, unknown>[] = [];
      for (const [k, row] of run.rows.slice(first, first + run.batchSize).entries()) {
        let next = await reader.next();
        while (!next.done && next.value.row < row) next = await reader.next();
        if (next.done || next.value.row !== row) throw changed(`row ${row} is gone`);
        if (subjectDigest(next.value.subject) !== run.subjects[first + k]) throw changed(`row ${row} is not the same`);
        taken.push(next.value.subject);
      }
      return taken;
    },
    close: async () => {
      await reader.return(undefined);
    },
  };
}

/** A group's signed credentials (JWS or SD-JWT) and the hashes anchored for them. */
export interface SignedCredentials {
  jws: string[];
  hashes: string[];
}

/** Signs the run's groups; `close` stops the workers and the input reader. */
export interface GroupSigner {
  sign(group: number): Promise<SignedCredentials>;
  close(): Promise<void>;
}

/**
 * The signer of `context`'s groups. The JWS `kid` is the issuer DID's verification method the signing key is: `kid`
 * when the run's admission found it, else looked up once, when something is first signed.
 */
export function groupSigner(context: RunContext, kid: string | undefined): GroupSigner {
  const { request, run, issuer } = context;
  let found = kid;
  const alg = run.signingAlg ?? DEFAULT_SIGNING_ALG;
  const keyId = async (): Promise<string | undefined> => {
    if (found !== undefined || request.resolver === undefined) {
      return found ?? controllerKeyId(run, issuer, { signingKey: request.signingKey, signingAlg: alg });
    }
    found = await signingKeyId(request.resolver, run, issuer, request.signingKey, alg);
    return found;
  };
  const subjects = groupSubjects(request.input, run);
  const pool = run.credentialFormat === "sd-jwt" ? undefined : new SigningPool(request.signingKey, undefined, alg);
  const sdJwtSigner = jwsSigner(alg, request.signingKey);
  return {
    async sign(group) {
      const credentials = (await subjects.take(group)).map((subject, index) =>
        credentialOf(run, issuer, subject, group, index),
      );
      if (pool !== undefined) {
        const header: Record<string, string> = { alg, typ: VC_JWT_TYP };
        const id = await keyId();
        if (id !== undefined) header.kid = id;
        const iat = toSeconds(new Date());
        const signedNow = await pool.sign(credentials.map((credential) => signingInput(header, credential, iat)));
        return { jws: signedNow.map((s) => s.jws), hashes: signedNow.map((s) => s.hash) };
      }
      const jws: string[] = [];
      const alwaysDisclosed = request.schema.document.alwaysDisclosed;
      for (const credential of credentials) {
        const kid = await keyId();
        jws.push(await issueSdJwt(credential, request.signingKey, kid, alwaysDisclosed, sdJwtSigner, undefined, alg));
      }
      return { jws, hashes: jws.map(credentialHash) };
    },
    async close() {
      await pool?.close();
      await subjects.close();
    },
  };
}

/**
 * TRQP decisions (src/server/trqp.ts) on their own: the request's shape, and the authorization and recognition
 * answers from an accreditation or a recognition as the registry held it, at each boundary. `test/server.ts` asks
 * the same questions of a running `ccr serve` against a chain; these run in a blink, so `npm run mutation` can break
 * each rule and see which test notices.
 */
import { expect } from "chai";
import {
  accountOf,
  authorizationDecision,
  checkRequest,
  recognitionDecision,
  TrqpProblem,
  type AccreditationAt,
  type AuthorizationQuestion,
  type RecognitionAt,
} from "../src/server/trqp.ts";

const FROM = 1_800_000_000n;
const UNTIL = 1_900_000_000n;
const DIPLOMA = { id: 2, name: "Diploma" };

const accreditation = (change: Partial<AccreditationAt> = {}): AccreditationAt => ({
  id: 7n,
  economy: "AU",
  standing: "ACTIVE",
  schemas: 1n << 2n,
  validFrom: FROM,
  validUntil: UNTIL,
  ...change,
});
const question = (change: Partial<AuthorizationQuestion> = {}): AuthorizationQuestion => ({
  action: "issue",
  economy: "AU",
  schema: DIPLOMA,
  seconds: FROM + 1000n,
  ...change,
});
const authorized = (record: Partial<AccreditationAt>, asked: Partial<AuthorizationQuestion> = {}) =>
  authorizationDecision(accreditation(record), question(asked));

describe("TRQP decisions (src/server/trqp.ts)", function () {
  describe("a request", function () {
    const request = { entity_id: "0x01", authority_id: "AU", action: "issue", resource: "Diploma" };

    it("is taken as it is when it has its four strings and a context of strings with a UTC time", function () {
      expect(checkRequest(request)).to.equal(request);
      const timed = { ...request, context: { time: "2026-11-24T09:30:00Z", note: "x" } };
      expect(checkRequest(timed)).to.equal(timed);
      expect(checkRequest({ ...request, context: { time: "2026-11-24T09:30:00.250Z" } })).to.have.property("context");
      expect(checkRequest({ ...request, context: { note: "no time: the present" } })).to.have.property("context");
    });

    const refused = (body: unknown): string => {
      try {
        checkRequest(body);
      } catch (error) {
        expect(error).to.be.instanceOf(TrqpProblem);
        expect((error as TrqpProblem).status).to.equal(400);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };

    it("is refused (400, naming the field) when it is not an object, a field is missing or empty", function () {
      expect(refused(null)).to.match(/not a JSON object/);
      expect(refused([request])).to.match(/not a JSON object/);
      expect(refused("issue")).to.match(/not a JSON object/);
      for (const field of ["entity_id", "authority_id", "action", "resource"]) {
        expect(refused({ ...request, [field]: undefined })).to.contain(`"${field}"`);
        expect(refused({ ...request, [field]: "" })).to.contain(`"${field}"`);
        expect(refused({ ...request, [field]: 1 })).to.contain(`"${field}"`);
      }
    });

    it("is refused when its context is not an object of strings or its time is not RFC 3339 in UTC", function () {
      expect(refused({ ...request, context: "now" })).to.contain('"context"');
      expect(refused({ ...request, context: null })).to.contain('"context"');
      expect(refused({ ...request, context: ["x"] })).to.contain('"context"');
      expect(refused({ ...request, context: { time: 5 } })).to.contain('"context.time"');
      expect(refused({ ...request, context: { time: "2026-11-24T09:30:00Z", note: 5 } })).to.contain('"context.note"');
      for (const time of [
        "2026-11-24",
        "2026-11-24T09:30:00+09:00",
        "2026-11-24 09:30:00Z",
        "x2026-11-24T09:30:00Z",
        "2026-11-24T09:30:00Zx",
        "2026-13-45T09:30:00Z",
      ]) {
        expect(refused({ ...request, context: { time } }), time).to.contain('"context.time"');
      }
    });
  });

  describe("an entity's account", function () {
    const address = "0x8ba1f109551bD432803012645Ac136ddd64DBA72";

    it("is the address of a did:ethr of this chain, of no named chain, or an address itself", function () {
      expect(accountOf(31337, `did:ethr:0x7a69:${address.toLowerCase()}`, "entity")).to.equal(address);
      expect(accountOf(31337, `did:ethr:${address}`, "entity")).to.equal(address);
      expect(accountOf(31337, address.toLowerCase(), "entity")).to.equal(address);
      // A network name (as ethr-did-resolver's "sepolia") is not checked against the chain: CCR's own DIDs always
      // carry the hexadecimal chain id.
      expect(accountOf(31337, `did:ethr:sepolia:${address}`, "entity")).to.equal(address);
    });

    it("is refused (404, naming the role) for a DID of another chain or anything else", function () {
      const unknown = (id: string, role = "entity"): string => {
        try {
          accountOf(31337, id, role);
        } catch (error) {
          expect(error).to.be.instanceOf(TrqpProblem);
          expect((error as TrqpProblem).status).to.equal(404);
          expect((error as TrqpProblem).title).to.equal(`Unknown ${role}`);
          return (error as Error).message;
        }
        throw new Error(`${id} accepted`);
      };
      expect(unknown(`did:ethr:0x1:${address}`)).to.equal(
        `did:ethr:0x1:${address} is a DID of chain 1, not of this registry's chain 31337`,
      );
      expect(unknown(`did:ethr:0x7a6a:${address}`, "authority")).to.contain("chain 31338");
      for (const id of [
        `${address}00`,
        address.slice(0, 41),
        `did:ethr:${address}00`,
        `x${address}`,
        `xdid:ethr:${address}`,
        `did:ethr:Sepolia:${address}`,
        "AU",
      ]) {
        expect(unknown(id), id).to.contain("is neither an economy code, a did:ethr nor an address");
      }
    });
  });

  describe("authorization to issue", function () {
    it("is granted within the window, both ends included, naming the window", function () {
      for (const seconds of [FROM, FROM + 1n, UNTIL - 1n, UNTIL]) {
        expect(authorized({}, { seconds }).authorized, String(seconds)).to.equal(true);
      }
      expect(authorized({}).why).to.equal(
        "is accredited by AU to issue Diploma (schema 2), 2027-01-15T08:00:00Z to 2030-03-17T17:46:40Z",
      );
      expect(authorized({ validUntil: 0n }, { seconds: UNTIL * 2n })).to.deep.equal({
        authorized: true,
        why: "is accredited by AU to issue Diploma (schema 2), 2027-01-15T08:00:00Z to open end",
      });
    });

    it("is refused a second before the window and a second after it", function () {
      expect(authorized({}, { seconds: FROM - 1n })).to.deep.equal({
        authorized: false,
        why: "is accredited only from 2027-01-15T08:00:00Z",
      });
      expect(authorized({}, { seconds: UNTIL + 1n })).to.deep.equal({
        authorized: false,
        why: "was accredited only until 2030-03-17T17:46:40Z",
      });
    });

    it("is refused to a suspended, revoked or never accredited issuer", function () {
      expect(authorized({ standing: "SUSPENDED" })).to.deep.equal({
        authorized: false,
        why: "is SUSPENDED by AU at 2027-01-15T08:16:40Z",
      });
      expect(authorized({ standing: "REVOKED" }).authorized).to.equal(false);
      expect(authorized({ id: 0n })).to.deep.equal({
        authorized: false,
        why: "was not yet accredited at 2027-01-15T08:16:40Z",
      });
    });

    it("is refused for a schema whose bit is not set, whatever the other bits", function () {
      expect(authorized({ schemas: (1n << 1n) | (1n << 3n) })).to.deep.equal({
        authorized: false,
        why: "is not accredited for schema 2 (Diploma) at 2027-01-15T08:16:40Z",
      });
      expect(authorized({ schemas: 1n << 2n }, { schema: { id: 0, name: "KYC" } }).authorized).to.equal(false);
      expect(authorized({ schemas: 0b111n }).authorized).to.equal(true);
    });

    it("is refused when asked of another economy than the one that accredited the issuer", function () {
      expect(authorized({}, { economy: "JP" })).to.deep.equal({
        authorized: false,
        why: "is accredited by AU, not by JP",
      });
    });
  });

  describe("authorization to manage status (revoke, suspend, reinstate)", function () {
    it("holds for a suspended issuer and outside the window, but not once revoked", function () {
      for (const action of ["revoke", "suspend", "reinstate"]) {
        expect(authorized({ standing: "SUSPENDED" }, { action, seconds: UNTIL + 100n })).to.deep.equal({
          authorized: true,
          why: `may ${action} its Diploma credentials (accreditation SUSPENDED)`,
        });
        expect(authorized({ standing: "REVOKED" }, { action })).to.deep.equal({
          authorized: false,
          why: "had its accreditation revoked by AU before 2027-01-15T08:16:40Z",
        });
      }
    });

    it("still needs the schema's bit, the same economy and an accreditation", function () {
      expect(authorized({ schemas: 1n }, { action: "revoke" }).authorized).to.equal(false);
      expect(authorized({}, { action: "revoke", economy: "JP" }).authorized).to.equal(false);
      expect(authorized({ id: 0n }, { action: "revoke" }).authorized).to.equal(false);
    });
  });

  describe("recognition", function () {
    const recognition = (change: Partial<RecognitionAt> = {}) =>
      recognitionDecision({
        entity: { economy: "AU", member: true },
        authority: { economy: "JP", member: true },
        schemas: 1n << 2n,
        schema: DIPLOMA,
        seconds: FROM,
        ...change,
      });

    it("holds for exactly the schemas whose bits the authority set", function () {
      expect(recognition()).to.deep.equal({
        recognized: true,
        why: "JP recognises AU's accreditations for Diploma (schema 2)",
      });
      expect(recognition({ schemas: (1n << 1n) | (1n << 3n) })).to.deep.equal({
        recognized: false,
        why: "JP does not recognise AU's accreditations for Diploma (schema 2) at 2027-01-15T08:00:00Z",
      });
      expect(recognition({ schemas: 0n }).recognized).to.equal(false);
      expect(recognition({ schemas: 1n << 2n, schema: { id: 3, name: "KYC" } }).recognized).to.equal(false);
    });

    it("holds for an economy's own accreditations without any bit", function () {
      expect(recognition({ entity: { economy: "JP", member: true }, schemas: 0n })).to.deep.equal({
        recognized: true,
        why: "JP accepts its own accreditations",
      });
    });

    it("fails when either economy is not a member, naming which, even with the bit set", function () {
      expect(recognition({ entity: { economy: "AU", member: false } })).to.deep.equal({
        recognized: false,
        why: "AU was not a member economy at 2027-01-15T08:00:00Z",
      });
      expect(recognition({ authority: { economy: "JP", member: false } })).to.deep.equal({
        recognized: false,
        why: "JP was not a member economy at 2027-01-15T08:00:00Z",
      });
      const alone = { economy: "JP", member: false };
      expect(recognition({ entity: alone, authority: alone }).recognized).to.equal(false);
    });
  });
});

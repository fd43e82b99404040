import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { decodeJWT, verifyJWT } from "did-jwt";
import { Resolver } from "did-resolver";
import { getResolver } from "ethr-did-resolver";
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { digest } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { SigningKey, Wallet, getBytes, type HDNodeWallet, keccak256, toUtf8Bytes, type Signer } from "ethers";
import { network } from "hardhat";
import { deployDemo } from "../deploy/demo.ts";
import { demoType, devnetWallet } from "../deploy/demoData.ts";
import { ethrDid, ethrDidResolver } from "../src/did.ts";
import { addSigningKey, revokeSigningKey } from "../src/didKeys.ts";
import { connectRegistry, type RegistryConnection } from "../src/registry.ts";
import { CCR_CONTEXT_V1, credentialHash, VC_CONTEXT_V2 } from "../src/vc/credential.ts";
import type { CredentialFile } from "../src/vc/file.ts";
import { readSubjects, type SubjectInput } from "../src/vc/input.ts";
import type { CredentialType } from "../src/vc/credentialType.ts";
import { issueCredentials, type CredentialFormat, type IssueRequest } from "../src/vc/issue.ts";
import { checkKeyBinding, presentSdJwt } from "../src/vc/sdJwt.ts";
import { verifyCredentials } from "../src/vc/verifyFiles.ts";
import { DAY } from "./fixture.ts";
import { rowDid } from "./holders.ts";
import { rejection } from "./rejection.ts";

const hardhat = await network.create();
const { ethers } = hardhat;
const { deployment } = await deployDemo(hardhat, "in-process");
const university = devnetWallet(24, ethers.provider);
const chainId = deployment.chainId;
const resolver = ethrDidResolver(chainId, deployment.didRegistry.address, ethers.provider);

/** A secp256k1 public key (any form) as a node:crypto key. */
function secp256k1Key(publicKey: string): KeyObject {
  const point = getBytes(SigningKey.computePublicKey(publicKey, false));
  const coordinate = (from: number): string => Buffer.from(point.subarray(from, from + 32)).toString("base64url");
  return createPublicKey({ key: { kty: "EC", crv: "secp256k1", x: coordinate(1), y: coordinate(33) }, format: "jwk" });
}

function graduates(from: number, count: number): string {
  const rows = Array.from(
    { length: count },
    (_, i) => `${rowDid(from + i)},Student ${from + i},Bachelor of Science,Computer Science,2026-06-30`,
  );
  return ["id,name,degree,fieldOfStudy,awardedOn", ...rows].join("\n");
}

async function connect(signer: Signer = university): Promise<RegistryConnection> {
  return connectRegistry(deployment, { provider: ethers.provider, signer });
}

async function issue(
  csv: string,
  options: { signingKey?: string; single?: boolean; schema?: CredentialType; format?: CredentialFormat } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), "ccr-vc-"));
  const input = join(dir, "graduates.csv");
  await writeFile(input, csv);
  const outDir = join(dir, "out");
  const result = await issueCredentials({
    connection: await connect(),
    anchorer: university,
    issuer: university.address,
    signingKey: options.signingKey ?? university.privateKey,
    schema: options.schema ?? (await demoType("diploma")),
    input: await readSubjects(input, await demoType("diploma")),
    outDir,
    batchSize: 4,
    single: options.single ?? false,
    format: options.format,
  });
  const files = (await readdir(outDir)).filter((f) => f.startsWith("credential-")).map((f) => join(outDir, f));
  return { dir, outDir, result, files: files.sort() };
}

describe("VC toolkit (SDK, in-process chain)", function () {
  const dirs: string[] = [];
  after(async function () {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("issues W3C VC 2.0 credentials in Merkle batches that verify against the registry", async function () {
    const { dir, result, files } = await issue(graduates(1, 10));
    dirs.push(dir);
    expect(result.issued).to.equal(10);
    expect(result.batches.map((b) => b.size)).to.deep.equal([4, 4, 2]);
    expect(files).to.have.length(10);
    const file = JSON.parse(await readFile(files[5] ?? "", "utf8")) as CredentialFile;
    expect(file.hash).to.equal(credentialHash(file.jws));
    expect(file.anchor.batch?.index).to.equal(1);
    const { header, payload } = decodeJWT(file.jws);
    expect(header).to.deep.equal({
      alg: "ES256K",
      typ: "vc+jwt",
      kid: `${ethrDid(chainId, university.address)}#controller`,
    });
    expect(payload["@context"]).to.deep.equal([VC_CONTEXT_V2, CCR_CONTEXT_V1]);
    expect(payload.issuer).to.equal(ethrDid(chainId, university.address));
    expect(payload.credentialStatus).to.include({ type: "CCRRegistryStatus", chainId });

    const results = await verifyCredentials(files, { connection: await connect(), resolver });
    expect(results.map((r) => r.outcome)).to.deep.equal(Array(10).fill("valid"));
    expect(results[0]?.reason).to.match(/^valid: issued by did:ethr:0x7a69:0x[0-9a-fA-F]{40} \(AU\), anchored /);
  });

  it("names its schema document's digest; a credential naming another digest is invalid", async function () {
    const diploma = await demoType("diploma");
    const good = await issue(graduates(50, 1), { single: true });
    dirs.push(good.dir);
    const { payload } = decodeJWT((JSON.parse(await readFile(good.files[0] ?? "", "utf8")) as CredentialFile).jws);
    expect(payload.credentialSchema).to.deep.equal({
      id: diploma.uri,
      type: "JsonSchema",
      digestSRI: `sha256-${Buffer.from(diploma.digest.slice(2), "hex").toString("base64")}`,
    });
    // Signed and anchored by the issuer, but naming a schema document the registry does not record.
    const other = `0x${"11".repeat(32)}`;
    const bad = await issue(graduates(60, 1), { single: true, schema: { ...diploma, digest: other } });
    dirs.push(bad.dir);
    const [result] = await verifyCredentials(bad.files, { connection: await connect(), resolver });
    expect(result?.outcome).to.equal("invalid");
    expect(result?.reason).to.equal(
      `its schema document's digest sha256-${Buffer.from(other.slice(2), "hex").toString("base64")} is not the one ` +
        `the registry records for schema ${diploma.id} "${diploma.name}" (sha256-${Buffer.from(diploma.digest.slice(2), "hex").toString("base64")})`,
    );
  });

  it("issues single anchors with --single and a second call resumes without anchoring anything again", async function () {
    const { dir, outDir, result, files } = await issue(graduates(100, 3), { single: true });
    dirs.push(dir);
    expect(result.batches.flatMap((b) => b.transactions)).to.have.length(3);
    expect(result.sentNow).to.equal(3);
    const again = await issueCredentials({
      connection: await connect(),
      anchorer: university,
      issuer: university.address,
      signingKey: university.privateKey,
      schema: await demoType("diploma"),
      input: await readSubjects(join(dir, "graduates.csv"), await demoType("diploma")),
      outDir,
      batchSize: 4,
      single: true,
    });
    expect(again).to.include({ resumed: true, sentNow: 0, issued: 3 });
    const results = await verifyCredentials(files, { connection: await connect(), resolver });
    expect(results.map((r) => r.outcome)).to.deep.equal(["valid", "valid", "valid"]);
  });

  it("reads the input again as it signs: a row changed after the check is refused unsigned, and the run finishes once the file is back", async function () {
    const dir = await mkdtemp(join(tmpdir(), "ccr-vc-"));
    dirs.push(dir);
    const file = join(dir, "graduates.csv");
    const original = graduates(900, 10);
    await writeFile(file, original);
    const outDir = join(dir, "out");
    const diploma = await demoType("diploma");
    const request = async (input: SubjectInput): Promise<IssueRequest> => ({
      connection: await connect(),
      anchorer: university,
      issuer: university.address,
      signingKey: university.privateKey,
      schema: diploma,
      input,
      outDir,
      batchSize: 4,
    });
    // Checked as it is, then row 6 (of group 1: rows 5-8) is edited before it is signed.
    const input = await readSubjects(file, diploma);
    await writeFile(file, original.replace("Student 905", "Student 9O5"));
    const error = await rejection(issueCredentials(await request(input)));
    expect(error.code).to.equal("JOURNAL_MISMATCH");
    expect(error.message).to.equal(
      `${file} changed after it was checked: row 6 is not the same; nothing more was signed. Put the file back as ` +
        "it was and run the same command again to finish the run",
    );
    const journal = await readdir(join(outDir, ".ccr-journal"));
    expect(journal).to.include("group-0.json").and.not.include("group-1.json");
    // Groups are anchored as they are signed: group 0 (rows 1-4) was anchored and written before row 6 was read.
    expect((await readdir(outDir)).filter((f) => f.startsWith("credential-")).sort()).to.deep.equal(
      [1, 2, 3, 4].map((row) => `credential-0000${row}.json`),
    );
    // A shorter file: the row is gone.
    await writeFile(file, original.split("\n").slice(0, 5).join("\n"));
    expect((await rejection(issueCredentials(await request(input)))).message).to.match(
      /changed after it was checked: row 5 is gone; nothing more was signed/,
    );
    await writeFile(file, original);
    const finished = await issueCredentials(await request(await readSubjects(file, diploma)));
    expect(finished).to.include({ resumed: true, issued: 10 });
    const files = (await readdir(outDir)).filter((f) => f.startsWith("credential-")).map((f) => join(outDir, f));
    const results = await verifyCredentials(files.sort(), { connection: await connect(), resolver });
    expect(results.map((r) => r.outcome)).to.deep.equal(Array(10).fill("valid"));

    // A JSON array streams the same way: each subject as it is parsed, in order.
    const json = join(dir, "graduates.json");
    const [header = "", ...lines] = graduates(950, 5).split("\n");
    const columns = header.split(",");
    await writeFile(
      json,
      JSON.stringify(lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i], v])))),
    );
    const fromJson = await issueCredentials({
      ...(await request(await readSubjects(json, diploma))),
      outDir: join(dir, "from-json"),
    });
    expect(fromJson).to.include({ resumed: false, issued: 5 });
    const jsonFiles = (await readdir(join(dir, "from-json"))).filter((f) => f.startsWith("credential-")).sort();
    const [third] = jsonFiles.slice(2);
    const { jws } = JSON.parse(await readFile(join(dir, "from-json", third ?? ""), "utf8")) as CredentialFile;
    expect((decodeJWT(jws).payload as { credentialSubject: { name: string } }).credentialSubject.name).to.equal(
      "Student 952",
    );
  });

  it("verifies with did-jwt and ethr-did-resolver alone, without CCR code", async function () {
    const { dir, files } = await issue(graduates(200, 1));
    dirs.push(dir);
    const { jws } = JSON.parse(await readFile(files[0] ?? "", "utf8")) as CredentialFile;
    const plain = new Resolver(
      getResolver({
        networks: [
          {
            name: "0x7a69",
            chainId: 31337n,
            web3: { currentProvider: ethers.provider },
            registry: deployment.didRegistry.address,
          },
        ],
      }),
    );
    const verified = await verifyJWT(jws, { resolver: plain });
    expect(verified.issuer).to.equal(`did:ethr:0x7a69:${university.address}`);
    expect(verified.payload.type).to.deep.equal(["VerifiableCredential", "AcademicDiploma"]);
    expect(verified.signer.blockchainAccountId).to.equal(`eip155:31337:${university.address}`);
    // The JWS names the key that signed: a standard verifier picks the key by its kid.
    expect(verified.signer.id).to.equal(`did:ethr:0x7a69:${university.address}#controller`);
  });

  it("names a delegate's verification method as the JWS kid; a credential naming another key is invalid", async function () {
    const delegate = Wallet.createRandom();
    await addSigningKey(deployment.didRegistry.address, university, delegate.address, 30 * DAY);
    const did = ethrDid(chainId, university.address);
    const { didDocument } = await resolver.resolve(did);
    const method = didDocument?.verificationMethod?.find((m) =>
      m.blockchainAccountId?.toLowerCase().endsWith(delegate.address.toLowerCase()),
    );
    expect(method?.id).to.match(/#delegate-\d+$/);

    const dir = await mkdtemp(join(tmpdir(), "ccr-vc-"));
    dirs.push(dir);
    await writeFile(join(dir, "in.csv"), graduates(700, 1));
    const outDir = join(dir, "out");
    await issueCredentials({
      connection: await connect(),
      anchorer: university,
      issuer: university.address,
      signingKey: delegate.privateKey,
      schema: await demoType("diploma"),
      input: await readSubjects(join(dir, "in.csv"), await demoType("diploma")),
      outDir,
      single: true,
      resolver,
    });
    const [file] = (await readdir(outDir)).filter((f) => f.startsWith("credential-"));
    const read = JSON.parse(await readFile(join(outDir, file ?? ""), "utf8")) as CredentialFile;
    expect(decodeJWT(read.jws).header.kid).to.equal(method?.id);
    const [valid] = await verifyCredentials([join(outDir, file ?? "")], { connection: await connect(), resolver });
    expect(valid?.outcome, valid?.reason).to.equal("valid");

    // The same signature under a header naming the controller key: that key did not sign it.
    const [, payload, signature] = read.jws.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "ES256K", typ: "vc+jwt", kid: `${did}#controller` })).toString(
      "base64url",
    );
    const renamed = join(dir, "renamed.jwt");
    await writeFile(renamed, `${header}.${payload}.${signature}`);
    const [invalid] = await verifyCredentials([renamed], { connection: await connect(), resolver });
    expect(invalid?.outcome).to.equal("invalid");
    expect(invalid?.reason).to.equal(
      `the signature is not ${did}#controller, which it names: the JWS was altered or forged`,
    );
    await revokeSigningKey(deployment.didRegistry.address, university, delegate.address);
  });

  it("rotates keys through ERC-1056 delegates: a delegate's credentials stay valid after it is rotated out", async function () {
    const delegate = Wallet.createRandom();
    await addSigningKey(deployment.didRegistry.address, university, delegate.address, 30 * DAY);
    const signedByDelegate = await issue(graduates(300, 2), { signingKey: delegate.privateKey });
    dirs.push(signedByDelegate.dir);
    const before = await verifyCredentials(signedByDelegate.files, { connection: await connect(), resolver });
    expect(before.map((r) => r.outcome)).to.deep.equal(["valid", "valid"]);

    await revokeSigningKey(deployment.didRegistry.address, university, delegate.address);
    // ERC-1056 keeps a delegate valid through the second of its revocation; later blocks no longer list it.
    await hardhat.networkHelpers.time.increase(10);
    const after = await verifyCredentials(signedByDelegate.files, { connection: await connect(), resolver });
    expect(after.map((r) => r.outcome)).to.deep.equal(["valid", "valid"]);

    // Signed by the rotated-out key after its revocation: the issuer anchored it, but the signature does not count.
    const late = await issue(graduates(400, 1), { signingKey: delegate.privateKey });
    dirs.push(late.dir);
    const [verdict] = await verifyCredentials(late.files, { connection: await connect(), resolver });
    expect(verdict?.outcome).to.equal("invalid");
    expect(verdict?.reason).to.equal(
      `the signature is not one of did:ethr:0x7a69:${university.address}'s keys: the JWS was altered or forged`,
    );
  });

  it("counts only its issuer's anchors: a front-running issuer's anchor of the same root changes nothing on resume", async function () {
    // A new issuer of AU accepts its accreditation, then runs out of funds after signing: the run stops before
    // anchoring, with its signed groups (and their roots) in the journal.
    const maker = Wallet.createRandom(ethers.provider);
    const authority = devnetWallet(deployment.accounts["authority-au"]?.hdIndex ?? -1, ethers.provider);
    const registry = (await connect(authority)).registry;
    const diploma = 2;
    await ethers.provider.send("hardhat_setBalance", [maker.address, "0x56BC75E2D63100000"]);
    await (await registry.offerAccreditation(maker.address, 1n << BigInt(diploma), 0, 0)).wait();
    await (await registry.connect(maker).acceptAccreditation("0x4155", 1n << BigInt(diploma), 0, 0)).wait();
    await ethers.provider.send("hardhat_setBalance", [maker.address, "0x0"]);

    const dir = await mkdtemp(join(tmpdir(), "ccr-vc-"));
    dirs.push(dir);
    const input = join(dir, "graduates.csv");
    await writeFile(input, graduates(300, 4));
    const outDir = join(dir, "out");
    const run = async () =>
      issueCredentials({
        connection: await connect(maker),
        anchorer: maker,
        issuer: maker.address,
        signingKey: maker.privateKey,
        schema: await demoType("diploma"),
        input: await readSubjects(input, await demoType("diploma")),
        outDir,
        batchSize: 4,
      });
    let stopped: unknown;
    await run().catch((error: unknown) => (stopped = error));
    expect(stopped).to.be.instanceOf(Error);
    const { root } = JSON.parse(await readFile(join(outDir, ".ccr-journal", "group-0.json"), "utf8")) as {
      root: string;
    };

    // Another issuer sees the root and anchors it first, under its own name, with a window about to end.
    const soon = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
    await (await registry.connect(university).anchorBatch(root, 4, diploma, 0, soon + 5)).wait();

    await ethers.provider.send("hardhat_setBalance", [maker.address, "0x56BC75E2D63100000"]);
    const resumed = await run();
    expect([resumed.resumed, resumed.sentNow, resumed.issued]).to.deep.equal([true, 1, 4]);
    const files = (await readdir(outDir)).filter((f) => f.startsWith("credential-")).map((f) => join(outDir, f));
    const results = await verifyCredentials(files, { connection: await connect(), resolver });
    expect(results.map((r) => r.outcome)).to.deep.equal(Array(4).fill("valid"));
    expect(results.map((r) => r.verdict?.issuer)).to.deep.equal(Array(4).fill(maker.address));
  });

  it("issues SD-JWT VCs whose every field is a disclosure; the anchored hash is the issuer-signed part's", async function () {
    const diploma = await demoType("diploma");
    // The schema keeps "degree" in the clear (its alwaysDisclosed); every other field is a disclosure.
    const schema = { ...diploma, document: { ...diploma.document, alwaysDisclosed: ["degree"] } };
    const { dir, result, files } = await issue(graduates(800, 3), { format: "sd-jwt", schema });
    dirs.push(dir);
    expect(result.issued).to.equal(3);
    const file = JSON.parse(await readFile(files[1] ?? "", "utf8")) as CredentialFile;
    const [issuerJwt, ...disclosures] = file.jws.split("~");
    expect(file.hash)
      .to.equal(credentialHash(file.jws))
      .and.to.equal(keccak256(toUtf8Bytes(issuerJwt ?? "")));
    const { header, payload } = decodeJWT(issuerJwt ?? "");
    expect(header).to.deep.equal({
      typ: "dc+sd-jwt",
      alg: "ES256K",
      kid: `${ethrDid(chainId, university.address)}#controller`,
    });
    expect(payload).to.deep.include({
      iss: ethrDid(chainId, university.address),
      vct: diploma.uri,
      degree: "Bachelor of Science",
      sub: rowDid(801),
    });
    expect(payload).to.not.have.any.keys("name", "fieldOfStudy", "awardedOn");
    expect(disclosures.filter((d) => d !== "")).to.have.length(3);

    // The holder keeps two of three disclosures: the same anchored hash, and only those fields are shown.
    const partial = `${issuerJwt}~${disclosures.slice(0, 2).join("~")}~`;
    expect(credentialHash(partial)).to.equal(file.hash);
    const partialFile = join(dir, "partial.json");
    await writeFile(partialFile, JSON.stringify({ ...file, jws: partial }));
    const [full, some] = await verifyCredentials([files[1] ?? "", partialFile], {
      connection: await connect(),
      resolver,
    });
    expect(full?.outcome, full?.reason).to.equal("valid");
    expect(full?.disclosed).to.deep.equal({
      degree: "Bachelor of Science",
      name: "Student 801",
      fieldOfStudy: "Computer Science",
      awardedOn: "2026-06-30",
    });
    expect(some?.outcome, some?.reason).to.equal("valid");
    expect(Object.keys(some?.disclosed ?? {})).to.have.length(3);

    // A disclosure changed after issuance matches no digest the issuer signed.
    const [salt, , value] = JSON.parse(Buffer.from(disclosures[0] ?? "", "base64url").toString()) as unknown[];
    const forged = Buffer.from(JSON.stringify([salt, "name", `${String(value)} (forged)`])).toString("base64url");
    const forgedFile = join(dir, "forged.json");
    await writeFile(forgedFile, JSON.stringify({ ...file, jws: `${issuerJwt}~${forged}~` }));
    const [tampered] = await verifyCredentials([forgedFile], { connection: await connect(), resolver });
    expect(tampered?.outcome).to.equal("invalid");
    expect(tampered?.reason).to.equal("disclosure 1 (name) is not one the issuer signed: the credential was altered");
  });

  /** A diploma issued as an SD-JWT VC to a new holder (a did:ethr of a random key): the holder, the file's path and content. */
  async function heldSdJwt(): Promise<{ holder: HDNodeWallet; holderDid: string; path: string; file: CredentialFile }> {
    const holder = Wallet.createRandom();
    const holderDid = `did:ethr:0x7a69:${holder.address}`;
    const csv = ["id,name,degree,fieldOfStudy,awardedOn", `${holderDid},Ida,BSc,CS,2026-06-30`].join("\n");
    const { dir, files } = await issue(csv, { format: "sd-jwt", single: true });
    dirs.push(dir);
    const path = files[0] ?? "";
    return { holder, holderDid, path, file: JSON.parse(await readFile(path, "utf8")) as CredentialFile };
  }

  it("refuses a presentation whose disclosures were changed after the holder's key binding (sd_hash)", async function () {
    const { holder, path, file } = await heldSdJwt();
    const expected = { resolver, audience: "https://employer.example", nonce: "n-78", maxAge: 300, skew: 5 };
    const presented = await presentSdJwt(path, file.jws, {
      holderKey: holder.privateKey,
      audience: expected.audience,
      nonce: expected.nonce,
      disclose: ["degree", "name"],
    });
    const accepted = await checkKeyBinding(presented, expected);
    expect(accepted.outcome, accepted.reason).to.equal("valid");
    const [jwt = "", ...rest] = presented.split("~");
    const keyBinding = rest.pop() ?? "";
    expect(rest).to.have.length(2);
    // Every disclosure the issuer made travels in the file; the holder chose two of them.
    const all = file.jws.split("~").slice(1, -1);
    const extra = all.find((d) => !rest.includes(d)) ?? "";
    const altered = {
      "a disclosure dropped": [jwt, rest[0], keyBinding],
      "a disclosure added": [jwt, ...rest, extra, keyBinding],
      "the disclosures reordered": [jwt, rest[1], rest[0], keyBinding],
    };
    for (const [what, parts] of Object.entries(altered)) {
      const check = await checkKeyBinding(parts.join("~"), expected);
      expect([check.outcome, check.reason], what).to.deep.equal([
        "invalid",
        "its key binding JWT signs other disclosures than the ones presented (sd_hash): altered",
      ]);
    }
  });

  it("verifies an SD-JWT VC and its key binding with the @sd-jwt packages alone, without CCR code", async function () {
    const { holder, holderDid, path, file } = await heldSdJwt();
    const presented = await presentSdJwt(path, file.jws, {
      holderKey: holder.privateKey,
      audience: "https://employer.example",
      nonce: "n-77",
      disclose: ["degree"],
    });
    // ES256K checked with node:crypto against the issuer's and the holder's public keys, as any verifier would.
    const es256k = (publicKey: string) => (data: string, signature: string) =>
      verify(
        "sha256",
        Buffer.from(data),
        { key: secp256k1Key(publicKey), dsaEncoding: "ieee-p1363" },
        Buffer.from(signature, "base64url"),
      );
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      verifier: es256k(university.signingKey.publicKey),
      kbVerifier: (data, signature) => es256k(holder.signingKey.publicKey)(data, signature),
    });
    const verified = await sdjwt.verify(presented, {
      keyBindingNonce: "n-77",
      currentDate: Math.floor(Date.now() / 1000),
    });
    expect(verified.payload).to.deep.include({ vct: (await demoType("diploma")).uri, degree: "BSc", sub: holderDid });
    expect(verified.payload).to.not.have.any.keys("name", "fieldOfStudy", "awardedOn");
    expect(verified.kb?.payload).to.deep.include({ aud: "https://employer.example", nonce: "n-77" });
    try {
      await sdjwt.verify(presented.replace(/~[^~]+$/, `~${presented.split("~").pop()?.slice(0, -4)}AAAA`), {
        keyBindingNonce: "n-77",
      });
      expect.fail("a broken key binding signature was accepted");
    } catch (error) {
      expect((error as Error).message).to.match(/signature|verify/i);
    }
  });
});

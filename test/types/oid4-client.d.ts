/** The parts of `@digitalbazaar/oid4-client` (plain JavaScript, no types of its own) the wallet tests use. */
declare module "@digitalbazaar/oid4-client" {
  import type { Agent } from "node:https";

  export function parseCredentialOfferUrl(options: { url: string }): Record<string, unknown>;

  export class OID4Client {
    accessToken: string;
    issuerConfig: Record<string, unknown>;
    static fromCredentialOffer(options: {
      offer: Record<string, unknown>;
      agent?: Agent;
      supportedFormats?: string[];
    }): Promise<OID4Client>;
    getNonce(options?: { agent?: Agent }): Promise<{ nonce: string }>;
  }

  /** OpenID4VP, the wallet's side: fetch and check a request (its signature, its client id), send an answer. */
  export namespace oid4vp {
    namespace authzRequest {
      function get(options: {
        url: string;
        agent?: Agent;
        getTrustedCertificates?: () => string[] | Promise<string[]>;
      }): Promise<{ authorizationRequest: Record<string, unknown> }>;
    }
    namespace authzResponse {
      function send(options: {
        authorizationRequest: Record<string, unknown>;
        vpToken: string;
        vpTokenMediaType?: string;
        agent?: Agent;
      }): Promise<{ result: unknown }>;
    }
  }
}

/**
 * The browser's JSON-RPC provider (selected by the `browser` condition of the `#json-rpc` import): ethers'
 * `JsonRpcProvider` over `fetch`, with the same settings as Node's (`jsonRpc.ts`): a known chain, one request per
 * exchange, at most `timeoutMs` per request.
 */
import { FetchRequest, JsonRpcProvider, Network } from "ethers";

export class HttpJsonRpcProvider extends JsonRpcProvider {
  constructor(url: string, chainId: number, timeoutMs: number) {
    const request = new FetchRequest(url);
    request.timeout = timeoutMs;
    super(request, Network.from(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      batchStallTime: 0,
      cacheTimeout: -1,
    });
  }
}

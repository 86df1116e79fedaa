// The e2e tests' shorthand over deploy/local/client.ts: GET through the mesh, and wait for a path.
import { meshGet, waitForAnswer, type MeshAnswer, type RequestHeaders } from '../../deploy/local/client.js';

export type Answer = MeshAnswer;

export function get(url: string, headers: RequestHeaders = {}): Promise<Answer> {
  return meshGet(url, headers);
}

/** Polls until the path through the mesh equals `expected` (status 200); returns the milliseconds it took. */
export async function waitForPath(url: string, headers: RequestHeaders, expected: string, timeoutMs: number): Promise<number> {
  const { ms } = await waitForAnswer(url, headers, (a) => a.status === 200 && a.path === expected, timeoutMs);
  return ms;
}

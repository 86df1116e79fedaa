// API tokens, from a YAML/JSON file and/or an environment variable, each with a name (for the logs)
// and a role: admin (read and write) or viewer (read only).
//
//   tokens:                          LANEWAY_API_TOKENS="ci:admin:<token>,grafana:viewer:<token>"
//     - name: ci
//       role: admin
//       token: 3f2c...                (16+ characters of A-Z a-z 0-9 . _ ~ + / = -)
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

export type Role = 'admin' | 'viewer';

export interface ApiToken {
  name: string;
  role: Role;
  token: string;
}

export interface Caller {
  name: string;
  role: Role;
}

const TOKEN = /^[A-Za-z0-9._~+/=-]{16,512}$/;
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export class TokenError extends Error {}

function checkToken(entry: unknown, where: string): ApiToken {
  const { name, role, token, ...rest } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof name !== 'string' || !TOKEN_NAME.test(name)) problems.push(`name must be 1-64 letters, digits, '.', '_', '@' or '-', got ${JSON.stringify(name)}`);
  if (role !== 'admin' && role !== 'viewer') problems.push(`role must be "admin" or "viewer", got ${JSON.stringify(role)}`);
  if (typeof token !== 'string' || !TOKEN.test(token)) problems.push('token must be 16-512 characters of A-Z a-z 0-9 . _ ~ + / = -');
  const unknown = Object.keys(rest);
  if (unknown.length > 0) problems.push(`unknown field ${unknown.join(', ')} (allowed: name, role, token)`);
  if (problems.length > 0) throw new TokenError(`${where}: ${problems.join('; ')}`);
  return { name: name as string, role: role as Role, token: token as string };
}

export function parseTokensFile(text: string, file: string): ApiToken[] {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (err) {
    throw new TokenError(`tokens file ${file}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) throw new TokenError(`tokens file ${file}: must hold a list "tokens" of {name, role, token}`);
  return list.map((entry, i) => checkToken(entry, `tokens file ${file}: tokens/${i}`));
}

export function parseTokensEnv(value: string, variable: string): ApiToken[] {
  return value.split(',').map((part) => part.trim()).filter(Boolean).map((part, i) => {
    const [name, role, ...token] = part.split(':');
    return checkToken({ name, role, token: token.join(':') }, `${variable} entry ${i + 1} (name:role:token)`);
  });
}

/** Every token from the file and the variable; duplicates are refused, since one would shadow the other. */
export async function loadApiTokens(file: string | undefined, envValue: string | undefined): Promise<ApiToken[]> {
  const tokens: ApiToken[] = [];
  if (file !== undefined) {
    const text = await readFile(file, 'utf8').catch((err: Error) => {
      throw new TokenError(`tokens file ${file}: ${err.message}`);
    });
    tokens.push(...parseTokensFile(text, file));
  }
  if (envValue) tokens.push(...parseTokensEnv(envValue, 'LANEWAY_API_TOKENS'));
  const seen = new Map<string, string>();
  for (const t of tokens) {
    const first = seen.get(t.token);
    if (first !== undefined) throw new TokenError(`API tokens "${first}" and "${t.name}" have the same token`);
    seen.set(t.token, t.name);
  }
  return tokens;
}

/** Looks callers up by their token's digest. */
export class TokenRegistry {
  private readonly byDigest = new Map<string, Caller>();

  constructor(tokens: ApiToken[]) {
    for (const t of tokens) this.byDigest.set(digest(t.token), { name: t.name, role: t.role });
  }

  get size(): number {
    return this.byDigest.size;
  }

  find(token: string): Caller | undefined {
    return this.byDigest.get(digest(token));
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

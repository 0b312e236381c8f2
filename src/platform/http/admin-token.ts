import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, DEFAULT_DATA_DIR } from "../../config.ts";

/** Where the platform operator's token (creating tenants, /api/v1/ops) comes from. */
export type AdminAccess =
  | { source: "environment"; token: string }
  /** Outside production without ADMIN_TOKEN: a token kept in DATA_DIR (`created` on its first start). */
  | { source: "file"; token: string; path: string; created: boolean }
  /** In production without ADMIN_TOKEN: platform operations answer 403 `admin_disabled`. */
  | { source: "disabled"; token: undefined };

/** The file under DATA_DIR that holds a development instance's admin token. */
const ADMIN_TOKEN_FILE = "admin-token";

/**
 * Decides the admin token at start-up, so that a first `npm start` can create a tenant without a
 * restart: ADMIN_TOKEN when set; otherwise, outside production, a random token generated once and kept
 * in `DATA_DIR/admin-token` (mode 0600, only the owner may read it), read again on later starts; in
 * production nothing (the operator sets ADMIN_TOKEN deliberately).
 *
 * The token is 32 random bytes, base64url (43 characters of RFC 6750's token68 alphabet).
 * @throws ConfigError when the file exists but is readable by others or holds no valid token.
 */
export async function resolveAdminAccess(options: {
  adminToken: string | undefined;
  environment: string;
  dataDir: string;
}): Promise<AdminAccess> {
  if (options.adminToken) return { source: "environment", token: options.adminToken };
  if (options.environment === "production") return { source: "disabled", token: undefined };

  const path = resolve(join(options.dataDir, ADMIN_TOKEN_FILE));
  const existing = await readTokenFile(path);
  if (existing) return { source: "file", token: existing, path, created: false };

  await mkdir(options.dataDir, { recursive: true });
  const token = randomBytes(32).toString("base64url");
  // Written whole under another name, then linked into place: link() never replaces an existing file,
  // so two instances starting at once on one DATA_DIR end up with the same, complete token.
  const draft = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(draft, `${token}\n`, { mode: 0o600 });
  try {
    await link(draft, path);
    return { source: "file", token, path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return { source: "file", token: (await readTokenFile(path)) as string, path, created: false };
  } finally {
    await unlink(draft);
  }
}

/**
 * The admin token for a tool run beside a local instance (`npm run demo`, `npm run loadtest`): ADMIN_TOKEN
 * when set, else the token the instance generated in DATA_DIR (./data by default); undefined when neither.
 * @throws ConfigError as resolveAdminAccess does for a file others can read or one without a token.
 */
export async function localAdminToken(env: Record<string, string | undefined>): Promise<string | undefined> {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  return readTokenFile(resolve(join(env.DATA_DIR || DEFAULT_DATA_DIR, ADMIN_TOKEN_FILE)));
}

/** The token in `path`; undefined when there is no such file. */
async function readTokenFile(path: string): Promise<string | undefined> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!info) return undefined;
  // Like ssh with a private key: a token others can read is not used (POSIX permissions only).
  if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
    throw new ConfigError(
      `Invalid configuration: ADMIN_TOKEN is unset and ${path} is readable by other users; run chmod 600 on it, or set ADMIN_TOKEN`,
    );
  }
  const token = (await readFile(path, "utf8")).trim();
  if (!/^[\w.~+/=-]{16,512}$/.test(token)) {
    throw new ConfigError(
      `Invalid configuration: ADMIN_TOKEN is unset and ${path} holds no token (16 to 512 characters of A-Z a-z 0-9 - . _ ~ + / =); delete it to have a new one generated, or set ADMIN_TOKEN`,
    );
  }
  return token;
}

import { loadConfig } from "../../src/config.ts";
import { startServer } from "../../src/server.ts";
import { createService, type Service } from "../../src/service.ts";
import { createTestDatabase, testCacheEnv } from "./database.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface TestService {
  url: string;
  service: Service;
  close(): Promise<void>;
}

/** The real service on a loopback port inside the test process, with its own database. */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const database = await createTestDatabase();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    ADMIN_TOKEN,
    PASSWORD_HASH_COST: "10",
    DATABASE_POOL_MAX: "4",
    ...database.env,
    ...testCacheEnv(),
    ...env,
  });
  const service = await createService(config);
  const server = await startServer(service.app.fetch, {
    port: config.port,
    host: config.host,
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
  });
  service.lifecycle.ready = true;
  return {
    url: `http://127.0.0.1:${server.port}`,
    service,
    async close() {
      await server.close(5000);
      await service.close();
      await database.drop();
    },
  };
}

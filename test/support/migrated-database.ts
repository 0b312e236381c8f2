import { connectDatabase, type Database } from "../../src/platform/db/client.ts";
import { migrate } from "../../src/platform/db/migrate.ts";
import { createTestDatabase } from "./database.ts";

/**
 * A fresh database (see createTestDatabase) connected in process through the service's own client and
 * migrated; `close()` disconnects and drops it.
 */
export async function connectMigratedTestDatabase(): Promise<{ db: Database; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = await connectDatabase({
    url: database.env.DATABASE_URL,
    poolMax: database.env.DATABASE_URL ? 4 : 1,
    dataDir: database.env.DATA_DIR ?? "./data",
    queryTimeoutMs: 5000,
  });
  await migrate(db.sql);
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

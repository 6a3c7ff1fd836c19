// Configuration of the chakra command for the realtime app: `pnpm migrate` and
// `pnpm makemigrations` in this folder. A bare DATABASE_URL path is an
// SQLite file, as for `pnpm realtime`.
import { defineConfig } from "@chakra-orm/cli";

const url = process.env.DATABASE_URL?.trim() || "var/realtime.db";

export default defineConfig({
  databaseUrl: /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `sqlite:${url}`,
  models: ["./src/models.ts"],
  migrations: "./migrations",
});

/** Test server settings, free of workspace imports so jest's globalSetup can load them. */

/** Set by global-setup.ts to the reason the server is unreachable. */
export const SKIP_VARIABLE = "CHAKRA_MYSQL_SKIP";

/** The test server, overridable with CHAKRA_MYSQL_HOST, _PORT, _USER and _PASSWORD. */
export function serverOptions(): { host: string; port: number; user: string; password: string } {
  return {
    host: process.env.CHAKRA_MYSQL_HOST ?? "127.0.0.1",
    port: Number(process.env.CHAKRA_MYSQL_PORT ?? 3306),
    user: process.env.CHAKRA_MYSQL_USER ?? "root",
    password: process.env.CHAKRA_MYSQL_PASSWORD ?? "",
  };
}

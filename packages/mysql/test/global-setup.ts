/**
 * Checks once per jest run that the test server answers. When it does not,
 * the suites skip with one line of reason, unless CHAKRA_REQUIRE_DBS=1 makes
 * the run fail instead. Workers inherit the environment variable set here.
 */
import mysql2 from "mysql2/promise";
// Jest loads globalSetup without the moduleNameMapper that strips ".js" suffixes.
import { SKIP_VARIABLE, serverOptions } from "./server-settings";

export default async function globalSetup(): Promise<void> {
  const options = serverOptions();

  try {
    const connection = await mysql2.createConnection({ ...options, connectTimeout: 10_000 });
    await connection.end();
    delete process.env[SKIP_VARIABLE];
  } catch (error) {
    const reason = `MySQL/MariaDB at ${options.host}:${options.port} is unreachable (${(error as Error).message})`;

    if (process.env.CHAKRA_REQUIRE_DBS === "1") {
      throw new Error(`${reason}. CHAKRA_REQUIRE_DBS=1 requires the database tests to run.`);
    }

    process.env[SKIP_VARIABLE] = reason;
    console.warn(`Skipping the MySQL tests: ${reason}.`);
  }
}

/**
 * A connection URL's password never reaches error messages, stack traces,
 * util.inspect() output or the CHAKRA_LOG=queries lines. The URLs point at
 * a port on 127.0.0.1 where nothing listens, so connecting always fails.
 * The wrong-password case against a real server is in restart.test.ts.
 */
import { inspect } from "node:util";
import { ChakraError, ConnectionError, Database, type Dialect } from "@chakra-orm/core";

const PASSWORD = "Sup3r-Secret-pw-4711";
const CLOSED_PORT = 59_999;

async function dialectFor(name: string): Promise<Dialect> {
  if (name === "postgres") {
    const { postgres } = await import("@chakra-orm/postgres");

    return postgres({ connectionString: `postgres://app:${PASSWORD}@127.0.0.1:${CLOSED_PORT}/app`, connectionTimeoutMillis: 2_000, onError: () => undefined });
  }

  const { mysql } = await import("@chakra-orm/mysql");

  return mysql({ uri: `mysql://app:${PASSWORD}@127.0.0.1:${CLOSED_PORT}/app`, connectTimeout: 2_000 });
}

/** Runs `fn` with CHAKRA_LOG=queries and returns what it wrote to stderr. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));

    return true;
  }) as typeof process.stderr.write;

  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }

  return chunks.join("");
}

describe.each(["postgres", "mysql"])("%s secrets", (name) => {
  test("password stays out of every output", async () => {
    const previous = process.env.CHAKRA_LOG;
    process.env.CHAKRA_LOG = "queries";
    let error: unknown;
    let db: Database | undefined;
    let dialect: Dialect | undefined;

    const logged = await captureStderr(async () => {
      try {
        dialect = await dialectFor(name);
        db = new Database({ dialect, name: `${name}-secret` });
        await db.sql`select 1`;
      } catch (caught) {
        error = caught;
      } finally {
        process.env.CHAKRA_LOG = previous;
      }
    });

    expect(error).toBeInstanceOf(ConnectionError);
    expect(ChakraError.is(error)).toBe(true);
    const surfaces: Record<string, string> = {
      message: String(error),
      stack: (error as Error).stack ?? "",
      "inspect(error)": inspect(error, { depth: 8 }),
      "JSON(error)": JSON.stringify(error),
      "inspect(db)": inspect(db, { depth: 8 }),
      "inspect(dialect)": inspect(dialect, { depth: 8 }),
      "inspect(driver)": inspect(dialect!.driver, { depth: 8 }),
      "CHAKRA_LOG output": logged,
    };
    const leaks = Object.entries(surfaces).filter(([, text]) => text.includes(PASSWORD)).map(([surface]) => surface);

    expect(leaks).toEqual([]);
    await db!.close();
  });
});

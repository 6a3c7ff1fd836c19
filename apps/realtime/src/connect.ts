/** Opens the app's database from a DATABASE_URL-style string. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Database, type Dialect } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";
import { MODELS } from "./models.js";

export type DialectName = "sqlite" | "postgres" | "mysql";

export interface DatabaseTarget {
  dialect: DialectName;
  /** The file path for SQLite, the URL otherwise. */
  location: string;
}

/**
 * Parses a DATABASE_URL value. `postgres://`, `postgresql://` and
 * `mysql://` URLs select those servers; `sqlite:PATH`, `file:PATH` or a bare
 * path selects an SQLite file, resolved against `baseDir`.
 */
export function parseDatabaseUrl(
  url: string | undefined,
  defaultFile: string,
  baseDir: string,
): DatabaseTarget {
  const value = url?.trim() ?? "";

  if (value === "") {
    return { dialect: "sqlite", location: defaultFile };
  }

  if (/^postgres(ql)?:\/\//i.test(value)) {
    return { dialect: "postgres", location: value };
  }

  if (/^mysql:\/\//i.test(value)) {
    return { dialect: "mysql", location: value };
  }

  const file = value.replace(/^(sqlite|file):(\/\/)?/i, "");

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new Error(
      `DATABASE_URL "${redactUrl(value)}" has an unsupported scheme. Use postgres://, mysql://, or an SQLite file path.`,
    );
  }

  if (file === ":memory:") {
    return { dialect: "sqlite", location: file };
  }

  return { dialect: "sqlite", location: path.resolve(baseDir, file) };
}

/** Replaces the password in a URL with `***`, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

type DialectFactory = (url: string) => Dialect;

/**
 * Loads a server dialect package at run time. The import is dynamic so the
 * SQLite path works while those packages are unbuilt or unfinished.
 */
async function loadServerDialect(
  packageName: string,
  exportName: string,
): Promise<DialectFactory> {
  let loaded: Record<string, unknown>;

  try {
    loaded = (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `Loading ${packageName} failed: ${(error as Error).message}. Build it with "pnpm --filter ${packageName} build".`,
      { cause: error },
    );
  }

  const factory = loaded[exportName];

  if (typeof factory !== "function") {
    throw new Error(
      `${packageName} does not export ${exportName}(url) yet, so DATABASE_URL cannot use it.`,
    );
  }

  return factory as DialectFactory;
}

/** Opens the database, makes it the default for the models, and returns it. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  let dialect: Dialect;

  if (target.dialect === "sqlite") {
    if (target.location !== ":memory:") {
      mkdirSync(path.dirname(target.location), { recursive: true });
    }

    dialect = sqlite({ filename: target.location });
  } else if (target.dialect === "postgres") {
    dialect = (await loadServerDialect("@chakra-orm/postgres", "postgres"))(
      target.location,
    );
  } else {
    dialect = (await loadServerDialect("@chakra-orm/mysql", "mysql"))(
      target.location,
    );
  }

  return new Database({ dialect, models: [...MODELS] }).setDefault();
}

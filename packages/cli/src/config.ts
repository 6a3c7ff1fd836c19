/** Finds and loads chakra.config.ts (or .mts, .js, .mjs, .cjs) and opens its database. */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Database, type ModelClass } from "@chakra-orm/core";
import { UsageError } from "./exit-codes.js";

export interface ChakraConfig {
  /** `sqlite:path/to/file.db`, `postgres://...` or `mysql://...`. */
  databaseUrl?: string;
  /** Opens the database. It takes precedence over `databaseUrl`. */
  database?: () => Database | Promise<Database>;
  /** Module paths (relative to the config file) that define the models, or the model classes. */
  models: string | readonly string[] | readonly ModelClass[];
  /** Folder of migration files, relative to the config file. Default `migrations`. */
  migrations?: string;
}

/** Declares a config file's default export with its type checked. */
export function defineConfig(config: ChakraConfig): ChakraConfig {
  return config;
}

export const CONFIG_NAMES = ["chakra.config.ts", "chakra.config.mts", "chakra.config.js", "chakra.config.mjs", "chakra.config.cjs"];

export interface LoadedConfig {
  config: ChakraConfig;
  file: string;
  /** The config file's folder; relative paths in the config start here. */
  root: string;
  migrationsFolder: string;
}

let loaderRegistered = false;

/**
 * Lets `import()` load TypeScript files (config, models and migrations)
 * through tsx's loader hooks, unless the process already runs under tsx.
 */
export async function registerTypeScript(): Promise<void> {
  const underTsx = process.execArgv.some((argument) => argument.includes("tsx"));

  if (loaderRegistered || underTsx) {
    return;
  }

  // Both hooks, as `node --import tsx` installs them, because a .ts file
  // outside a "type": "module" package is CommonJS and goes through require().
  const esm = await import("tsx/esm/api");
  const cjs = await import("tsx/cjs/api");
  esm.register();
  cjs.register();
  loaderRegistered = true;
}

/** Imports a module by path; TypeScript works once `registerTypeScript` ran. */
export async function importFile(file: string): Promise<unknown> {
  return import(pathToFileURL(file).href);
}

export async function loadConfig(explicit: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = explicit ? resolve(cwd, explicit) : CONFIG_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));

  if (!file || !existsSync(file)) {
    throw new UsageError(
      explicit
        ? `Config file ${explicit} not found. Check the --config path.`
        : `No chakra.config.ts found in ${cwd}. Create one (see docs/migrations.md) or pass --config PATH.`,
    );
  }

  await registerTypeScript();
  const module = (await importFile(file)) as { default?: unknown };
  let config = module.default as ChakraConfig | { default?: ChakraConfig } | undefined;

  if (config && "default" in config && config.default) {
    config = config.default;
  }

  if (!config || typeof config !== "object" || !("models" in config)) {
    throw new UsageError(`${file} must export default defineConfig({ databaseUrl, models, migrations }). "models" is missing.`);
  }

  const root = dirname(file);

  return { config, file, root, migrationsFolder: resolve(root, config.migrations ?? "migrations") };
}

/** Imports the model modules the config names, or returns its model classes. */
export async function loadModels(loaded: LoadedConfig): Promise<ModelClass[] | undefined> {
  const list = typeof loaded.config.models === "string" ? [loaded.config.models] : loaded.config.models;

  if (list.every((item) => typeof item !== "string")) {
    return list as ModelClass[];
  }

  for (const item of list as string[]) {
    const file = isAbsolute(item) ? item : resolve(loaded.root, item);

    try {
      await importFile(file);
    } catch (error) {
      throw new Error(`Could not import the models module ${file} named in ${loaded.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  // Every model that the modules defined.
  return undefined;
}

export async function openDatabase(loaded: LoadedConfig): Promise<Database> {
  const { config } = loaded;

  if (config.database) {
    return config.database();
  }

  const url = process.env.CHAKRA_DATABASE_URL ?? config.databaseUrl;

  if (!url) {
    throw new UsageError(`${loaded.file} sets neither databaseUrl nor database. Add one of them, or set CHAKRA_DATABASE_URL.`);
  }

  return new Database({ dialect: await dialectFor(url, loaded.root), name: "chakra-cli" });
}

async function dialectFor(url: string, root: string) {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { postgres } = await importDialect<typeof import("@chakra-orm/postgres")>("@chakra-orm/postgres");

    return postgres(url);
  }

  if (/^(mysql|mariadb):\/\//.test(url)) {
    const { mysql } = await importDialect<typeof import("@chakra-orm/mysql")>("@chakra-orm/mysql");

    return mysql(url.replace(/^mariadb:/, "mysql:"));
  }

  const sqliteMatch = /^(?:sqlite|file):(?:\/\/)?(.*)$/.exec(url) ?? (/\.(db|sqlite3?)$/.test(url) ? [url, url] : null);

  if (sqliteMatch) {
    const { sqlite } = await importDialect<typeof import("@chakra-orm/sqlite")>("@chakra-orm/sqlite");
    const path = sqliteMatch[1] as string;

    return sqlite({ filename: path === ":memory:" ? path : resolve(root, path) });
  }

  throw new UsageError(`Unsupported databaseUrl scheme in "${redact(url)}". Use sqlite:FILE, postgres://... or mysql://...`);
}

async function importDialect<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw new UsageError(`The databaseUrl needs ${name}, which could not be loaded (${(error as Error).message}). Install it: pnpm add ${name}`);
  }
}

/** Hides the password of a connection URL. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

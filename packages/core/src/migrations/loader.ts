/** Finds, imports and fingerprints the migration files of a folder. */
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { MigrationError } from "./errors.js";
import { applyOperation, type MigrationDefinition, type Operation } from "./operations.js";
import { stableJson, type SchemaState } from "./state.js";

export interface LoadedMigration {
  /** The file name without its extension, such as `0002_add_posts_slug`. */
  name: string;
  file: string;
  operations: Operation[];
  atomic: boolean;
  /** SHA-256 of the operations; runCode steps count by their source text. */
  checksum: string;
}

/** Imports one module; the CLI passes a loader that understands TypeScript. */
export type ModuleImporter = (file: string) => Promise<unknown>;

const MIGRATION_FILE = /^(\d{4,})_[A-Za-z0-9_]+\.(ts|mts|js|mjs|cjs)$/;

/** Lists migration files in name order: `0001_initial.ts`, `0002_...`. */
export function migrationFiles(folder: string): string[] {
  if (!existsSync(folder)) {
    return [];
  }

  const files = readdirSync(folder)
    .filter((name) => MIGRATION_FILE.test(name) && !name.endsWith(".d.ts"))
    .sort();
  const byNumber = new Map<string, string>();

  for (const name of files) {
    const number = MIGRATION_FILE.exec(name)?.[1] ?? "";
    const other = byNumber.get(number);

    if (other) {
      throw new MigrationError(
        `Migrations ${other} and ${name} in ${folder} share the number ${number}. Renumber one of them (and check that its operations still apply after the other's).`,
        { code: "conflict", file: join(folder, name) },
      );
    }

    byNumber.set(number, name);
  }

  return files.map((name) => join(resolve(folder), name));
}

export function migrationName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;

  return base.replace(/\.(ts|mts|js|mjs|cjs)$/, "");
}

export function checksumOf(operations: readonly Operation[]): string {
  return createHash("sha256").update(stableJson(operations)).digest("hex");
}

/** Imports every migration of `folder`, in order. */
export async function loadMigrations(
  folder: string,
  importer: ModuleImporter = (file) => import(file),
): Promise<LoadedMigration[]> {
  const loaded: LoadedMigration[] = [];

  for (const file of migrationFiles(folder)) {
    let module: unknown;

    try {
      module = await importer(file);
    } catch (error) {
      throw new MigrationError(
        `Could not import migration ${file}: ${(error as Error).message}. Fix the file, or delete it if makemigrations wrote it by mistake.`,
        { code: "load", file, migration: migrationName(file), cause: error },
      );
    }

    const definition = definitionOf(module);

    if (!definition) {
      throw new MigrationError(
        `Migration ${file} has no default export of migration({ operations: [...] }). Export the migration as default.`,
        { code: "load", file, migration: migrationName(file) },
      );
    }

    loaded.push({
      name: migrationName(file),
      file,
      operations: definition.operations,
      atomic: definition.atomic !== false,
      checksum: checksumOf(definition.operations),
    });
  }

  return loaded;
}

function definitionOf(module: unknown): MigrationDefinition | undefined {
  let candidate = (module as { default?: unknown } | undefined)?.default;

  // A CommonJS build of an ES module nests the default export one level down.
  if (candidate && !Array.isArray((candidate as MigrationDefinition).operations)) {
    candidate = (candidate as { default?: unknown }).default;
  }

  return candidate && Array.isArray((candidate as MigrationDefinition).operations)
    ? (candidate as MigrationDefinition)
    : undefined;
}

/** Replays migrations in memory into the schema state they build. */
export function replay(migrations: readonly LoadedMigration[], state: SchemaState = new Map()): SchemaState {
  for (const item of migrations) {
    for (const operation of item.operations) {
      try {
        applyOperation(state, operation);
      } catch (error) {
        throw new MigrationError(`Migration ${item.file}: ${(error as Error).message}`, {
          code: "state",
          file: item.file,
          migration: item.name,
          cause: error,
        });
      }
    }
  }

  return state;
}

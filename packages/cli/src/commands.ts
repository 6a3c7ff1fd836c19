/** The chakra subcommands. Each returns an exit code and writes its output to the given streams. */
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import {
  Migrator,
  autodetect,
  describeOperation,
  introspect,
  loadMigrations,
  migrationFiles,
  renderMigration,
  renderModels,
  replay,
  stateFromModels,
  suggestName,
  type Database,
  type MigrationStatus,
  type RenameQuestion,
} from "@chakra-orm/core";
import { importFile, loadModels, openDatabase, type LoadedConfig } from "./config.js";
import { ExitCode, UsageError, type ExitCodeValue } from "./exit-codes.js";

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when questions can be asked on stdin. */
  interactive: boolean;
}

export interface MakeMigrationsOptions {
  name?: string;
  empty?: boolean;
  renames: { table: string; from: string; to: string }[];
  check?: boolean;
  dryRun?: boolean;
}

export async function makeMigrations(loaded: LoadedConfig, options: MakeMigrationsOptions, io: Output): Promise<ExitCodeValue> {
  const models = await loadModels(loaded);
  const migrations = await loadMigrations(loaded.migrationsFolder, importFile);
  const current = replay(migrations);
  const target = stateFromModels(models);
  const renames = options.renames;
  const result = options.empty
    ? { operations: [], warnings: [] }
    : await autodetect(current, target, { renames, askRename: io.interactive ? promptRename : undefined });

  if (result.operations.length === 0 && !options.empty) {
    io.out("No changes detected.");

    return ExitCode.ok;
  }

  for (const operation of result.operations) {
    io.out(`  - ${describeOperation(operation)}`);
  }

  for (const warning of result.warnings) {
    io.err(`warning: ${warning}`);
  }

  if (options.check) {
    io.err(`Models have ${result.operations.length} changes without a migration. Run chakra makemigrations.`);

    return ExitCode.pending;
  }

  const number = String(nextNumber(loaded.migrationsFolder)).padStart(4, "0");
  const suffix = options.name ?? (migrations.length === 0 ? "initial" : suggestName(result.operations));

  if (!/^[A-Za-z0-9_]+$/.test(suffix)) {
    throw new UsageError(`Invalid --name "${suffix}": use letters, digits and underscores.`);
  }

  const file = join(loaded.migrationsFolder, `${number}_${suffix}.ts`);
  const source = renderMigration(result.operations, { notes: result.warnings });

  if (options.dryRun) {
    io.out(source);

    return ExitCode.ok;
  }

  mkdirSync(loaded.migrationsFolder, { recursive: true });
  writeFileSync(file, source, { flag: "wx" });
  io.out(`Wrote ${relative(process.cwd(), file) || file} (${result.operations.length} operations).`);

  return ExitCode.ok;
}

/** Parses `--rename posts.body=content`. */
export function parseRename(text: string): { table: string; from: string; to: string } {
  const match = /^([^.=]+)\.([^.=]+)=([^.=]+)$/.exec(text);

  if (!match) {
    throw new UsageError(`Invalid --rename "${text}". Write it as TABLE.OLD_COLUMN=NEW_COLUMN, for example posts.body=content.`);
  }

  return { table: match[1] as string, from: match[2] as string, to: match[3] as string };
}

const promptRename: RenameQuestion = async (table, from, to) => {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });

  try {
    const answer = await prompt.question(`Was ${table}.${from} renamed to ${table}.${to}? [y/N] `);

    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
};

function nextNumber(folder: string): number {
  const numbers = migrationFiles(folder).map((file) => Number(/(\d+)_[^/\\]*$/.exec(file)?.[1] ?? 0));

  return Math.max(0, ...numbers) + 1;
}

export interface MigrateCommandOptions {
  target?: string;
  fake?: boolean;
  check?: boolean;
  lockTimeoutMs?: number;
}

export async function migrate(loaded: LoadedConfig, options: MigrateCommandOptions, io: Output): Promise<ExitCodeValue> {
  return withMigrator(loaded, io, async (migrator) => {
    if (options.check) {
      const pending = await migrator.pending();

      for (const name of pending) {
        io.out(`pending: ${name}`);
      }

      return pending.length > 0 ? ExitCode.pending : ExitCode.ok;
    }

    const result = await migrator.migrate({ target: options.target, fake: options.fake, lockTimeoutMs: options.lockTimeoutMs });

    if (result.applied.length === 0 && result.reverted.length === 0) {
      io.out("No migrations to apply.");
    } else {
      io.out(`Applied ${result.applied.length}, rolled back ${result.reverted.length}.`);
    }

    return ExitCode.ok;
  });
}

export async function showMigrations(loaded: LoadedConfig, io: Output): Promise<ExitCodeValue> {
  return withMigrator(loaded, io, async (migrator) => {
    const list = await migrator.status();

    if (list.length === 0) {
      io.out(`No migrations in ${loaded.migrationsFolder}.`);
    }

    for (const item of list) {
      io.out(statusLine(item));
    }

    return ExitCode.ok;
  });
}

function statusLine(item: MigrationStatus): string {
  if (item.missing) {
    return `[?] ${item.name} (applied, file missing)`;
  }

  if (item.changed) {
    return `[!] ${item.name} (applied, file changed since)`;
  }

  return item.applied ? `[X] ${item.name} (applied ${item.appliedAt})` : `[ ] ${item.name}`;
}

export async function sqlMigrate(loaded: LoadedConfig, name: string, backwards: boolean, io: Output): Promise<ExitCodeValue> {
  const migrations = await loadMigrations(loaded.migrationsFolder, importFile);
  const db = await openDatabase(loaded);

  try {
    const migrator = new Migrator(db, migrations);

    for (const line of migrator.sql(name, backwards)) {
      io.out(line);
    }
  } finally {
    await db.close();
  }

  return ExitCode.ok;
}

export async function inspectDb(loaded: LoadedConfig, tables: string[], output: string | undefined, io: Output): Promise<ExitCodeValue> {
  const db = await openDatabase(loaded);

  try {
    const state = await introspect(db);

    for (const name of [...state.keys()]) {
      if (tables.length > 0 && !tables.includes(name)) {
        state.delete(name);
      }
    }

    const missing = tables.filter((name) => !state.has(name));

    if (missing.length > 0) {
      io.err(`warning: no table named ${missing.join(", ")} in the database.`);
    }

    const source = renderModels(state);

    if (output) {
      const file = resolve(process.cwd(), output);

      if (existsSync(file)) {
        throw new UsageError(`${output} already exists. Choose another --output file or delete it first.`);
      }

      writeFileSync(file, source);
      io.out(`Wrote ${state.size} models to ${output}.`);
    } else {
      io.out(source);
    }
  } finally {
    await db.close();
  }

  return ExitCode.ok;
}

async function withMigrator(
  loaded: LoadedConfig,
  io: Output,
  run: (migrator: Migrator, db: Database) => Promise<ExitCodeValue>,
): Promise<ExitCodeValue> {
  const migrations = await loadMigrations(loaded.migrationsFolder, importFile);
  const db = await openDatabase(loaded);

  try {
    return await run(new Migrator(db, migrations, io.out), db);
  } finally {
    await db.close();
  }
}

/** Parses the chakra command line, runs a subcommand and maps errors to exit codes. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MigrationError } from "@chakra-orm/core";
import { inspectDb, makeMigrations, migrate, parseRename, showMigrations, sqlMigrate, type Output } from "./commands.js";
import { loadConfig } from "./config.js";
import { ExitCode, UsageError, type ExitCodeValue } from "./exit-codes.js";

const GLOBAL_HELP = `Usage: chakra <command> [options]

Commands:
  makemigrations   Write a migration for the changes between the models and the migration files
  migrate [NAME]   Apply pending migrations, or move forward or back to migration NAME ("zero" for none)
  showmigrations   List migrations, applied and pending
  sqlmigrate NAME  Print the SQL of a migration without running it
  inspectdb        Print model definitions for the tables of an existing database

Options for every command:
  --config PATH    Config file (default: chakra.config.ts, .mts, .js, .mjs or .cjs in the current folder)
  -h, --help       Show help for the command

Exit codes: 0 ok, 1 error, 2 invalid usage, 3 --check found pending work,
4 an applied migration file changed, 5 timed out waiting for the migration lock.`;

interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  positionals: { min: number; max: number };
  run: (values: Record<string, unknown>, positionals: string[], config: string | undefined, io: Output) => Promise<ExitCodeValue>;
}

const COMMON = { config: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

const COMMANDS: Record<string, Command> = {
  makemigrations: {
    help: `Usage: chakra makemigrations [options]

Compares the models with the state that the existing migration files build
(the database is not read) and writes the next migration file.

Options:
  --name NAME              File name suffix (default: derived from the first operation)
  --empty                  Write a migration with no operations, for runSql or runCode steps
  --rename TABLE.OLD=NEW   Treat a dropped and an added column as a rename; repeatable
  --no-input               Never ask about renames; unconfirmed renames become drop plus add
  --check                  Write nothing; exit 3 when the models have unmigrated changes
  --dry-run                Print the migration instead of writing it`,
    options: {
      name: { type: "string" },
      empty: { type: "boolean" },
      rename: { type: "string", multiple: true },
      "no-input": { type: "boolean" },
      check: { type: "boolean" },
      "dry-run": { type: "boolean" },
    },
    positionals: { min: 0, max: 0 },
    run: async (values, _positionals, config, io) => {
      const renames = ((values.rename as string[] | undefined) ?? []).map(parseRename);

      return makeMigrations(
        await loadConfig(config),
        {
          name: values.name as string | undefined,
          empty: values.empty === true,
          renames,
          check: values.check === true,
          dryRun: values["dry-run"] === true,
        },
        { ...io, interactive: io.interactive && values["no-input"] !== true },
      );
    },
  },
  migrate: {
    help: `Usage: chakra migrate [NAME] [options]

Applies pending migrations in order, each in a transaction where the
database has transactional DDL (PostgreSQL, SQLite). With NAME, moves to
that migration: later applied ones are rolled back, earlier pending ones
applied. NAME "zero" rolls back every migration.

Options:
  --fake                 Record (or unrecord) the migrations without running their SQL
  --check                Change nothing; exit 3 when migrations are pending
  --lock-timeout MS      Milliseconds to wait for another migrate run (default 60000)`,
    options: { fake: { type: "boolean" }, check: { type: "boolean" }, "lock-timeout": { type: "string" } },
    positionals: { min: 0, max: 1 },
    run: async (values, positionals, config, io) =>
      migrate(
        await loadConfig(config),
        {
          target: positionals[0],
          fake: values.fake === true,
          check: values.check === true,
          lockTimeoutMs: parseMilliseconds(values["lock-timeout"] as string | undefined),
        },
        io,
      ),
  },
  showmigrations: {
    help: `Usage: chakra showmigrations [options]

Lists every migration: [X] applied, [ ] pending, [!] applied but its file
changed since, [?] applied but its file is missing.`,
    options: {},
    positionals: { min: 0, max: 0 },
    run: async (_values, _positionals, config, io) => showMigrations(await loadConfig(config), io),
  },
  sqlmigrate: {
    help: `Usage: chakra sqlmigrate NAME [options]

Prints the SQL that applying migration NAME runs on the configured
database's dialect, without running it. NAME may be the number prefix.

Options:
  --backwards    Print the SQL that rolls the migration back`,
    options: { backwards: { type: "boolean" } },
    positionals: { min: 1, max: 1 },
    run: async (values, positionals, config, io) =>
      sqlMigrate(await loadConfig(config), positionals[0] as string, values.backwards === true, io),
  },
  inspectdb: {
    help: `Usage: chakra inspectdb [options]

Reads the tables of the configured database and prints Model.define code
for them, so an existing database can be adopted.

Options:
  --table NAME     Inspect only this table; repeatable
  --output FILE    Write the code to FILE instead of stdout (FILE must not exist)`,
    options: { table: { type: "string", multiple: true }, output: { type: "string" } },
    positionals: { min: 0, max: 0 },
    run: async (values, _positionals, config, io) =>
      inspectDb(await loadConfig(config), (values.table as string[] | undefined) ?? [], values.output as string | undefined, io),
  },
};

function parseMilliseconds(text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }

  const value = Number(text);

  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`Invalid --lock-timeout "${text}": give a whole number of milliseconds.`);
  }

  return value;
}

/** Runs the chakra command with `argv` (without the node and script paths) and returns its exit code. */
export async function runCli(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;

  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    (name === undefined ? io.err : io.out)(GLOBAL_HELP);

    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }

  const command = COMMANDS[name];

  if (!command) {
    io.err(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}. Run chakra --help.`);

    return ExitCode.usage;
  }

  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });

    if (values.help) {
      io.out(command.help);

      return ExitCode.ok;
    }

    if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
      throw new UsageError(`chakra ${name} takes ${command.positionals.max === 0 ? "no" : `${command.positionals.min === command.positionals.max ? "" : "at most "}${command.positionals.max}`} positional arguments, got ${positionals.length}. Run chakra ${name} --help.`);
    }

    return await command.run(values, positionals, values.config as string | undefined, io);
  } catch (error) {
    return reportError(error, name, io);
  }
}

function reportError(error: unknown, command: string, io: Output): ExitCodeValue {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    io.err(`chakra ${command}: ${(error as Error).message}`);

    return ExitCode.usage;
  }

  io.err(`chakra ${command} failed: ${(error as Error).message ?? String(error)}`);

  if (process.env.CHAKRA_DEBUG) {
    io.err(String((error as Error).stack));
  }

  if (MigrationError.is(error) && error instanceof MigrationError) {
    if (error.code === "checksum") {
      return ExitCode.checksum;
    }

    if (error.code === "lock") {
      return ExitCode.lockTimeout;
    }
  }

  return ExitCode.error;
}

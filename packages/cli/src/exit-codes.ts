/** Exit codes of the chakra command, stable for scripts. */
export const ExitCode = {
  /** The command succeeded. */
  ok: 0,
  /** The command failed: a database, file or migration error. */
  error: 1,
  /** Invalid arguments or options, or no config file. */
  usage: 2,
  /** `--check` found pending migrations (migrate) or unwritten model changes (makemigrations). */
  pending: 3,
  /** An applied migration file changed since it was applied. */
  checksum: 4,
  /** Another migrate run held the migration lock past the timeout. */
  lockTimeout: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Raised for invalid command-line input; the CLI exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Throwaway PostgreSQL and MariaDB servers on 127.0.0.1, in temporary
 * folders, for fault tests that restart a server. The shared servers on
 * 5432 and 3306 are never touched. Requires root (the PostgreSQL commands
 * run as the `postgres` user through su) and the Debian server packages.
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const MARIADB_INSTALL = "/usr/bin/mariadb-install-db";
const MARIADB_SERVER = "/usr/sbin/mariadbd";
/** Milliseconds a private server gets to accept connections after a start. */
const START_TIMEOUT_MS = 30_000;

export interface PrivateServer {
  readonly port: number;
  /** Connection URL for a user that exists on the server. */
  readonly url: string;
  /** The statement log, when the server writes one. */
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server hard and starts it again on the same port and data. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** Why private servers cannot run here, or undefined when they can. */
export function privateServersUnavailable(): string | undefined {
  if (userInfo().uid !== 0) {
    return "private servers need root, to run initdb as the postgres user";
  }

  for (const path of [`${PG_BIN}/initdb`, MARIADB_INSTALL, MARIADB_SERVER]) {
    if (!existsSync(path)) {
      return `${path} is not installed`;
    }
  }

  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function asPostgres(command: string): void {
  execFileSync("su", ["postgres", "-c", command], { stdio: "pipe", timeout: START_TIMEOUT_MS });
}

/** Resolves once something accepts TCP connections on the port, or rejects after the timeout. */
export async function waitForPort(port: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });

    if (open) {
      return;
    }

    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  throw new Error(`No server accepted connections on 127.0.0.1:${port} within ${timeoutMs} ms.`);
}

/**
 * Creates and starts a PostgreSQL 15 cluster that logs every statement.
 * Local socket connections are trusted and TCP ones need the password of
 * the superuser `chakra`.
 */
export async function startPrivatePostgres(port: number, password: string): Promise<PrivateServer> {
  const folder = mkdtempSync("/tmp/chakra-pg-");
  chownSync(folder, Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), 0);
  const data = join(folder, "data");
  const logFile = join(folder, "server.log");
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c log_statement=all -c fsync=off`;
  const pgCtl = (action: string) =>
    asPostgres(`${PG_BIN}/pg_ctl -D ${shellQuote(data)} -l ${shellQuote(logFile)} -w -m immediate -o ${shellQuote(options)} ${action}`);

  asPostgres(`${PG_BIN}/initdb -D ${shellQuote(data)} -U postgres --auth-local=trust --auth-host=scram-sha-256 > /dev/null`);
  pgCtl("start");
  asPostgres(`psql -h ${shellQuote(folder)} -p ${port} -d postgres -c ${shellQuote(`create user chakra with password '${password}' superuser`)}`);

  return {
    port,
    url: `postgres://chakra:${password}@127.0.0.1:${port}/postgres`,
    log: () => readFileSync(logFile, "utf8"),
    stop: async () => pgCtl("stop"),
    start: async () => pgCtl("start"),
    restart: async () => pgCtl("restart"),
    destroy: async () => {
      try {
        pgCtl("stop");
      } catch {
        // Already stopped.
      }

      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Creates and starts a MariaDB server whose root user has no password. */
export async function startPrivateMariadb(port: number): Promise<PrivateServer> {
  const folder = mkdtempSync("/tmp/chakra-my-");
  const data = join(folder, "data");
  const pidFile = join(folder, "server.pid");
  const logFile = join(folder, "general.log");

  execFileSync(MARIADB_INSTALL, ["--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"], {
    stdio: "pipe",
    timeout: START_TIMEOUT_MS,
  });

  const start = async () => {
    const child = spawn(
      MARIADB_SERVER,
      [
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(folder, "server.sock")}`,
        `--pid-file=${pidFile}`,
        "--user=root",
        `--log-error=${join(folder, "error.log")}`,
        "--general-log=1",
        `--general-log-file=${logFile}`,
      ],
      { detached: true, stdio: "ignore" },
    );
    child.unref();
    await waitForPort(port);
  };

  const stop = async () => {
    if (!existsSync(pidFile)) {
      return;
    }

    const pid = Number(readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + START_TIMEOUT_MS;

    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }

      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    rmSync(pidFile, { force: true });
  };

  await start();

  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/mysql`,
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

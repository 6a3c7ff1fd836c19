/**
 * Read replica routing against a real PostgreSQL streaming replica: the
 * primary on 127.0.0.1:5432 and the standby that
 * tooling/scripts/start-replica.sh runs on 127.0.0.1:5433. The file is
 * skipped when either server is unreachable, unless CHAKRA_REQUIRE_REPLICA=1.
 */
import { execFileSync } from "node:child_process";
import { Database, Model, connect, field, manager, sql, type QueryEvent } from "@chakra-orm/core";
import { postgres } from "@chakra-orm/postgres";

const PRIMARY = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const REPLICA = process.env.CHAKRA_PG_REPLICA_URL ?? "postgres://postgres@127.0.0.1:5433";
/** Maximum milliseconds to wait for the replica to replay a primary change. */
const REPLICATION_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 100;

class Note extends Model.define("replica_notes", {
  id: field.id(),
  body: field.string({ maxLength: 100 }),
}) {
  static objects = manager(this);
}

/** Returns whether something accepts TCP connections at the URL's host and port, within 2 s. */
function reachable(url: string): boolean {
  const { hostname, port } = new URL(url);
  const probe = `
    const socket = require("node:net").connect(${Number(port || 5432)}, ${JSON.stringify(hostname)});
    socket.on("connect", () => process.exit(0));
    socket.on("error", () => process.exit(1));
    setTimeout(() => process.exit(1), 2000);
  `;

  try {
    execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 5000 });

    return true;
  } catch {
    return false;
  }
}

/** Returns why the file cannot run here, or undefined when it can. */
function unavailableReason(): string | undefined {
  if (!(process.env.CHAKRA_AVAILABLE_DIALECTS ?? "").split(",").includes("postgres")) {
    return `no PostgreSQL primary at ${PRIMARY}`;
  }

  if (!reachable(REPLICA)) {
    return `no PostgreSQL replica at ${REPLICA}; start one with tooling/scripts/start-replica.sh`;
  }

  return undefined;
}

/** Polls `check` until it returns true, or returns false after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = REPLICATION_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    if (await check()) {
      return true;
    }

    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  return check();
}

const reason = unavailableReason();

if (reason !== undefined && process.env.CHAKRA_REQUIRE_REPLICA === "1") {
  describe("postgres replica routing", () => {
    test("replica is reachable", () => {
      throw new Error(`CHAKRA_REQUIRE_REPLICA=1 but ${reason}.`);
    });
  });
} else if (reason !== undefined) {
  process.stderr.write(`skipping postgres replica routing: ${reason}\n`);
  describe.skip("postgres replica routing", () => {
    test(`skipped: ${reason}`, () => undefined);
  });
} else {
  describe("postgres replica routing", () => {
    // The run id keeps two jest runs on one server from sharing a database.
    const scratch = `chakra_t_replica_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`.slice(0, 63);
    let primary: Database;
    let replica: Database;
    let events: { connection: string; sql: string }[] = [];

    const record = (event: QueryEvent): void => {
      events.push({ connection: event.connection, sql: event.sql });
    };

    async function onPrimaryAdmin(statement: ReturnType<typeof sql>): Promise<void> {
      const admin = new Database({ dialect: postgres(`${PRIMARY}/test`), name: "replica-test-admin" });

      try {
        await admin.raw(statement);
      } finally {
        await admin.close();
      }
    }

    beforeAll(async () => {
      await onPrimaryAdmin(sql`drop database if exists ${sql.identifier(scratch)} with (force)`);
      await onPrimaryAdmin(sql`create database ${sql.identifier(scratch)}`);

      const standby = new Database({ dialect: postgres(`${REPLICA}/postgres`), name: "replica-test-standby" });

      try {
        const replicated = await eventually(async () => {
          const rows = await standby.sql`select 1 from pg_database where datname = ${scratch}`;

          return rows.length === 1;
        });

        if (!replicated) {
          throw new Error(`Timed out after ${REPLICATION_TIMEOUT_MS} ms waiting for database ${scratch} to appear on the replica.`);
        }
      } finally {
        await standby.close();
      }

      ({ default: primary, replica } = connect(
        { default: postgres(`${PRIMARY}/${scratch}`), replica: postgres(`${REPLICA}/${scratch}`) },
        { models: [Note] },
      ));
      await primary.createTables();
      primary.on("query", record);
      replica.on("query", record);
    });

    afterAll(async () => {
      await primary?.close();
      await replica?.close();
      await onPrimaryAdmin(sql`drop database if exists ${sql.identifier(scratch)} with (force)`);
    });

    beforeEach(() => {
      events = [];
    });

    test("connect names both databases", () => {
      expect(primary.name).toBe("default");
      expect(replica.name).toBe("replica");
      expect(Database.get()).toBe(primary);
      expect(Database.get("replica")).toBe(replica);
    });

    test("replica connection is a standby", async () => {
      const [onReplica] = await replica.sql<{ recovery: boolean }>`select pg_is_in_recovery() as recovery`;
      const [onPrimary] = await primary.sql<{ recovery: boolean }>`select pg_is_in_recovery() as recovery`;

      expect(onReplica?.recovery).toBe(true);
      expect(onPrimary?.recovery).toBe(false);
      await expect(Note.objects.using(replica).create({ body: "on the standby" })).rejects.toThrow(/read-only/);
    });

    test("reads run on the replica", async () => {
      await Note.objects.count();
      await Note.objects.filter({ body: "none" }).exists();

      expect(events.map((event) => event.connection)).toEqual(["replica", "replica"]);
    });

    test("primary row replicates to routed reads", async () => {
      await primary.sql`insert into replica_notes (body) values (${"written on the primary"})`;
      events = [];

      const visible = await eventually(() => Note.objects.filter({ body: "written on the primary" }).exists());

      expect(visible).toBe(true);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((event) => event.connection === "replica")).toBe(true);
    });

    test("writes run on the primary", async () => {
      const note = await Note.objects.create({ body: "routed write" });

      expect(events.map((event) => event.connection)).toEqual(["default"]);
      expect(await Note.objects.using(primary).filter({ id: note.id }).exists()).toBe(true);

      note.body = "routed update";
      await note.save();
      await Note.objects.filter({ id: note.id }).using(primary).delete();

      expect(events.every((event) => event.connection === "default")).toBe(true);
    });

    test("transaction reads its own writes", async () => {
      const found = await primary.transaction(async () => {
        const note = await Note.objects.create({ body: "inside a transaction" });

        // The row is uncommitted, so only the primary's transaction can see it.
        return Note.objects.filter({ id: note.id }).first();
      });

      expect(found?.body).toBe("inside a transaction");
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((event) => event.connection === "default")).toBe(true);
    });
  });
}

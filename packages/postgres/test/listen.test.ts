import {
  ConnectionError,
  Database,
  ValidationError,
  type Dialect,
} from "@chakra-orm/core";
import pg from "pg";
import {
  MAX_PAYLOAD_BYTES,
  backoffDelay,
  listen,
  notify,
  postgres,
  PostgresListener,
} from "../src/index";
import {
  SERVER_URL,
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

const SUFFIX = "listen";
const GONE_SUFFIX = "listen_gone";
/** Time given to a notification that must not arrive, in milliseconds. */
const QUIET_MS = 300;
const WAIT_MS = 5000;

let url: string;
let db: Database;
const listeners: PostgresListener[] = [];

/** Collects payloads and waits, with a deadline, for a number of them. */
class Inbox {
  readonly payloads: string[] = [];
  #waiters: (() => void)[] = [];

  readonly handler = (payload: string): void => {
    this.payloads.push(payload);

    for (const wake of this.#waiters.splice(0)) {
      wake();
    }
  };

  async waitFor(count: number, timeoutMs = WAIT_MS): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;

    while (this.payloads.length < count) {
      const left = deadline - Date.now();

      if (left <= 0) {
        throw new Error(
          `expected ${count} notifications within ${timeoutMs} ms, received ${JSON.stringify(this.payloads)}`,
        );
      }

      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }

    return this.payloads;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function track(
  listener: Promise<PostgresListener>,
): Promise<PostgresListener> {
  const created = await listener;
  listeners.push(created);

  return created;
}

function waitForEvent(
  listener: PostgresListener,
  name: "reconnect" | "close",
  timeoutMs = WAIT_MS,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${name}" event within ${timeoutMs} ms`)),
      timeoutMs,
    );
    listener.once(name, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function terminateBackend(processId: number): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();

  try {
    await admin.query("select pg_terminate_backend($1)", [processId]);
  } finally {
    await admin.end();
  }
}

describePostgres("postgres listen and notify", () => {
  beforeAll(async () => {
    url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres({ connectionString: url, max: 3 }) });
  });

  afterEach(async () => {
    for (const listener of listeners.splice(0)) {
      await listener.close();
    }
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
    await dropTestDatabase(GONE_SUFFIX);
  });

  test("notify reaches a listener", async () => {
    const inbox = new Inbox();
    await track(listen(db, "feed", inbox.handler));
    await notify(db, "feed", "héllo 👋");

    expect(await inbox.waitFor(1)).toEqual(["héllo 👋"]);
  });

  test("payloads arrive in send order", async () => {
    const inbox = new Inbox();
    await track(listen(db, "ordered", inbox.handler));

    for (let index = 0; index < 20; index += 1) {
      await notify(db, "ordered", String(index));
    }

    expect(await inbox.waitFor(20)).toEqual(
      Array.from({ length: 20 }, (_, index) => String(index)),
    );
  });

  test("handler receives channel and process id", async () => {
    const messages: { channel: string; processId: number }[] = [];
    const inbox = new Inbox();
    await track(
      listen(db, "details", (payload, message) => {
        messages.push({
          channel: message.channel,
          processId: message.processId,
        });
        inbox.handler(payload);
      }),
    );
    await notify(db, "details");
    await inbox.waitFor(1);

    expect(inbox.payloads).toEqual([""]);
    expect(messages[0]?.channel).toBe("details");
    expect(messages[0]?.processId).toBeGreaterThan(0);
  });

  test("listener uses no pooled connection", async () => {
    const dialect = postgres({ connectionString: url, max: 1 });
    const listener = await track(
      listen(dialect, "own-connection", () => undefined),
    );

    expect(listener.connected).toBe(true);
    expect(dialect.driver.pool.totalCount).toBe(0);
    await dialect.driver.close();
  });

  test("committed transaction notifies after commit", async () => {
    const inbox = new Inbox();
    await track(listen(db, "tx", inbox.handler));

    await db.transaction(async () => {
      await notify(db, "tx", "inside");
      await sleep(QUIET_MS);

      expect(inbox.payloads).toEqual([]);
    });

    expect(await inbox.waitFor(1)).toEqual(["inside"]);
  });

  test("rolled-back transaction sends nothing", async () => {
    const inbox = new Inbox();
    await track(listen(db, "tx-rollback", inbox.handler));

    await expect(
      db.transaction(async () => {
        await notify(db, "tx-rollback", "undone");
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await notify(db, "tx-rollback", "after");

    expect(await inbox.waitFor(1)).toEqual(["after"]);
    await sleep(QUIET_MS);
    expect(inbox.payloads).toEqual(["after"]);
  });

  test("rolled-back savepoint drops its notify", async () => {
    const inbox = new Inbox();
    await track(listen(db, "savepoint", inbox.handler));

    await db.transaction(async () => {
      await notify(db, "savepoint", "outer");
      await db
        .transaction(async () => {
          await notify(db, "savepoint", "inner");
          throw new Error("undo inner");
        })
        .catch(() => undefined);
    });
    await notify(db, "savepoint", "last");

    expect(await inbox.waitFor(2)).toEqual(["outer", "last"]);
  });

  test("channel names are case-sensitive", async () => {
    const upper = new Inbox();
    const lower = new Inbox();
    const listener = await track(listen(db, "Feed.Updates", upper.handler));
    await listener.listen("feed.updates", lower.handler);
    await notify(db, "Feed.Updates", "upper");
    await notify(db, "feed.updates", "lower");

    expect(await upper.waitFor(1)).toEqual(["upper"]);
    expect(await lower.waitFor(1)).toEqual(["lower"]);
    await sleep(QUIET_MS);
    expect(upper.payloads).toEqual(["upper"]);
  });

  test("unlisten stops delivery", async () => {
    const first = new Inbox();
    const second = new Inbox();
    const listener = await track(listen(db, "stop", first.handler));
    const removeSecond = await listener.listen("stop", second.handler);
    await notify(db, "stop", "both");
    await first.waitFor(1);
    await second.waitFor(1);

    await removeSecond();
    await notify(db, "stop", "first only");
    await first.waitFor(2);

    await listener.unlisten("stop");
    await notify(db, "stop", "nobody");
    await sleep(QUIET_MS);

    expect(first.payloads).toEqual(["both", "first only"]);
    expect(second.payloads).toEqual(["both"]);
    expect(listener.channels).toEqual([]);
  });

  test("close ends delivery", async () => {
    const inbox = new Inbox();
    const listener = await listen(db, "closing", inbox.handler);
    await listener.close();
    await listener.close();
    await notify(db, "closing", "late");
    await sleep(QUIET_MS);

    expect(inbox.payloads).toEqual([]);
    expect(listener.connected).toBe(false);
    await expect(listener.connect()).rejects.toThrow(ConnectionError);
  });

  test("throwing handler reaches the error event", async () => {
    const errors: Error[] = [];
    const inbox = new Inbox();
    const listener = await track(
      listen(db, "faulty", () => {
        throw new Error("handler failed");
      }),
    );
    listener.on("error", (error) => errors.push(error));
    await listener.listen("faulty", inbox.handler);
    await notify(db, "faulty", "x");
    await inbox.waitFor(1);

    expect(errors.map((error) => error.message)).toEqual(["handler failed"]);
  });

  test("reconnects and listens again", async () => {
    const inbox = new Inbox();
    const listener = await track(
      listen(db, "resilient", inbox.handler, {
        initialDelayMs: 20,
        maxDelayMs: 200,
      }),
    );
    const disconnects: Error[] = [];
    listener.on("disconnect", (error) => disconnects.push(error));
    listener.on("error", () => undefined);
    const before = listener.processId!;
    const reconnected = waitForEvent(listener, "reconnect");

    await terminateBackend(before);
    await reconnected;
    await notify(db, "resilient", "after reconnect");

    expect(await inbox.waitFor(1)).toEqual(["after reconnect"]);
    expect(listener.processId).not.toBe(before);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]).toBeInstanceOf(ConnectionError);
  });

  test("channel added while disconnected is listened", async () => {
    const inbox = new Inbox();
    const listener = await track(
      listen(db, "first", () => undefined, {
        initialDelayMs: 300,
        maxDelayMs: 300,
      }),
    );
    listener.on("error", () => undefined);
    const reconnected = waitForEvent(listener, "reconnect");
    const disconnected = new Promise((resolve) =>
      listener.once("disconnect", resolve),
    );

    await terminateBackend(listener.processId!);
    await disconnected;
    await listener.listen("added-later", inbox.handler);
    await reconnected;
    await notify(db, "added-later", "seen");

    expect(await inbox.waitFor(1)).toEqual(["seen"]);
  });

  test("gives up after maxAttempts", async () => {
    const goneUrl = await createTestDatabase(GONE_SUFFIX);
    const listener = await track(
      listen(goneUrl, "gone", () => undefined, {
        initialDelayMs: 10,
        maxDelayMs: 20,
        maxAttempts: 2,
      }),
    );
    const errors: Error[] = [];
    listener.on("error", (error) => errors.push(error));
    const closed = waitForEvent(listener, "close");

    await dropTestDatabase(GONE_SUFFIX);
    await closed;

    expect(listener.connected).toBe(false);
    expect(errors).toHaveLength(3);
    expect(errors.at(-1)?.message).toMatch(
      /could not be restored after 2 attempts/,
    );
  });

  test("first connection failure rejects", async () => {
    const unreachable = "postgres://postgres@127.0.0.1:1/none";

    await expect(
      listen(unreachable, "feed", () => undefined, {
        connectionTimeoutMillis: 2000,
      }),
    ).rejects.toThrow(ConnectionError);
  });

  test.each([
    "",
    "has space",
    "semi;colon",
    'quote"',
    "x".repeat(64),
    "ünïcode",
  ])("rejects channel %p", async (channel) => {
    await expect(notify(db, channel, "x")).rejects.toThrow(ValidationError);
    await expect(listen(db, channel, () => undefined)).rejects.toThrow(
      ValidationError,
    );
  });

  test("accepts a 63-character channel", async () => {
    const channel = "c".repeat(63);
    const inbox = new Inbox();
    await track(listen(db, channel, inbox.handler));
    await notify(db, channel, "long name");

    expect(await inbox.waitFor(1)).toEqual(["long name"]);
  });

  test("rejects an oversized payload", async () => {
    await expect(
      notify(db, "feed", "x".repeat(MAX_PAYLOAD_BYTES + 1)),
    ).rejects.toThrow(/at most 7999/);
    await expect(notify(db, "feed", "é".repeat(4000))).rejects.toThrow(
      ValidationError,
    );
  });

  test("largest payload goes through", async () => {
    const inbox = new Inbox();
    const payload = "y".repeat(MAX_PAYLOAD_BYTES);
    await track(listen(db, "big", inbox.handler));
    await notify(db, "big", payload);

    expect((await inbox.waitFor(1))[0]).toBe(payload);
  });

  test("rejects a non-postgres database", async () => {
    const dialect = {
      name: "sqlite",
      driver: { close: async () => undefined },
      compiler: {},
    } as unknown as Dialect;
    const other = new Database({ dialect, name: "listen-sqlite-stand-in" });

    await expect(notify(other, "feed", "x")).rejects.toThrow(
      /exists only on PostgreSQL/,
    );
    await expect(listen(other, "feed", () => undefined)).rejects.toThrow(
      /exists only on PostgreSQL/,
    );
    await other.close();
  });
});

describe("backoffDelay", () => {
  test("doubles up to the cap", () => {
    const ranges = [1, 2, 3, 4, 10, 60].map((attempt) =>
      backoffDelay(attempt, 100, 1000),
    );

    expect(ranges[0]).toBeGreaterThanOrEqual(50);
    expect(ranges[0]).toBeLessThanOrEqual(100);
    expect(ranges[1]).toBeGreaterThanOrEqual(100);
    expect(ranges[1]).toBeLessThanOrEqual(200);
    expect(ranges[3]).toBeGreaterThanOrEqual(400);
    expect(ranges[3]).toBeLessThanOrEqual(800);
    expect(ranges[4]).toBeLessThanOrEqual(1000);
    expect(ranges[5]).toBeGreaterThanOrEqual(500);
    expect(ranges[5]).toBeLessThanOrEqual(1000);
  });

  test("rejects invalid options", () => {
    expect(
      () => new PostgresListener(url ?? SERVER_URL, { maxDelayMs: 0 }),
    ).toThrow(ValidationError);
  });
});

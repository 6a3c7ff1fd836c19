/**
 * Integration tests over real sockets on 127.0.0.1: a WebSocket client
 * subscribes, a record is created over HTTP, and the change arrives.
 *
 * SQLite (a temporary file) always runs. PostgreSQL and MySQL run on a
 * scratch database this file creates and drops, when the global setup found
 * the server (it fails instead when CHAKRA_REQUIRE_DBS=1 and one is missing).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Database } from "@chakra-orm/core";
import type { FastifyInstance } from "fastify";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import { importDataset } from "../src/import";
import { Comment } from "../src/models";
import { buildServer, type RealtimeServer } from "../src/server";
import {
  FeedClient,
  QUIET_MS,
  available,
  postJson,
  recreateScratch,
  request,
  serverTarget,
  sleep,
} from "./helpers";

const APP_DIR = path.join(__dirname, "..");
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const PUBLIC_DIR = path.join(APP_DIR, "public");
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_realtime_feed_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;
const SEED = 10;

const targets: { name: "sqlite" | "postgres" | "mysql"; run: boolean }[] = [
  { name: "sqlite", run: true },
  { name: "postgres", run: available.has("postgres") },
  { name: "mysql", run: available.has("mysql") },
];

describe.each(targets)("realtime feed on $name", ({ name, run }) => {
  let tempDir: string | undefined;
  let db: Database;
  let server: RealtimeServer;
  let app: FastifyInstance;
  let baseUrl: string;
  const clients: FeedClient[] = [];

  async function subscribe(channels: string[]): Promise<FeedClient> {
    const client = await FeedClient.connect(baseUrl, channels);
    clients.push(client);

    return client;
  }

  beforeAll(async () => {
    if (!run) {
      return;
    }

    let target: DatabaseTarget;

    if (name === "sqlite") {
      tempDir = mkdtempSync(path.join(tmpdir(), "chakra-realtime-"));
      target = {
        dialect: "sqlite",
        location: path.join(tempDir, "realtime.db"),
      };
    } else {
      await recreateScratch(name, SCRATCH, true);
      target = serverTarget(name, SCRATCH);
    }

    db = await openDatabase(target);
    const imported = await importDataset(db, {
      csvDir: CSV_DIR,
      migrationsDir: MIGRATIONS_DIR,
      mode: "recreate",
      seed: SEED,
    });
    expect(imported.counts).toEqual({ users: 272, posts: 177, seeded: SEED });
    server = await buildServer({ db, publicDir: PUBLIC_DIR });
    app = server.app;
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) {
      client.close();
    }
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();

    if (run && name !== "sqlite") {
      await recreateScratch(name, SCRATCH, false);
    }

    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  const maybe = run ? test : test.skip;

  maybe("uses the expected bus", async () => {
    const response = await request(baseUrl, "/health");

    expect(response.status).toBe(200);
    expect(response.body.dialect).toBe(name);
    expect(response.body.bus).toBe(name === "postgres" ? "postgres" : "local");
  });

  maybe("subscriber receives created comment", async () => {
    const client = await subscribe(["post:1"]);
    const created = await postJson(baseUrl, "/comments", {
      postId: 1,
      text: "Live comment ✓",
      userId: 14,
    });

    expect(created.status).toBe(201);

    const event = await client.waitForChange(
      (change) => change.id === created.body.comment.id,
    );

    expect(event.model).toBe("comment");
    expect(event.action).toBe("insert");
    expect(event.channels).toEqual(
      expect.arrayContaining(["all", "post:1", "user:14", "model:comment"]),
    );
    expect(event.payload.text).toBe("Live comment ✓");
    expect(event.payload.postTitle).toBe(
      "Are questions asked in conlangs accepted on this site?",
    );
    expect(event.payload.author).toBe("bytebuster");
  });

  maybe("change arrives once per client", async () => {
    const client = await subscribe(["all", "post:2", "model:comment"]);
    const created = await postJson(baseUrl, "/comments", {
      postId: 2,
      text: "only once",
      userName: "tester",
    });
    await client.waitForChange(
      (change) => change.id === created.body.comment.id,
    );
    await sleep(QUIET_MS);

    expect(
      client.changes.filter((change) => change.id === created.body.comment.id),
    ).toHaveLength(1);
  });

  maybe("rolled-back change is never delivered", async () => {
    const client = await subscribe(["all"]);

    await expect(
      db.transaction(async () => {
        await Comment.objects
          .using(db)
          .create({
            postId: 1,
            text: "rolled back in a transaction",
            userName: "x",
          });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    const dryRun = await postJson(baseUrl, "/comments", {
      postId: 1,
      text: "rolled back by dryRun",
      userName: "x",
      dryRun: true,
    });

    expect(dryRun.status).toBe(200);
    expect(dryRun.body.dryRun).toBe(true);

    const marker = await postJson(baseUrl, "/comments", {
      postId: 1,
      text: "marker after rollbacks",
      userName: "x",
    });
    await client.waitForChange(
      (change) => change.id === marker.body.comment.id,
    );
    await sleep(QUIET_MS);
    const texts = client.changes.map((change) => change.payload.text);

    expect(texts).not.toContain("rolled back in a transaction");
    expect(texts).not.toContain("rolled back by dryRun");
    expect(
      await Comment.objects
        .using(db)
        .filter({ text__startswith: "rolled back" })
        .count(),
    ).toBe(0);
  });

  maybe("other channels stay quiet", async () => {
    const watcher = await subscribe(["post:3"]);
    const other = await subscribe(["post:4"]);
    const created = await postJson(baseUrl, "/comments", {
      postId: 3,
      text: "for post 3",
      userName: "x",
    });
    const marker = await postJson(baseUrl, "/comments", {
      postId: 4,
      text: "for post 4",
      userName: "x",
    });
    await watcher.waitForChange(
      (change) => change.id === created.body.comment.id,
    );
    await other.waitForChange((change) => change.id === marker.body.comment.id);

    expect(other.changes.map((change) => change.payload.postId)).toEqual([4]);
    expect(watcher.changes.map((change) => change.payload.postId)).toEqual([3]);
  });

  maybe("unsubscribe stops changes", async () => {
    const client = await subscribe(["post:5", "post:6"]);
    client.send({ type: "unsubscribe", channels: ["post:5"] });
    await client.waitFor(
      (message) =>
        message.type === "subscribed" && message.channels?.length === 1,
    );
    await postJson(baseUrl, "/comments", {
      postId: 5,
      text: "unheard",
      userName: "x",
    });
    const marker = await postJson(baseUrl, "/comments", {
      postId: 6,
      text: "heard",
      userName: "x",
    });
    await client.waitForChange(
      (change) => change.id === marker.body.comment.id,
    );

    expect(client.changes.map((change) => change.payload.text)).toEqual([
      "heard",
    ]);
  });

  maybe("vote and delete are published", async () => {
    const client = await subscribe(["post:7"]);
    const vote = await postJson(baseUrl, "/votes", {
      postId: 7,
      voteType: "up",
    });

    expect(vote.status).toBe(201);
    await client.waitForChange(
      (change) => change.model === "vote" && change.id === vote.body.vote.id,
    );

    const created = await postJson(baseUrl, "/comments", {
      postId: 7,
      text: "to delete",
      userName: "x",
    });
    const deleted = await request(
      baseUrl,
      `/comments/${created.body.comment.id}`,
      { method: "DELETE" },
    );

    expect(deleted.status).toBe(204);

    const event = await client.waitForChange(
      (change) =>
        change.id === created.body.comment.id && change.action === "delete",
    );

    expect(event.payload.text).toBe("to delete");
  });

  maybe("feed lists newest first", async () => {
    const created = await postJson(baseUrl, "/comments", {
      postId: 8,
      text: "newest in feed",
      userName: "x",
    });
    const feed = await request(baseUrl, "/feed?limit=5");
    const perPost = await request(baseUrl, "/feed?channel=post:8");

    expect(feed.status).toBe(200);
    expect(feed.body.items[0].id).toBe(created.body.comment.id);
    expect(feed.body.items).toHaveLength(5);
    expect(feed.body.dataAttribution).toContain("CC BY-SA");
    expect(
      perPost.body.items.every((item: { channels: string[] }) =>
        item.channels.includes("post:8"),
      ),
    ).toBe(true);
  });

  maybe("seeded history keeps original times", async () => {
    const feed = await request(baseUrl, "/feed?limit=200");
    const seeded = feed.body.items.filter((item: { publishedAt: string }) =>
      item.publishedAt.startsWith("2018-02-06"),
    );

    // The dataset's first activity is votes of 2018-02-06 on the first questions.
    expect(seeded).toHaveLength(SEED);
    expect(
      seeded.every((item: { model: string }) => item.model === "vote"),
    ).toBe(true);
    expect(seeded[0].payload.postTitle).toEqual(expect.any(String));
  });

  test.each([
    [
      "unknown channel",
      { type: "subscribe", channels: ["everything"] },
      /invalid channel "everything"/,
    ],
    ["missing channels", { type: "subscribe" }, /invalid message/],
    ["not JSON", "{", /expected JSON/],
  ])("subscribe rejects %s", async (_label, message, expected) => {
    if (!run) {
      return;
    }

    const client = await subscribe(["all"]);
    client.send(message);
    const reply = await client.waitFor((item) => item.type === "error");

    expect(reply.message).toMatch(expected);
  });

  test.each([
    [
      "unknown post",
      { postId: 999999, text: "x" },
      /postId 999999 does not match any post/,
    ],
    ["blank text", { postId: 1, text: "   " }, /text must match pattern/],
    [
      "too long text",
      { postId: 1, text: "x".repeat(601) },
      /text must NOT have more than 600 characters/,
    ],
    [
      "unknown field",
      { postId: 1, text: "x", score: 3 },
      /must NOT have additional properties/,
    ],
  ])("create rejects %s", async (_label, payload, expected) => {
    if (!run) {
      return;
    }

    const response = await postJson(baseUrl, "/comments", payload);

    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(expected);
  });

  maybe("feed rejects invalid channel", async () => {
    const response = await request(baseUrl, "/feed?channel=post:abc");

    expect(response.status).toBe(400);
  });
});

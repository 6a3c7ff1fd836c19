/**
 * Two server processes on one PostgreSQL database: a change made through
 * one reaches the WebSocket clients of the other through LISTEN/NOTIFY,
 * and each client gets it once. Skipped when the global setup found no
 * PostgreSQL server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { openDatabase } from "../src/connect";
import { importDataset } from "../src/import";
import {
  FeedClient,
  QUIET_MS,
  available,
  postJson,
  recreateScratch,
  serverTarget,
  sleep,
} from "./helpers";

const APP_DIR = path.join(__dirname, "..");
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_realtime_cluster_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;
/** Milliseconds a server process may take to start (tsx compiles the sources first). */
const START_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 5000;

const run = available.has("postgres");
const describeCluster = run
  ? describe
  : (name: string, body: () => void) =>
      describe.skip(
        `${name} (skipped: no PostgreSQL server on 127.0.0.1)`,
        body,
      );

interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
}

/** Starts `pnpm realtime` as a child process on a free port and resolves with its URL. */
function startServer(databaseUrl: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      require.resolve("tsx/cli"),
      "--tsconfig",
      "tsconfig.run.json",
      "src/main.ts",
      "--no-replay",
    ],
    {
      cwd: APP_DIR,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: "0",
        CHAKRA_LOG: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `server did not start within ${START_TIMEOUT_MS} ms; output:\n${output.join("")}`,
        ),
      );
    }, START_TIMEOUT_MS);

    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match =
        /Realtime feed listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(
          output.join(""),
        );

      if (match) {
        clearTimeout(timer);
        resolve({ child, baseUrl: match[1]!, output });
      }
    };

    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `server exited with code ${code} before listening; output:\n${output.join("")}`,
        ),
      );
    });
  });
}

/** Sends SIGTERM and waits for the exit, then SIGKILL after STOP_TIMEOUT_MS. */
async function stopServer(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) {
    return;
  }

  const exited = new Promise<void>((resolve) =>
    server.child.once("exit", () => resolve()),
  );
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

describeCluster("two processes on one PostgreSQL database", () => {
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;
  const clients: FeedClient[] = [];

  beforeAll(async () => {
    await recreateScratch("postgres", SCRATCH, true);
    const target = serverTarget("postgres", SCRATCH);
    // Import here, so that the two processes never race to create the tables.
    const db = await openDatabase(target);

    try {
      await importDataset(db, {
        csvDir: path.join(APP_DIR, "data", "csv"),
        migrationsDir: path.join(APP_DIR, "migrations"),
        mode: "recreate",
        seed: 0,
      });
    } finally {
      await db.close();
    }

    [first, second] = await Promise.all([
      startServer(target.location),
      startServer(target.location),
    ]);
  }, START_TIMEOUT_MS * 2);

  afterAll(async () => {
    for (const client of clients) {
      client.close();
    }

    await Promise.all([stopServer(first), stopServer(second)]);
    await recreateScratch("postgres", SCRATCH, false);
  }, STOP_TIMEOUT_MS * 4);

  test("change reaches the other process", async () => {
    const remote = await FeedClient.connect(second!.baseUrl, ["post:1"]);
    const local = await FeedClient.connect(first!.baseUrl, ["all"]);
    clients.push(remote, local);

    expect(first!.baseUrl).not.toBe(second!.baseUrl);

    const created = await postJson(first!.baseUrl, "/comments", {
      postId: 1,
      text: "across processes",
      userName: "x",
    });

    expect(created.status).toBe(201);

    const remoteEvent = await remote.waitForChange(
      (change) => change.id === created.body.comment.id,
    );
    await local.waitForChange(
      (change) => change.id === created.body.comment.id,
    );
    await sleep(QUIET_MS);

    expect(remoteEvent.payload.text).toBe("across processes");
    expect(
      remote.changes.filter((change) => change.id === created.body.comment.id),
    ).toHaveLength(1);
    expect(
      local.changes.filter((change) => change.id === created.body.comment.id),
    ).toHaveLength(1);
  });

  test("both directions work", async () => {
    const client = await FeedClient.connect(first!.baseUrl, ["post:2"]);
    clients.push(client);
    const created = await postJson(second!.baseUrl, "/comments", {
      postId: 2,
      text: "from the second",
      userName: "x",
    });
    const event = await client.waitForChange(
      (change) => change.id === created.body.comment.id,
    );

    expect(event.payload.text).toBe("from the second");
  });

  test("rolled-back change reaches no process", async () => {
    const remote = await FeedClient.connect(second!.baseUrl, ["post:3"]);
    clients.push(remote);
    const dryRun = await postJson(first!.baseUrl, "/comments", {
      postId: 3,
      text: "never committed",
      userName: "x",
      dryRun: true,
    });

    expect(dryRun.status).toBe(200);

    const marker = await postJson(first!.baseUrl, "/comments", {
      postId: 3,
      text: "committed marker",
      userName: "x",
    });
    await remote.waitForChange(
      (change) => change.id === marker.body.comment.id,
    );
    await sleep(QUIET_MS);

    expect(remote.changes.map((change) => change.payload.text)).toEqual([
      "committed marker",
    ]);
  });
});

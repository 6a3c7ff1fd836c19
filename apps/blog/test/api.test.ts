/**
 * Integration tests: import the real dataset, start the server on a real
 * socket on 127.0.0.1, and call the API with fetch.
 *
 * SQLite (a temporary file) always runs. A postgres:// or mysql://
 * DATABASE_URL runs the same tests on that server as well. Point it at a
 * scratch database: the tests drop and recreate the blog's tables there.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql, type Database } from "@chakra-orm/core";
import type { FastifyInstance } from "fastify";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import { readCsv } from "../src/csv";
import { importDataset } from "../src/import";
import { buildServer } from "../src/server";

const APP_DIR = path.join(__dirname, "..");
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const SITE = "https://conlang.meta.stackexchange.com";

const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_blog_api_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;

/** Questions of the CSV file, read without the ORM, as the expected values. */
const csvQuestions = readCsv(CSV_DIR, "posts", ["id", "post_type_id", "title", "body"]).records.filter(
  (record) => record.post_type_id === "1",
);

function questionsContaining(text: string): number {
  const needle = text.toLowerCase();

  return csvQuestions.filter((record) => `${record.title ?? ""}\n${record.body}`.toLowerCase().includes(needle)).length;
}

interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * Every dialect runs the same tests: SQLite on a temporary file, the
 * servers on a scratch database this file creates and drops. A server that
 * is not reachable is skipped (the global setup fails instead when
 * CHAKRA_REQUIRE_DBS=1).
 */
const targets: { name: string; target: DatabaseTarget | undefined; temporary: boolean; admin?: string }[] = [
  { name: "sqlite", target: undefined, temporary: true },
  {
    name: "postgres",
    target: available.has("postgres") ? { dialect: "postgres", location: `${PG}/${SCRATCH}` } : undefined,
    temporary: false,
    admin: `${PG}/test`,
  },
  {
    name: "mysql",
    target: available.has("mysql") ? { dialect: "mysql", location: `${MY}/${SCRATCH}` } : undefined,
    temporary: false,
    admin: `${MY}/test`,
  },
];

/** Drops and creates the scratch database on a server. */
async function recreateScratch(target: DatabaseTarget, adminUrl: string, create: boolean): Promise<void> {
  const admin = await openDatabase({ dialect: target.dialect, location: adminUrl });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(SCRATCH)}`);

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(SCRATCH)}`);
    }
  } finally {
    await admin.close();
  }
}

describe.each(targets)("blog API on $name", ({ target, temporary, admin }) => {
  const run = temporary || target !== undefined;
  let tempDir: string | undefined;
  let db: Database;
  let app: FastifyInstance;
  let baseUrl: string;

  async function api(pathname: string, init: RequestInit = {}): Promise<JsonResponse> {
    const response = await fetch(`${baseUrl}${pathname}`, init);
    const text = await response.text();

    return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
  }

  function postJson(pathname: string, payload: unknown): Promise<JsonResponse> {
    return api(pathname, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
  }

  beforeAll(async () => {
    if (!run) {
      return;
    }

    let resolved = target;

    if (target && admin) {
      await recreateScratch(target, admin, true);
    }

    if (temporary) {
      tempDir = mkdtempSync(path.join(tmpdir(), "chakra-blog-"));
      resolved = { dialect: "sqlite", location: path.join(tempDir, "blog.db") };
    }

    db = await openDatabase(resolved!);
    const result = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "recreate", progress: null });
    expect(result.counts).toEqual({ users: 272, posts: 177, tags: 71, post_tags: 106, comments: 230 });
    app = buildServer({ db });
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();

    if (target && admin) {
      await recreateScratch(target, admin, false);
    }

    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  const maybe = run ? test : test.skip;
  const maybeEach = run ? test.each : test.skip.each;

  maybe("import skips a loaded database", async () => {
    const again = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "skip", progress: null });

    expect(again.skipped).toBe(true);
  });

  maybe("posts list newest questions first", async () => {
    const response = await api("/posts");

    expect(response.status).toBe(200);
    expect(response.body.totalCount).toBe(54);
    expect(response.body.page).toBe(1);
    expect(response.body.pageSize).toBe(20);
    expect(response.body.pageCount).toBe(3);
    expect(response.body.items).toHaveLength(20);
    expect(response.body.dataAttribution).toContain("CC BY-SA");

    const items = response.body.items as { type: string; createdAt: string }[];
    const dates = items.map((item) => item.createdAt);

    expect(items.every((item) => item.type === "question")).toBe(true);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  maybe("post summary carries author, tags and attribution", async () => {
    const response = await api("/posts?pageSize=100");
    const post = response.body.items.find((item: { id: number }) => item.id === 1);

    expect(post.title).toBe("Are questions asked in conlangs accepted on this site?");
    expect(post.tags).toEqual(expect.arrayContaining(["discussion"]));
    expect(post.author.id).toBe(14);
    expect(post.attribution.author).toBe(post.author.displayName);
    expect(post.attribution.url).toBe(`${SITE}/q/1`);
    expect(post.attribution.authorUrl).toBe(`${SITE}/users/14`);
    expect(post.attribution.license).toBe("CC BY-SA 3.0");
  });

  maybe("page 2 continues page 1", async () => {
    const first = await api("/posts?page=1&pageSize=10");
    const second = await api("/posts?page=2&pageSize=10");
    const firstIds = first.body.items.map((item: { id: number }) => item.id);
    const secondIds = second.body.items.map((item: { id: number }) => item.id);

    expect(second.status).toBe(200);
    expect(second.body.page).toBe(2);
    expect(second.body.pageCount).toBe(6);
    expect(secondIds).toHaveLength(10);
    expect(secondIds.filter((id: number) => firstIds.includes(id))).toEqual([]);
    expect(second.body.items[0].createdAt <= first.body.items[9].createdAt).toBe(true);
  });

  maybe("last page holds the remainder", async () => {
    const response = await api("/posts?page=6&pageSize=10");

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(4);
  });

  maybe("page past the end is 404", async () => {
    const response = await api("/posts?page=7&pageSize=10");

    expect(response.status).toBe(404);
    expect(response.body.error).toBe("Not Found");
    expect(response.body.message).toMatch(/page 7 is out of range/);
  });

  maybeEach([
    ["page=0", /page must be >= 1/],
    ["page=abc", /page must be integer/],
    ["pageSize=101", /pageSize must be <= 100/],
    ["q=", /q must NOT have fewer than 1 characters/],
  ])("invalid query %s is 400", async (query, message) => {
    const response = await api(`/posts?${query}`);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe("Bad Request");
    expect(response.body.message).toMatch(message);
  });

  maybe("contains is case-insensitive", async () => {
    const lower = await api("/posts?contains=moderat&pageSize=100");
    const upper = await api("/posts?contains=MODERAT&pageSize=100");

    expect(lower.status).toBe(200);
    expect(lower.body.totalCount).toBe(questionsContaining("moderat"));
    expect(lower.body.totalCount).toBeGreaterThan(0);
    expect(upper.body.totalCount).toBe(lower.body.totalCount);
  });

  maybeEach(["%", "_", "20%", "a_b"])("contains treats %p literally", async (text) => {
    const response = await api(`/posts?contains=${encodeURIComponent(text)}&pageSize=100`);

    expect(response.status).toBe(200);
    expect(response.body.totalCount).toBe(questionsContaining(text));
  });

  maybe("contains with % matches fewer than all", async () => {
    const response = await api(`/posts?contains=${encodeURIComponent("%")}&pageSize=100`);

    expect(response.body.totalCount).toBeLessThan(54);
  });

  maybe("full-text search ranks the title match first", async () => {
    const response = await api(`/posts?q=${encodeURIComponent("Community Moderator Election")}&pageSize=100`);
    const items = response.body.items as { id: number; title: string; rank: number }[];
    const ranks = items.map((item) => item.rank);

    expect(response.status).toBe(200);
    expect(items.length).toBeGreaterThan(0);
    expect(items[0]!.title).toBe("2019 Community Moderator Election");
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  maybe("full-text search matches whole words only", async () => {
    const response = await api("/posts?q=election&pageSize=100");
    const items = response.body.items as { id: number }[];
    const texts = new Map(csvQuestions.map((record) => [Number(record.id), `${record.title ?? ""} ${record.body}`.toLowerCase()]));

    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => texts.get(item.id)!.includes("elect"))).toBe(true);
    expect((await api("/posts?q=moderat")).body.totalCount).toBe(0);
  });

  maybeEach(['"unbalanced', "-", "*", "(", "NEAR(", "a OR"])("full-text search accepts %p", async (text) => {
    const response = await api(`/posts?q=${encodeURIComponent(text)}`);

    expect(response.status).toBe(200);
  });

  maybe("tag page lists its questions", async () => {
    const response = await api("/tags/discussion?pageSize=10&page=2");

    expect(response.status).toBe(200);
    expect(response.body.tag.name).toBe("discussion");
    expect(response.body.totalCount).toBe(52);
    expect(response.body.page).toBe(2);
    expect(response.body.items).toHaveLength(10);
    expect(response.body.items.every((item: { tags: string[] }) => item.tags.includes("discussion"))).toBe(true);
  });

  maybe("unknown tag is 404", async () => {
    const response = await api("/tags/no-such-tag");

    expect(response.status).toBe(404);
    expect(response.body.message).toBe('Tag "no-such-tag" not found.');
  });

  maybe("malformed tag name is 400", async () => {
    const response = await api(`/tags/${encodeURIComponent("Bad Tag")}`);

    expect(response.status).toBe(400);
  });

  maybe("post detail has answers and comments", async () => {
    const response = await api("/posts/1");
    const { post, answers } = response.body;

    expect(response.status).toBe(200);
    expect(post.id).toBe(1);
    expect(post.body).toContain("<p>");
    expect(post.acceptedAnswerId).toBe(2);
    expect(answers.map((answer: { id: number }) => answer.id)).toContain(2);
    expect(answers.every((answer: { parentId: number }) => answer.parentId === 1)).toBe(true);
    expect(answers[0].attribution.url).toMatch(new RegExp(`^${SITE}/a/\\d+$`));

    const answerComments = answers.flatMap((answer: { comments: unknown[] }) => answer.comments);

    expect(answerComments.length).toBeGreaterThan(0);
  });

  maybe("comment by deleted account keeps its name", async () => {
    // Comment 5 on post 2 was written by an account that no longer exists.
    const response = await api("/posts/1");
    const answer = response.body.answers.find((item: { id: number }) => item.id === 2);
    const comment = answer.comments.find((item: { id: number }) => item.id === 5);

    expect(comment.user).toBeNull();
    expect(comment.attribution.author).toBe("user23");
  });

  maybe("missing post is 404", async () => {
    const response = await api("/posts/999999");

    expect(response.status).toBe(404);
    expect(response.body.message).toBe("Post 999999 not found.");
  });

  maybe("non-numeric post id is 400", async () => {
    const response = await api("/posts/abc");

    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/id must be integer/);
  });

  maybe("user page lists their posts", async () => {
    const response = await api("/users/14");

    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(14);
    expect(response.body.user.url).toBe(`${SITE}/users/14`);
    expect(response.body.posts.totalCount).toBeGreaterThan(0);
    expect(response.body.posts.items.map((item: { id: number }) => item.id)).toContain(1);
    expect(response.body.posts.items.every((item: { title: string | null }) => item.title !== null)).toBe(true);
  });

  maybe("community account with id -1 exists", async () => {
    const response = await api("/users/-1");

    expect(response.status).toBe(200);
    expect(response.body.user.displayName).toBe("Community");
  });

  maybe("missing user is 404", async () => {
    const response = await api("/users/424242");

    expect(response.status).toBe(404);
    expect(response.body.message).toBe("User 424242 not found.");
  });

  maybe("create then soft delete", async () => {
    const created = await postJson("/posts", {
      title: "  Should we tag questions by 100% of their topics?  ",
      body: "<p>A question written by the test suite.</p>",
      tags: ["discussion", "test-created-tag"],
      authorId: 14,
    });

    expect(created.status).toBe(201);
    expect(created.body.post.title).toBe("Should we tag questions by 100% of their topics?");
    expect(created.body.post.type).toBe("question");
    expect(created.body.post.tags.sort()).toEqual(["discussion", "test-created-tag"]);
    expect(created.body.post.author.id).toBe(14);
    expect(created.body.post.attribution.url).toBeNull();

    const id = created.body.post.id as number;

    expect(created.headers.get("location")).toBe(`/posts/${id}`);

    const listing = await api("/posts?pageSize=1");

    expect(listing.body.items[0].id).toBe(id);
    expect(listing.body.totalCount).toBe(55);

    const tagPage = await api("/tags/test-created-tag");

    expect(tagPage.body.totalCount).toBe(1);

    const deleted = await api(`/posts/${id}`, { method: "DELETE" });

    expect(deleted.status).toBe(204);
    expect((await api(`/posts/${id}`)).status).toBe(404);
    expect((await api(`/posts/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await api("/posts")).body.totalCount).toBe(54);
    expect((await api("/tags/test-created-tag")).body.totalCount).toBe(0);
  });

  maybe("create without author", async () => {
    const created = await postJson("/posts", { title: "Anonymous question", body: "Text", tags: ["support"] });

    expect(created.status).toBe(201);
    expect(created.body.post.author).toBeNull();
    expect(created.body.post.attribution.author).toBeNull();

    await api(`/posts/${created.body.post.id}`, { method: "DELETE" });
  });

  maybeEach([
    ["missing title", { body: "x", tags: ["support"] }, /must have required property 'title'/],
    ["blank title", { title: "   ", body: "x", tags: ["support"] }, /title must match pattern/],
    ["empty tags", { title: "t", body: "x", tags: [] }, /tags must NOT have fewer than 1 items/],
    ["bad tag name", { title: "t", body: "x", tags: ["Not A Tag"] }, /tags\/0 must match pattern/],
    ["duplicate tags", { title: "t", body: "x", tags: ["a", "a"] }, /must NOT have duplicate items/],
    ["unknown field", { title: "t", body: "x", tags: ["a"], score: 5 }, /must NOT have additional properties/],
    ["string authorId", { title: "t", body: "x", tags: ["a"], authorId: "me" }, /authorId must be integer/],
    ["unknown author", { title: "t", body: "x", tags: ["a"], authorId: 424242 }, /authorId 424242 does not match any user/],
  ])("create rejects %s", async (_name, payload, message) => {
    const response = await postJson("/posts", payload);

    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(message);
  });

  maybe("create rejects invalid JSON", async () => {
    const response = await api("/posts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toBe("Bad Request");
  });

  maybe("failed create leaves no tag", async () => {
    await postJson("/posts", { title: "t", body: "x", tags: ["never-created"], authorId: 424242 });

    expect((await api("/tags/never-created")).status).toBe(404);
  });

  maybe("stats report tags and comments", async () => {
    const response = await api("/stats?limit=3");

    expect(response.status).toBe(200);
    expect(response.body.topTags).toHaveLength(3);
    expect(response.body.topTags[0]).toEqual({ name: "discussion", questionCount: 52 });
    expect(response.body.mostCommentedPosts[0]).toEqual({
      id: 49,
      type: "answer",
      title: expect.any(String),
      commentCount: 9,
    });
  });

  maybe("stats limit is validated", async () => {
    const response = await api("/stats?limit=0");

    expect(response.status).toBe(400);
  });

  maybe("unknown route is JSON 404", async () => {
    const response = await api("/nothing-here");

    expect(response.status).toBe(404);
    expect(response.body.message).toBe("No route for GET /nothing-here.");
  });
});

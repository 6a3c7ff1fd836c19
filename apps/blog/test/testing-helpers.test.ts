/**
 * The blog's models with @chakra-orm/testing: every test runs in a
 * transaction that is rolled back, rows come from factories, and
 * expectQueries pins how many queries the question list runs, whatever the
 * page size, to catch an N+1 regression in selectRelated/prefetchRelated.
 *
 * SQLite (a temporary file) always runs; PostgreSQL and MySQL on 127.0.0.1
 * run when the jest global setup found them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql, type Database } from "@chakra-orm/core";
import { captureQueries, expectQueries, factory, rollback, subFactory } from "@chakra-orm/testing";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import { Post, Tag, User } from "../src/models";
import { QuestionRepository } from "../src/question-repository";
import { listQuestions } from "../src/queries";

const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_blog_testing_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;

const UserFactory = factory(User, (seq) => ({ displayName: `user${seq}` }));
const TagFactory = factory(Tag, (seq) => ({ name: `tag${seq}` }));
const QuestionFactory = factory(Post, (seq) => ({
  postType: "question" as const,
  title: `Question ${seq}`,
  body: `<p>Body of question ${seq}</p>`,
  author: subFactory(UserFactory),
}));

/** Creates `count` questions, each with its own author and the two given tags. */
async function createQuestions(count: number, tags: Tag[]): Promise<Post[]> {
  const questions = await QuestionFactory.createMany(count);

  for (const question of questions) {
    await question.tags.add(...tags);
  }

  return questions;
}

/** Drops, and with `create` recreates, the scratch database on a server. */
async function resetScratch(target: DatabaseTarget, adminUrl: string, create: boolean): Promise<void> {
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

const targets: { name: string; server?: { target: DatabaseTarget; admin: string } }[] = [
  { name: "sqlite" },
  { name: "postgres", server: { target: { dialect: "postgres", location: `${PG}/${SCRATCH}` }, admin: `${PG}/test` } },
  { name: "mysql", server: { target: { dialect: "mysql", location: `${MY}/${SCRATCH}` }, admin: `${MY}/test` } },
];

for (const { name, server } of targets) {
  const reachable = name === "sqlite" || available.has(name);
  const describeIf = reachable ? describe : describe.skip;
  const title = reachable ? `blog test helpers on ${name}` : `blog test helpers on ${name} (skipped: no server on 127.0.0.1)`;

  describeIf(title, () => {
    let tempDir: string | undefined;
    let db: Database;

    beforeAll(async () => {
      if (server) {
        await resetScratch(server.target, server.admin, true);
        db = await openDatabase(server.target);
      } else {
        tempDir = mkdtempSync(path.join(tmpdir(), "chakra-blog-testing-"));
        db = await openDatabase({ dialect: "sqlite", location: path.join(tempDir, "blog.db") });
      }

      await db.createTables();
    });

    afterAll(async () => {
      await db?.close();

      if (server) {
        await resetScratch(server.target, server.admin, false);
      }

      if (tempDir) {
        rmSync(tempDir, { recursive: true, force: true });
      }
    });

    // The factories live at module level, so their sequences carry over
    // from one dialect's tests to the next unless reset.
    beforeEach(() => {
      UserFactory.resetSequence();
      TagFactory.resetSequence();
      QuestionFactory.resetSequence();
    });

    test(
      "question list runs fixed query count",
      rollback(() => db, async () => {
        const tags = await TagFactory.createMany(2);
        await createQuestions(12, tags);

        // COUNT for the paginator, one SELECT joining the authors, one for
        // the tags of the whole page.
        const small = await expectQueries(db, 3, () => listQuestions({ page: 1, pageSize: 2 }));
        const large = await expectQueries(db, 3, () => listQuestions({ page: 1, pageSize: 12 }));

        expect(small.items).toHaveLength(2);
        expect(large.items).toHaveLength(12);

        for (const question of large.items) {
          expect(question.author?.displayName).toMatch(/^user\d+$/);
          expect((question.tags.toArray() as Tag[]).map((tag) => tag.name).sort()).toEqual(["tag1", "tag2"]);
        }
      }),
    );

    test("previous test rolled back", async () => {
      expect(await Post.objects.count()).toBe(0);
      expect(await User.objects.count()).toBe(0);
      expect(await Tag.objects.count()).toBe(0);
    });

    test(
      "ask runs in a savepoint",
      rollback(() => db, async () => {
        const author = await UserFactory.create();
        await TagFactory.create({ name: "grammar" });
        const repository = new QuestionRepository(db);

        const newQuestion = {
          title: "Is this a question?",
          body: "<p>Yes.</p>",
          tags: ["grammar", "syntax"],
          authorId: author.id,
        };
        const { result: question, queries } = await captureQueries(db, () => repository.ask(newQuestion));
        const statements = queries.map((query) => query.sql.toLowerCase());

        expect(statements[0]).toMatch(/^savepoint /);
        expect(statements.some((statement) => statement.startsWith("release savepoint "))).toBe(true);
        expect((question.tags.toArray() as Tag[]).map((tag) => tag.name).sort()).toEqual(["grammar", "syntax"]);
        expect(await Tag.objects.count()).toBe(2);
      }),
    );
  });
}

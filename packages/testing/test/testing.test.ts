/**
 * The helpers against real databases: SQLite always, PostgreSQL and MySQL
 * on 127.0.0.1 when the jest global setup found them.
 */
import { Model, field, manager, stateOf, type Database } from "@chakra-orm/core";
import {
  QueryCountError,
  captureQueries,
  expectQueries,
  factory,
  isTransactionControl,
  rollback,
  subFactory,
  withRollback,
} from "../src/index";
import { DIALECTS, openTestDatabase, type TestDatabase } from "./databases";

class Writer extends Model.define("tt_writers", {
  id: field.id(),
  username: field.string({ maxLength: 40, unique: true }),
  isAdmin: field.boolean({ default: false }),
}) {
  static objects = manager(this);
}

class Article extends Model.define("tt_articles", {
  id: field.id(),
  title: field.string({ maxLength: 100 }),
  writer: field.foreignKey(() => Writer, { onDelete: "cascade", relatedName: "articles" }),
}) {
  static objects = manager(this);
}

const WriterFactory = factory(Writer, (seq) => ({ username: `writer${seq}` }));
const ArticleFactory = factory(Article, (seq) => ({ title: `Article ${seq}`, writer: subFactory(WriterFactory) }));

for (const dialect of DIALECTS) {
  const title = dialect.available
    ? dialect.name
    : `${dialect.name} (skipped: no server on 127.0.0.1; CHAKRA_REQUIRE_DBS=1 makes this fail)`;
  const describeIf = dialect.available ? describe : describe.skip;

  describeIf(title, () => {
    let target: TestDatabase;
    let db: Database;

    beforeAll(async () => {
      target = await openTestDatabase(dialect.name, "helpers");
      db = target.db;
      await db.createTables();
    });

    afterAll(async () => {
      await target?.close();
    });

    beforeEach(() => {
      WriterFactory.resetSequence();
      ArticleFactory.resetSequence();
    });

    describe("withRollback", () => {
      test("rolls back rows and returns result", async () => {
        const inside = await withRollback(db, async () => {
          await Writer.objects.create({ username: "ada" });

          return Writer.objects.count();
        });

        expect(inside).toBe(1);
        expect(await Writer.objects.count()).toBe(0);
      });

      test("rethrows body error and rolls back", async () => {
        const failure = withRollback(db, async () => {
          await Writer.objects.create({ username: "grace" });
          throw new Error("body failed");
        });

        await expect(failure).rejects.toThrow("body failed");
        expect(await Writer.objects.count()).toBe(0);
      });

      test("nested transaction becomes savepoint", async () => {
        await withRollback(db, async () => {
          await Writer.objects.create({ username: "outer" });
          const { queries } = await captureQueries(db, async () => {
            await expect(
              db.transaction(async () => {
                await Writer.objects.create({ username: "inner" });
                throw new Error("inner failed");
              }),
            ).rejects.toThrow("inner failed");
          });
          const statements = queries.map((query) => query.sql.toLowerCase());

          expect(statements[0]).toMatch(/^savepoint /);
          expect(statements[statements.length - 1]).toMatch(/^rollback to savepoint /);
          expect(await Writer.objects.count()).toBe(1);
        });

        expect(await Writer.objects.count()).toBe(0);
      });

      test("inside a transaction rolls back to savepoint", async () => {
        await withRollback(db, async () => {
          await Writer.objects.create({ username: "kept" });
          await withRollback(db, () => Writer.objects.create({ username: "discarded" }));

          expect(await Writer.objects.filter({ username: "kept" }).count()).toBe(1);
          expect(await Writer.objects.filter({ username: "discarded" }).count()).toBe(0);
        });
      });

      test("drops onCommit callbacks", async () => {
        const calls: string[] = [];

        await withRollback(db, async () => {
          await db.onCommit(() => calls.push("committed"));
        });

        expect(calls).toEqual([]);
      });

      test("rejects an empty database list", async () => {
        await expect(withRollback([], async () => undefined)).rejects.toThrow("non-empty array");
      });

      test("rejects an undefined database", async () => {
        const missing = undefined as unknown as Database;

        await expect(withRollback(missing, async () => undefined)).rejects.toThrow("pass a function instead");
      });
    });

    describe("rollback wrapper", () => {
      test("declares no parameters", () => {
        const wrapped = rollback(db, async (name: string) => name);

        expect(wrapped.length).toBe(0);
      });

      test("passes runner arguments to the body", async () => {
        const seen: unknown[] = [];
        const wrapped = rollback(db, async (context: { name: string }) => {
          seen.push(context.name, db.inTransaction);
        });

        await wrapped({ name: "context" });

        expect(seen).toEqual(["context", true]);
        expect(db.inTransaction).toBe(false);
      });

      test(
        "runs a jest test in a transaction",
        rollback(() => db, async () => {
          await WriterFactory.createMany(3);

          expect(db.inTransaction).toBe(true);
          expect(await Writer.objects.count()).toBe(3);
        }),
      );

      test("left no rows from the previous test", async () => {
        expect(await Writer.objects.count()).toBe(0);
      });
    });

    describe("factory", () => {
      test(
        "create numbers instances by sequence",
        rollback(() => db, async () => {
          const first = await WriterFactory.create();
          const second = await WriterFactory.create({ isAdmin: true });

          expect(first.username).toBe("writer1");
          expect(second.username).toBe("writer2");
          expect(second.isAdmin).toBe(true);
          expect(await Writer.objects.filter({ isAdmin: true }).count()).toBe(1);
        }),
      );

      test(
        "createMany applies per-index overrides",
        rollback(() => db, async () => {
          const writers = await WriterFactory.createMany(3, (index) => ({ isAdmin: index === 0 }));

          expect(writers.map((writer) => writer.username)).toEqual(["writer1", "writer2", "writer3"]);
          expect(writers.map((writer) => writer.isAdmin)).toEqual([true, false, false]);
          expect(await Writer.objects.count()).toBe(3);
        }),
      );

      test(
        "build returns unsaved instances",
        rollback(() => db, async () => {
          const article = await ArticleFactory.build();

          expect(stateOf(article).adding).toBe(true);
          expect(stateOf(article.writer as Writer).adding).toBe(true);
          expect(article.title).toBe("Article 1");
          expect(await Writer.objects.count()).toBe(0);
          expect(await Article.objects.count()).toBe(0);
        }),
      );

      test(
        "subFactory creates the related row",
        rollback(() => db, async () => {
          const article = await ArticleFactory.create();
          const loaded = await Article.objects.selectRelated("writer").get({ id: article.id });

          expect(loaded.writer.username).toBe("writer1");
          expect(await Writer.objects.count()).toBe(1);
        }),
      );

      test(
        "override replaces the subFactory",
        rollback(() => db, async () => {
          const writer = await WriterFactory.create({ username: "shared" });
          await ArticleFactory.createMany(2, { writer });

          expect(await Writer.objects.count()).toBe(1);
          expect(await Article.objects.filter({ writer__username: "shared" }).count()).toBe(2);
        }),
      );

      test(
        "lazy attribute receives context",
        rollback(() => db, async () => {
          const contexts: string[] = [];
          const LazyFactory = factory(Article, () => ({
            title: ({ seq, strategy }) => {
              contexts.push(`${strategy}:${seq}`);

              return `Lazy ${seq}`;
            },
            writer: () => WriterFactory.create(),
          }));

          const built = await LazyFactory.build();
          const created = await LazyFactory.create();

          expect(built.title).toBe("Lazy 1");
          expect(created.title).toBe("Lazy 2");
          expect(contexts).toEqual(["build:1", "create:2"]);
          expect(await Article.objects.count()).toBe(1);
        }),
      );

      test("resetSequence restarts numbering", async () => {
        const Numbered = factory(Writer, (seq) => ({ username: `n${seq}` }));

        await Numbered.buildMany(2);
        expect(Numbered.sequence).toBe(3);

        Numbered.resetSequence(10);
        const writer = await Numbered.build();

        expect(writer.username).toBe("n10");
        expect(Numbered.sequence).toBe(11);
      });

      test(
        "extend merges defaults and runs afterCreate",
        rollback(() => db, async () => {
          const created: string[] = [];
          const AdminFactory = WriterFactory.extend((seq) => ({ username: `admin${seq}`, isAdmin: true }), {
            afterCreate: (writer) => {
              created.push(writer.username);
            },
          });

          await AdminFactory.createMany(2);

          expect(created).toEqual(["admin1", "admin2"]);
          expect(await Writer.objects.filter({ isAdmin: true }).count()).toBe(2);
        }),
      );

      test("createMany rejects an invalid count", async () => {
        await expect(WriterFactory.createMany(-1)).rejects.toThrow(RangeError);
        await expect(WriterFactory.createMany(1.5)).rejects.toThrow("count must be an integer");
      });

      test("factory rejects a non-model class", () => {
        expect(() => factory(Date as never, () => ({}))).toThrow("is not a model class");
      });

      test(
        "create with a missing required field fails",
        rollback(() => db, async () => {
          const Broken = factory(Article, (seq) => ({ title: `Orphan ${seq}` }));

          await expect(Broken.create()).rejects.toThrow();
        }),
      );
    });

    describe("query assertions", () => {
      test(
        "captureQueries returns the statements",
        rollback(() => db, async () => {
          await WriterFactory.createMany(2);
          const { result, queries } = await captureQueries(db, () => Writer.objects.orderBy("id").all());

          expect(result).toHaveLength(2);
          expect(queries).toHaveLength(1);
          expect(queries[0]?.sql.toLowerCase()).toContain("tt_writers");
          expect(queries[0]?.connection).toBe(db.name);
        }),
      );

      test(
        "expectQueries passes on the exact count",
        rollback(() => db, async () => {
          await ArticleFactory.createMany(3);

          const articles = await expectQueries(db, 1, () => Article.objects.selectRelated("writer").all());

          expect(articles).toHaveLength(3);
        }),
      );

      test(
        "expectQueries lists SQL on mismatch",
        rollback(() => db, async () => {
          await ArticleFactory.createMany(2);

          // load() batches the writers of every article the query returned: 1 + 1 queries.
          const failure = expectQueries(db, 1, async () => {
            for (const article of await Article.objects.orderBy("id").all()) {
              await article.load("writer");
            }
          }).catch((error: unknown) => error);
          const error = (await failure) as QueryCountError;

          expect(error).toBeInstanceOf(QueryCountError);
          expect(error.expected).toBe(1);
          expect(error.actual).toBe(2);
          expect(error.message).toMatch(/^Expected 1 query, but 2 ran:\n {2}1\. select .*tt_articles/i);
          expect(error.message).toMatch(/\n {2}2\. select .*tt_writers/i);
        }),
      );

      test("expectQueries rejects a negative count", async () => {
        await expect(expectQueries(db, -1, () => undefined)).rejects.toThrow("non-negative integer");
      });

      test(
        "excludeTransactionControl skips savepoints",
        rollback(() => db, async () => {
          const write = (): Promise<Writer> => db.transaction(() => WriterFactory.create());

          await expectQueries(db, 3, write);
          await expectQueries(db, 1, write, { excludeTransactionControl: true });
        }),
      );

      test("callback scope ignores concurrent queries", async () => {
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const background = gate.then(() => Writer.objects.count());

        const { queries } = await captureQueries(
          db,
          async () => {
            release();
            await background;
            await Writer.objects.count();
          },
          { scope: "callback" },
        );

        expect(queries).toHaveLength(1);
      });

      test("isTransactionControl matches control statements", () => {
        const cases: [string, boolean][] = [
          ["begin immediate", true],
          ["START TRANSACTION", true],
          ["set transaction isolation level serializable", true],
          ["savepoint chakra_sp_1_1", true],
          ["release savepoint chakra_sp_1_1", true],
          ["rollback to savepoint chakra_sp_1_1", true],
          ["commit", true],
          ["select 1", false],
          ["insert into beginnings values (1)", false],
        ];

        for (const [statement, expected] of cases) {
          expect([statement, isTransactionControl(statement)]).toEqual([statement, expected]);
        }
      });
    });
  });
}

import { type Database, DoesNotExist, Repository, type QueryEvent } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Article, ArticleListing, Counter, Writer, clearLifecycleTables } from "../src/lifecycle-models";

/** A repository with one domain query, the way an application writes one. */
class CounterRepository extends Repository<Counter> {
  constructor(using?: Database | string) {
    super(Counter, { using });
  }

  named(name: string): Promise<Counter[]> {
    return this.query().filter({ name }).orderBy("id").all();
  }

  async increment(id: number): Promise<Counter> {
    return this.transaction(async () => {
      const counter = await this.get(id);
      counter.count += 1;

      return this.save(counter);
    });
  }
}

eachDialect("routing", ({ dialect, db }) => {
  let replica: Database;

  beforeAll(async () => {
    replica = await dialect.open(`${dialect.name}_routing_replica`);
    await replica.createTables();
    db().setDefault();
    // Reads go to the replica; writes go to the primary, except the CQRS
    // read model, whose projection writes to the read database.
    db().router = {
      dbForRead: () => replica,
      dbForWrite: (model) => (model === ArticleListing ? replica : db()),
    };
  });

  afterAll(async () => {
    db().router = undefined;
    await dialect.close(replica);
  });

  afterEach(async () => {
    await clearLifecycleTables(db());
    await clearLifecycleTables(replica);
  });

  function recordConnections(): { names: string[]; stop: () => void } {
    const names: string[] = [];
    const listener = (event: QueryEvent) => names.push(event.connection === db().name ? "primary" : "replica");
    db().on("query", listener);
    replica.on("query", listener);

    return {
      names,
      stop: () => {
        db().off("query", listener);
        replica.off("query", listener);
      },
    };
  }

  test("reads go to the replica, writes to the primary", async () => {
    const seen = recordConnections();

    try {
      await Counter.objects.create({ name: "written" });
      await Counter.objects.using(replica).create({ name: "replicated" });
      seen.names.length = 0;

      expect((await Counter.objects.all()).map((counter) => counter.name)).toEqual(["replicated"]);
      expect(await Counter.objects.count()).toBe(1);
      expect(seen.names).toEqual(["replica", "replica"]);
      expect(await Counter.objects.using(db()).filter({ name: "written" }).exists()).toBe(true);
    } finally {
      seen.stop();
    }
  });

  test("queryset writes go to the primary", async () => {
    await Counter.objects.using(db()).create({ name: "p" });
    await Counter.objects.using(replica).create({ name: "p" });

    expect(await Counter.objects.filter({ name: "p" }).update({ count: 5 })).toBe(1);
    expect((await Counter.objects.using(db()).get({ name: "p" })).count).toBe(5);
    expect((await Counter.objects.using(replica).get({ name: "p" })).count).toBe(0);
  });

  test("inside a transaction reads go to the primary", async () => {
    await Counter.objects.create({ name: "only on primary" });

    const inside = await db().transaction(async () => {
      const seen = recordConnections();

      try {
        const count = await Counter.objects.count();
        expect(seen.names).toEqual(["primary"]);

        return count;
      } finally {
        seen.stop();
      }
    });

    expect(inside).toBe(1);
    expect(await Counter.objects.count()).toBe(0);
  });

  test("instances read from the replica save to the primary", async () => {
    const onPrimary = await Counter.objects.create({ name: "same row" });
    await Counter.objects.using(replica).create({ id: onPrimary.id, name: "same row" });

    const loaded = await Counter.objects.get({ id: onPrimary.id });
    loaded.count = 9;
    await loaded.save();

    expect((await Counter.objects.using(db()).get({ id: onPrimary.id })).count).toBe(9);
    expect((await Counter.objects.using(replica).get({ id: onPrimary.id })).count).toBe(0);
  });

  test("using() bypasses the router", async () => {
    await Counter.objects.using(replica).create({ name: "direct" });

    expect(await Counter.objects.using(replica).count()).toBe(1);
    expect(await Counter.objects.using(db()).count()).toBe(0);
  });

  test("repository wraps the model's queries", async () => {
    const counters = new CounterRepository(db());
    const created = await counters.create({ name: "repo" });
    await counters.create({ name: "other" });

    expect((await counters.named("repo")).map((counter) => counter.id)).toEqual([created.id]);
    expect(await counters.count()).toBe(2);
    expect(await counters.count({ name: "repo" })).toBe(1);
    expect((await counters.list({ name: "other" })).length).toBe(1);
    expect((await counters.increment(created.id)).count).toBe(1);
    expect((await counters.get(created.id)).count).toBe(1);
    expect(await counters.find(-1)).toBeNull();
    await expect(counters.get(-1)).rejects.toBeInstanceOf(DoesNotExist);
    expect(await counters.delete(created)).toBe(1);
    expect(await counters.count()).toBe(1);
  });

  test("repository follows the router by default", async () => {
    const counters = new CounterRepository();
    await counters.create({ name: "routed" });

    expect(await counters.count()).toBe(0);
    expect(await Counter.objects.using(db()).count()).toBe(1);
  });

  test("CQRS projection feeds the read model", async () => {
    // The command side writes Articles on the primary; a projection keeps
    // one ArticleListing per live article on the read database.
    const off = Article.on("afterCommit", async (article, { action }) => {
      if (action === "delete" || action === "softDelete") {
        await ArticleListing.objects.filter({ articleId: article.id }).delete();

        return;
      }

      const writer = await Writer.objects.using(db()).get({ id: article.writerId });
      await ArticleListing.objects.updateOrCreate({ articleId: article.id }, { title: article.title, writerName: writer.username });
    });

    try {
      const ana = await Writer.objects.create({ username: "ana" });
      const article = await db().transaction(async () => {
        const created = await Article.objects.create({ title: "Draft", writer: ana });
        created.title = "Final";
        await created.save();

        expect(await ArticleListing.objects.count()).toBe(0);

        return created;
      });

      await db()
        .transaction(async () => {
          await Article.objects.create({ title: "Rolled back", writer: ana });
          throw new Error("undo");
        })
        .catch(() => undefined);

      const listings = await ArticleListing.objects.all();
      expect(listings.map((item) => [item.articleId, item.title, item.writerName])).toEqual([[article.id, "Final", "ana"]]);
      expect(await ArticleListing.objects.using(db()).count()).toBe(0);

      await article.delete();
      expect(await ArticleListing.objects.count()).toBe(0);
    } finally {
      off();
    }
  });
});

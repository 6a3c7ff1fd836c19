import { InvalidPageError, Paginator, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Post, Sample, clearTables, insertBlogFixtures } from "../src/models";

eachDialect("queryset", ({ db }) => {
  beforeEach(async () => {
    await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("querysets are immutable", async () => {
    const base = Post.objects.filter({ published: true });
    const narrowed = base.filter({ views__gt: 60 });

    expect(await base.count()).toBe(3);
    expect(await narrowed.count()).toBe(1);
  });

  test("orderBy, limit and offset", async () => {
    const views = (await Post.objects.orderBy("-views").offset(1).limit(2).all()).map((post) => post.views);

    expect(views).toEqual([50, 30]);
    expect((await Post.objects.orderBy("author__username", "-views").valuesList("title"))[0]).toEqual(["Hello ORM"]);
    expect(await Post.objects.offset(3).count()).toBe(2);
  });

  test("default ordering from model options", async () => {
    expect((await Author.objects.all()).map((author) => author.username)).toEqual(["ana", "bo", "Çelik"]);
  });

  test("first and last", async () => {
    expect((await Post.objects.orderBy("views").first())!.views).toBe(0);
    expect((await Post.objects.orderBy("views").last())!.views).toBe(100);
    expect(await Post.objects.filter({ views__gt: 1000 }).first()).toBeNull();
  });

  test("distinct values", async () => {
    const ids = await Post.objects.filter({ published: true }).distinct().orderBy("authorId").valuesList("authorId");

    expect(ids).toHaveLength(2);
    expect(await Post.objects.distinct().offset(0).limit(10).count()).toBe(5);
  });

  test("values and valuesList", async () => {
    const rows = await Post.objects.filter({ views: 100 }).values("title", "author__username", "publishedAt");

    expect(rows).toEqual([{ title: "Hello ORM", author__username: "ana", publishedAt: new Date("2024-03-05T10:00:00.000Z") }]);
    expect(await Post.objects.filter({ views: 100 }).valuesList("views", "published")).toEqual([[100, true]]);
    expect(await Post.objects.orderBy("views").flatValues("views")).toEqual([0, 7, 30, 50, 100]);
  });

  test("exists", async () => {
    expect(await Post.objects.filter({ title: "Draft notes" }).exists()).toBe(true);
    expect(await Post.objects.filter({ title: "None" }).exists()).toBe(false);
  });

  test("for await streams every row", async () => {
    await Sample.objects.bulkCreate(Array.from({ length: 1234 }, (_, index) => ({ label: `s${index}`, integer: index })));
    let count = 0;
    let sum = 0;

    for await (const sample of Sample.objects.filter({ integer__gte: 0 }).orderBy("integer")) {
      count += 1;
      sum += sample.integer!;
    }

    expect(count).toBe(1234);
    expect(sum).toBe((1233 * 1234) / 2);
  });

  test("iterate with a batch size", async () => {
    await Sample.objects.bulkCreate(Array.from({ length: 25 }, (_, index) => ({ label: `b${index}`, integer: index })));
    const seen: number[] = [];

    for await (const sample of Sample.objects.orderBy("integer").iterate({ batchSize: 4 })) {
      seen.push(sample.integer!);
    }

    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => index));
    expect(() => Sample.objects.iterate({ batchSize: 0 })).toThrow(/invalid batchSize 0/);
    expect(() => Sample.objects.iterate({ batchSize: 1.5 })).toThrow(ValidationError);
  });

  test("early stream exit frees connection", async () => {
    await Sample.objects.bulkCreate(Array.from({ length: 30 }, (_, index) => ({ label: `e${index}`, integer: index })));

    for (let round = 0; round < 3; round += 1) {
      for await (const sample of Sample.objects.orderBy("integer").iterate({ batchSize: 5 })) {
        if (sample.integer === 7) {
          break;
        }
      }
    }

    expect(await Sample.objects.count()).toBe(30);
  });

  test("streaming runs other queries between rows", async () => {
    let titles = 0;

    for await (const post of Post.objects.orderBy("id")) {
      titles += (await Post.objects.filter({ id: post.id }).count()) === 1 ? 1 : 0;
    }

    expect(titles).toBe(5);
  });

  test("paginator pages and counts", async () => {
    const paginator = new Paginator(Post.objects.orderBy("-views"), { pageSize: 2 });
    const second = await paginator.page(2);

    expect(paginator.totalCount).toBe(5);
    expect(paginator.pageCount).toBe(3);
    expect([...second].map((post) => post.views)).toEqual([30, 7]);
    expect(second.hasNext).toBe(true);
    expect(second.hasPrevious).toBe(true);
    expect((await paginator.page(3)).items).toHaveLength(1);
    await expect(paginator.page(4)).rejects.toBeInstanceOf(InvalidPageError);
    await expect(paginator.page(0)).rejects.toThrow(/out of range; pages run from 1 to 3/);
  });
});

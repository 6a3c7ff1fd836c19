import { UniqueViolation, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Article, Counter, Label, Writer, clearLifecycleTables } from "../src/lifecycle-models";

eachDialect("soft delete", ({ db }) => {
  afterEach(() => clearLifecycleTables(db()));

  async function fixtures() {
    const [ana, bo] = await Writer.objects.bulkCreate([{ username: "ana" }, { username: "bo" }]);
    const [live, hidden] = await Article.objects.bulkCreate([
      { title: "live", writer: ana! },
      { title: "hidden", writer: ana! },
      { title: "bo's", writer: bo! },
    ]);
    const [red, blue] = await Label.objects.bulkCreate([{ name: "red" }, { name: "blue" }]);
    await live!.labels.add(red!, blue!);
    await hidden!.delete();
    await blue!.delete();

    return { ana: ana!, bo: bo!, live: live!, hidden: hidden!, red: red!, blue: blue! };
  }

  test("delete sets deletedAt and keeps the row", async () => {
    const { hidden } = await fixtures();

    expect(hidden.deletedAt).toBeInstanceOf(Date);
    expect(hidden.isDeleted).toBe(true);
    expect(await Article.objects.withDeleted().filter({ id: hidden.id }).exists()).toBe(true);
  });

  test("default queries hide deleted rows", async () => {
    const { hidden } = await fixtures();

    expect((await Article.objects.all()).map((item) => item.title)).toEqual(["live", "bo's"]);
    expect(await Article.objects.count()).toBe(2);
    expect(await Article.objects.filter({ title: "hidden" }).exists()).toBe(false);
    await expect(Article.objects.get({ id: hidden.id })).rejects.toThrow("does not exist");
    expect(await Article.objects.values("title")).toEqual([{ title: "live" }, { title: "bo's" }]);
  });

  test("withDeleted and onlyDeleted reach deleted rows", async () => {
    await fixtures();

    expect(await Article.withDeleted().count()).toBe(3);
    expect((await Article.onlyDeleted().all()).map((item) => item.title)).toEqual(["hidden"]);
    expect(await Article.objects.onlyDeleted().count()).toBe(1);
  });

  test("restore brings a row back", async () => {
    const { hidden } = await fixtures();
    const found = await Article.onlyDeleted().get({ id: hidden.id });
    await found.restore();

    expect(found.deletedAt).toBeNull();
    expect(await Article.objects.count()).toBe(3);
  });

  test("hardDelete removes the row", async () => {
    const { hidden, live } = await fixtures();
    await hidden.hardDelete();
    await live.hardDelete();

    expect(await Article.withDeleted().count()).toBe(1);
  });

  test("delete twice changes nothing", async () => {
    const { hidden } = await fixtures();

    expect(await hidden.delete()).toBe(0);
  });

  test("queryset delete is soft, hardDelete is not", async () => {
    await fixtures();

    expect(await Article.objects.filter({ title: "live" }).delete()).toBe(1);
    expect(await Article.objects.count()).toBe(1);
    expect(await Article.withDeleted().count()).toBe(3);
    expect(await Article.objects.onlyDeleted().hardDelete()).toBe(2);
    expect(await Article.withDeleted().count()).toBe(1);
  });

  test("reverse accessors hide deleted rows", async () => {
    const { ana } = await fixtures();

    expect((await ana.articles.all()).map((item) => item.title)).toEqual(["live"]);
    expect(await ana.articles.count()).toBe(1);
    expect(await ana.articles.query().withDeleted().count()).toBe(2);
  });

  test("prefetch and load hide deleted rows", async () => {
    await fixtures();
    const writers = await Writer.objects.prefetchRelated("articles").all();

    expect(writers.map((writer) => [writer.username, writer.articles.toArray().map((item) => item.title)])).toEqual([
      ["ana", ["live"]],
      ["bo", ["bo's"]],
    ]);

    const [first, second] = await Writer.objects.all();
    await first!.load("articles");

    expect(second!.articles.loaded).toBe(true);
    expect(first!.articles.toArray().map((item) => item.title)).toEqual(["live"]);
  });

  test("many-to-many prefetch hides deleted targets", async () => {
    const { live } = await fixtures();
    const [article] = await Article.objects.filter({ id: live.id }).prefetchRelated("labels").all();

    expect(article!.labels.toArray().map((label) => label.name)).toEqual(["red"]);
    expect((await live.labels.query().all()).map((label) => label.name)).toEqual(["red"]);
  });

  test("forward keys still reach a deleted target", async () => {
    const { ana } = await fixtures();
    await ana.delete();

    const joined = await Article.objects.selectRelated("writer").orderBy("id").first();
    const prefetched = await Article.objects.prefetchRelated("writer").orderBy("id").first();

    expect(joined!.writer.username).toBe("ana");
    expect(joined!.writer.isDeleted).toBe(true);
    expect(prefetched!.writer.isDeleted).toBe(true);
  });

  test("a deleted row keeps its unique value", async () => {
    const { bo } = await fixtures();
    await bo.delete();

    await expect(Writer.objects.create({ username: "bo" })).rejects.toBeInstanceOf(UniqueViolation);

    const previous = await Writer.onlyDeleted().get({ username: "bo" });
    await previous.restore();
    expect(await Writer.objects.filter({ username: "bo" }).count()).toBe(1);
  });

  test("refresh reads a deleted row", async () => {
    const { hidden } = await fixtures();
    hidden.title = "changed in memory";
    await hidden.refresh();

    expect(hidden.title).toBe("hidden");
  });

  test("onlyDeleted raises on other models", () => {
    expect(() => Counter.objects.onlyDeleted()).toThrow(ValidationError);
  });
});

import { CursorPaginator, ValidationError, type CursorPage } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Entry, clearLifecycleTables } from "../src/lifecycle-models";

/** Upper bound on pages walked, so a paging bug cannot loop forever. */
const MAX_PAGES = 50;

eachDialect("keyset pagination", ({ db }) => {
  afterEach(() => clearLifecycleTables(db()));

  // Scores repeat, so most rows tie on the sort key.
  async function seed(count: number): Promise<void> {
    await Entry.objects.bulkCreate(
      Array.from({ length: count }, (_, index) => ({
        score: index % 3,
        name: `e${String(index).padStart(2, "0")}`,
        postedAt: new Date(Date.UTC(2024, 0, 1 + (index % 4))),
      })),
    );
  }

  async function walk(paginator: CursorPaginator<Entry>): Promise<{ pages: CursorPage<Entry>[]; names: string[] }> {
    const pages: CursorPage<Entry>[] = [];
    let page = await paginator.page();
    pages.push(page);

    while (page.nextCursor !== null && pages.length < MAX_PAGES) {
      page = await paginator.page({ after: page.nextCursor });
      pages.push(page);
    }

    return { pages, names: pages.flatMap((item) => item.items.map((entry) => entry.name)) };
  }

  test("pages cover ties exactly once", async () => {
    await seed(17);
    const paginator = new CursorPaginator(Entry.objects, { pageSize: 4, ordering: ["-score"] });
    const { pages, names } = await walk(paginator);
    const expected = (await Entry.objects.orderBy("-score", "id").all()).map((entry) => entry.name);

    expect(paginator.ordering).toEqual(["-score", "id"]);
    expect(names).toEqual(expected);
    expect(pages.map((page) => page.items.length)).toEqual([4, 4, 4, 4, 1]);
    expect(pages[0]!.hasPrevious).toBe(false);
    expect(pages[0]!.previousCursor).toBeNull();
    expect(pages[4]!.hasNext).toBe(false);
  });

  test("previous pages mirror next pages", async () => {
    await seed(10);
    const paginator = new CursorPaginator(Entry.objects, { pageSize: 3, ordering: ["postedAt", "-name"] });
    const { pages } = await walk(paginator);

    for (let index = pages.length - 1; index > 0; index -= 1) {
      const back = await paginator.page({ before: pages[index]!.previousCursor! });

      expect(back.items.map((entry) => entry.name)).toEqual(pages[index - 1]!.items.map((entry) => entry.name));
      expect(back.hasNext).toBe(true);
      expect(back.hasPrevious).toBe(index - 1 > 0);
    }
  });

  test("inserts ahead of the cursor shift nothing", async () => {
    await seed(9);
    const paginator = new CursorPaginator(Entry.objects.filter({ score__gte: 0 }), { pageSize: 3, ordering: ["score"] });
    const first = await paginator.page();
    await Entry.objects.create({ score: -1, name: "new first", postedAt: new Date() });
    await Entry.objects.create({ score: 0, name: "tie after", postedAt: new Date() });
    const second = await paginator.page({ after: first.nextCursor! });
    const expected = (await Entry.objects.filter({ score__gte: 0 }).orderBy("score", "id").all()).map((entry) => entry.name);

    expect(second.items.map((entry) => entry.name)).toEqual(expected.slice(3, 6));
  });

  test("filters apply to every page", async () => {
    await seed(12);
    const paginator = new CursorPaginator(Entry.objects.filter({ score: 1 }), { pageSize: 2, ordering: ["name"] });
    const { names } = await walk(paginator);

    expect(names).toEqual(["e01", "e04", "e07", "e10"]);
  });

  test("empty results give one empty page", async () => {
    const page = await new CursorPaginator(Entry.objects, { pageSize: 5 }).page();

    expect(page.items).toEqual([]);
    expect(page.hasNext).toBe(false);
    expect(page.nextCursor).toBeNull();
  });

  test("tampered cursors raise ValidationError", async () => {
    await seed(6);
    const paginator = new CursorPaginator(Entry.objects, { pageSize: 2, ordering: ["score"] });
    const { nextCursor } = await paginator.page();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const tampered = [
      "",
      "not base64!",
      `${nextCursor}$`,
      encode("just a string"),
      Buffer.from("{not json").toString("base64url"),
      encode({ v: 1, k: ["-score", "id"], p: [0, 1] }),
      encode({ v: 1, k: ["score", "id"], p: [0] }),
      encode({ v: 1, k: ["score", "id"], p: ["0 or 1=1; drop table lc_entries", 1] }),
      encode({ v: 1, k: ["score", "id"], p: [{ raw: "1" }, 1] }),
      encode({ v: 2, k: ["score", "id"], p: [0, 1] }),
      "A".repeat(5000),
    ];

    for (const cursor of tampered) {
      await expect(paginator.page({ after: cursor })).rejects.toBeInstanceOf(ValidationError);
    }

    expect(await Entry.objects.count()).toBe(6);
  });

  test("unknown orderings and page sizes raise", () => {
    expect(() => new CursorPaginator(Entry.objects, { pageSize: 2, ordering: ["nope"] })).toThrow(ValidationError);
    expect(() => new CursorPaginator(Entry.objects, { pageSize: 0 })).toThrow(ValidationError);
  });

  test("after and before together raise", async () => {
    const paginator = new CursorPaginator(Entry.objects, { pageSize: 2 });

    await expect(paginator.page({ after: "a", before: "b" })).rejects.toBeInstanceOf(ValidationError);
  });
});

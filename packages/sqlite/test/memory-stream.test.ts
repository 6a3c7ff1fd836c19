import { Database, Model, field, manager } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";

class Item extends Model.define("items", { id: field.id(), label: field.string({ maxLength: 20 }) }) {
  static objects = manager(this);
}

describe("in-memory sqlite streaming", () => {
  let db: Database;

  beforeAll(async () => {
    db = new Database({ dialect: sqlite(), name: "memory-stream" }).setDefault();
    await db.createTables();
    await Item.objects.bulkCreate(Array.from({ length: 1200 }, (_, index) => ({ label: `i${index}` })));
  });

  afterAll(() => db.close());

  test("queries run inside the loop", async () => {
    let matched = 0;

    for await (const item of Item.objects.orderBy("id")) {
      matched += (await Item.objects.filter({ id: item.id }).count()) === 1 ? 1 : 0;
    }

    expect(matched).toBe(1200);
  });

  test("the connection is free after an early break", async () => {
    for await (const item of Item.objects.orderBy("id")) {
      expect(item.id).toBe(1);
      break;
    }

    expect(await Item.objects.count()).toBe(1200);
  });
});

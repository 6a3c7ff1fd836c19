import { Database, Model, field, manager } from "@chakra-orm/core";
import { postgres, type PostgresDialect } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class City extends Model.define("cities", {
  id: field.id(),
  name: field.string({ maxLength: 50 }),
}) {
  static objects = manager(this);
}

const SUFFIX = "case_folding";
let db: Database;

describePostgres("postgres case folding on a C-locale database", () => {
  beforeAll(async () => {
    const url = await createTestDatabase(SUFFIX, { ctype: "C" });
    db = new Database({ dialect: postgres(url), models: [City] });
    await db.createTables();
    await City.objects.bulkCreate([{ name: "ÖREBRO" }, { name: "Zürich" }, { name: "Oslo" }]);
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  test("plain lower() folds ASCII only here", async () => {
    const [row] = await db.sql<{ folded: string }>`select lower('ÖREBRO') as folded`;

    expect(row?.folded).toBe("Örebro");
  });

  test("dialect switches to the ICU collation", () => {
    expect((db.dialect as PostgresDialect).compiler.caseFoldCollation).toBe("und-x-icu");
    expect(City.objects.filter({ name__iexact: "x" }).toSQL().sql).toContain(
      'lower("cities"."name" collate "und-x-icu") = lower($1 collate "und-x-icu")',
    );
  });

  test("icontains and iexact fold non-ASCII letters", async () => {
    expect((await City.objects.filter({ name__icontains: "örebro" }).all()).map((city) => city.name)).toEqual(["ÖREBRO"]);
    expect((await City.objects.filter({ name__iexact: "ZÜRICH" }).all()).map((city) => city.name)).toEqual(["Zürich"]);
    expect(await City.objects.filter({ name__istartswith: "o" }).count()).toBe(1);
  });
});

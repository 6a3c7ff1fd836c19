import { ChakraError, Database, ValidationError, connect, type Dialect } from "../src/index.js";
import { User } from "./support/models.js";
import { testDialect } from "./support/test-dialect.js";

describe("connect", () => {
  const opened: Database[] = [];

  afterEach(async () => {
    for (const db of opened.splice(0)) {
      await db.close();
    }
  });

  function track<T extends Record<string, Database | undefined>>(databases: T): T {
    for (const db of Object.values(databases)) {
      if (db) {
        opened.push(db);
      }
    }

    return databases;
  }

  test("names databases after keys", () => {
    const { default: primary, replica, reports } = track(
      connect({ default: testDialect(), replica: testDialect(), reports: testDialect() }),
    );

    expect(primary.name).toBe("default");
    expect(replica.name).toBe("replica");
    expect(reports.name).toBe("reports");
    expect(Database.get()).toBe(primary);
    expect(Database.get("replica")).toBe(replica);
    expect(Database.get("reports")).toBe(reports);
  });

  test("routes reads to replica", async () => {
    const { default: primary, replica } = track(connect({ default: testDialect(), replica: testDialect() }));
    const seen: string[] = [];
    primary.on("query", (event) => seen.push(event.connection));
    replica.on("query", (event) => seen.push(event.connection));

    await User.objects.all();
    await User.objects.create({ username: "ana", email: "ana@example.com" });

    expect(seen).toEqual(["replica", "default"]);
  });

  test("reads in transaction use default", async () => {
    const { default: primary, replica } = track(connect({ default: testDialect(), replica: testDialect() }));
    const seen: string[] = [];
    primary.on("query", (event) => seen.push(event.connection));
    replica.on("query", (event) => seen.push(event.connection));

    await primary.transaction(() => User.objects.all());

    expect(seen).not.toContain("replica");
    expect(seen).toContain("default");
  });

  test("without replica keeps router", () => {
    const router = { dbForRead: () => undefined };
    const existing = new Database({ dialect: testDialect(), name: "existing", router });
    opened.push(existing);

    const { default: primary } = connect({ default: existing });

    expect(primary).toBe(existing);
    expect(primary.name).toBe("existing");
    expect(primary.router).toBe(router);
    expect(Database.get()).toBe(existing);
  });

  test("applies options to created databases", () => {
    const { default: primary } = track(connect({ default: testDialect() }, { logParameters: true }));

    expect(primary.logParameters).toBe(true);
  });

  test("rejects missing default", () => {
    const connections = { replica: testDialect() } as unknown as { default: Dialect };

    expect(() => connect(connections)).toThrow(ValidationError);
    expect(() => connect(connections)).toThrow(/under `default`/);
  });

  test("rejects invalid connection", () => {
    const connections = { default: testDialect(), replica: "postgres://x" } as unknown as { default: Dialect };

    expect(() => connect(connections)).toThrow(ValidationError);
    expect(() => connect(connections)).toThrow(/under "replica", got string/);
  });

  test("rejects taken name", () => {
    opened.push(new Database({ dialect: testDialect(), name: "replica" }));

    expect(() => connect({ default: testDialect(), replica: testDialect() })).toThrow(ChakraError);
    expect(() => connect({ default: testDialect(), replica: testDialect() })).toThrow(/named "replica" already exists/);
  });
});

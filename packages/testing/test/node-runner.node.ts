/**
 * The helpers under node's built-in test runner. node-runner.test.ts runs
 * this file with `node --import tsx --test`; it can also run on its own.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Database, Model, field, manager } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";
import { QueryCountError, expectQueries, factory, rollback } from "../src/index.js";

class Note extends Model.define("nt_notes", {
  id: field.id(),
  text: field.string({ maxLength: 40 }),
}) {
  static objects = manager(this);
}

const NoteFactory = factory(Note, (seq) => ({ text: `note ${seq}` }));
const folder = mkdtempSync(path.join(tmpdir(), "chakra-testing-node-"));
const db = new Database({ dialect: sqlite({ filename: path.join(folder, "test.db") }) });

before(async () => {
  await db.createTables();
});

after(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

test(
  "rollback passes the test context",
  rollback(db, async (context: { name: string }) => {
    await NoteFactory.createMany(2);

    assert.equal(context.name, "rollback passes the test context");
    assert.equal(db.inTransaction, true);
    assert.equal(await Note.objects.count(), 2);
  }),
);

test("previous test left no rows", async () => {
  assert.equal(await Note.objects.count(), 0);
});

test(
  "expectQueries counts queries",
  rollback(db, async () => {
    await NoteFactory.create();
    await expectQueries(db, 1, () => Note.objects.all());
    await assert.rejects(expectQueries(db, 0, () => Note.objects.all()), QueryCountError);
  }),
);

/**
 * Runs every ```ts block of the usage pages below on SQLite, and
 * type-checks them. Each block gets a fresh in-memory database prepared by
 * the preamble in docs/example-schema.md, jest's `expect` to check its
 * results, and a `console` whose output is shown only when the block fails.
 * A block fenced as ```ts no-run is type-checked but not run, and so is
 * every block of the pages in TYPE_CHECKED_ONLY, which define tables of
 * their own or connect to servers. A page's first block, when fenced as
 * ```ts models, runs once before the page's other blocks: it defines
 * models (so their tables exist in every later database) and its exports
 * are in scope in the page's other blocks.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as core from "@chakra-orm/core";
import * as sqliteModule from "@chakra-orm/sqlite";
import { DOCS_DIR, extractSnippets, runSnippet, typeCheck, type Snippet } from "../src/doc-snippets";

const PAGES = [
  "queries.md",
  "transactions.md",
  ...readdirSync(join(DOCS_DIR, "cookbook"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `cookbook/${name}`),
  ...readdirSync(join(DOCS_DIR, "patterns"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `patterns/${name}`),
].filter((page) => existsSync(join(DOCS_DIR, page)));

const TYPE_CHECKED_ONLY = ["models.md", "dialects.md"];

const MODULES: Record<string, unknown> = {
  "@chakra-orm/core": core,
  "@chakra-orm/sqlite": sqliteModule,
};

const [schemaBlock, databaseBlock, ...extraBlocks] = extractSnippets("example-schema.md");

/** Exports of the models block, run once: models are registered process-wide. */
let schema: Record<string, unknown> | undefined;

async function loadSchema(): Promise<Record<string, unknown>> {
  schema ??= await runSnippet(schemaBlock!, {}, MODULES);

  return schema;
}

/** Collects what a block logs, so a failure can show it. */
function capturingConsole(lines: string[]): Pick<Console, "log" | "info" | "warn" | "error" | "table"> {
  const write = (...items: unknown[]) => {
    lines.push(items.map((item) => (typeof item === "string" ? item : JSON.stringify(item, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value)))).join(" "));
  };

  return { log: write, info: write, warn: write, error: write, table: write };
}

/** Exports of each page's `ts models` block, run once per page. */
const pageModels = new Map<string, Promise<Record<string, unknown>>>();

async function loadPageModels(snippets: readonly Snippet[]): Promise<Record<string, unknown>> {
  const block = snippets[0];

  if (!block?.models) {
    return {};
  }

  let loaded = pageModels.get(block.page);

  if (!loaded) {
    loaded = loadSchema().then((models) => runSnippet(block, { ...models, expect }, MODULES));
    pageModels.set(block.page, loaded);
  }

  return loaded;
}

async function runWithPreamble(snippet: Snippet, pageSnippets: readonly Snippet[]): Promise<void> {
  const models = { ...(await loadSchema()), ...(await loadPageModels(pageSnippets)) };
  const setup = await runSnippet(databaseBlock!, models, MODULES);
  const db = setup.db as core.Database;
  const output: string[] = [];

  try {
    await runSnippet(snippet, { ...models, ...setup, expect, console: capturingConsole(output) }, MODULES);
  } catch (error) {
    const logged = output.length > 0 ? `\nIt logged:\n${output.join("\n")}` : "";
    (error as Error).message = `${snippet.page}:${snippet.line}: ${(error as Error).message}${logged}`;
    throw error;
  } finally {
    await db.close();
  }
}

test("example schema has two blocks", () => {
  expect(schemaBlock).toBeDefined();
  expect(databaseBlock).toBeDefined();
  expect(extraBlocks).toEqual([]);
});

for (const page of PAGES) {
  describe(page, () => {
    const snippets = extractSnippets(page);

    test("has examples", () => {
      expect(snippets.length).toBeGreaterThan(0);
    });

    if (snippets[0]?.models) {
      test(`line ${snippets[0].line} defines models`, async () => {
        await loadPageModels(snippets);
      });
    }

    for (const snippet of snippets.filter((item) => !item.noRun && !item.models)) {
      test(`line ${snippet.line} runs`, () => runWithPreamble(snippet, snippets));
    }
  });
}

test(
  "every example type-checks",
  async () => {
    const exported = Object.keys(await loadSchema()).concat(["db"]);
    const snippets = [...PAGES, ...TYPE_CHECKED_ONLY].flatMap((page) => extractSnippets(page));
    expect(typeCheck([schemaBlock!, databaseBlock!], snippets, exported)).toEqual([]);
  },
  120_000,
);

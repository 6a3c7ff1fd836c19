/**
 * Drives the live page in headless Chromium (playwright-core with the
 * system's /usr/bin/chromium): a comment created over HTTP appears in the
 * page without a reload. Skipped when Chromium is missing, unless
 * CHAKRA_REQUIRE_BROWSER=1, which makes it fail instead.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Database } from "@chakra-orm/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { openDatabase } from "../src/connect";
import { importDataset } from "../src/import";
import { buildServer, type RealtimeServer } from "../src/server";
import { postJson } from "./helpers";

const APP_DIR = path.join(__dirname, "..");
const CHROMIUM = process.env.CHAKRA_CHROMIUM ?? "/usr/bin/chromium";
/** Flags for a root user on a machine with no outside network: no sandbox, no GPU, no background requests. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const PAGE_TIMEOUT_MS = 10_000;

const hasBrowser = existsSync(CHROMIUM);
const required = process.env.CHAKRA_REQUIRE_BROWSER === "1";

function describeBrowser(name: string, body: () => void): void {
  if (hasBrowser) {
    describe(name, body);
  } else if (required) {
    describe(name, () => {
      test("chromium is installed", () => {
        throw new Error(
          `CHAKRA_REQUIRE_BROWSER=1 but ${CHROMIUM} does not exist. Install it with "apt-get install -y chromium".`,
        );
      });
    });
  } else {
    describe.skip(
      `${name} (skipped: ${CHROMIUM} not found; apt-get install -y chromium)`,
      body,
    );
  }
}

describeBrowser("live page in Chromium", () => {
  let tempDir: string;
  let db: Database;
  let server: RealtimeServer;
  let baseUrl: string;
  let browser: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    tempDir = mkdtempSync(path.join(tmpdir(), "chakra-realtime-page-"));
    db = await openDatabase({
      dialect: "sqlite",
      location: path.join(tempDir, "realtime.db"),
    });
    await importDataset(db, {
      csvDir: path.join(APP_DIR, "data", "csv"),
      migrationsDir: path.join(APP_DIR, "migrations"),
      mode: "recreate",
      seed: 5,
    });
    server = await buildServer({ db, publicDir: path.join(APP_DIR, "public") });
    baseUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
    // A persistent context is how playwright takes a fresh --user-data-dir.
    browser = await chromium.launchPersistentContext(
      path.join(tempDir, "chromium-profile"),
      {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
      },
    );
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
    await db?.close();
    rmSync(tempDir, { recursive: true, force: true });
  });

  test("new comment appears without reload", async () => {
    await page.goto(`${baseUrl}/?channel=all`);
    await page
      .locator("#status", { hasText: "live on all" })
      .waitFor({ timeout: PAGE_TIMEOUT_MS });
    await page
      .locator("#feed li")
      .first()
      .waitFor({ timeout: PAGE_TIMEOUT_MS });
    // A reload would drop this global, so it proves the item arrived live.
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).pageMarker = "kept";
    });

    const text = `Shown live <b>not bold</b> ${Date.now()}`;
    const created = await postJson(baseUrl, "/comments", {
      postId: 1,
      text,
      userName: "browser test",
    });

    expect(created.status).toBe(201);

    const item = page.locator(`#comment-${created.body.comment.id}`);
    await item.waitFor({ timeout: PAGE_TIMEOUT_MS });

    expect(await item.locator(".text").textContent()).toContain(text);
    expect(await item.locator("b").count()).toBe(0);
    expect(
      await page.evaluate(
        () => (globalThis as Record<string, unknown>).pageMarker,
      ),
    ).toBe("kept");
    expect(await page.locator("#feed li").first().getAttribute("id")).toBe(
      `comment-${created.body.comment.id}`,
    );
    expect(pageErrors).toEqual([]);
  });

  test("form on the page creates a comment", async () => {
    await page.fill("#post-id", "2");
    await page.fill("#comment-text", "typed into the page");
    await page.click("#comment-form button");
    await page
      .locator("#feed li .text", { hasText: "typed into the page" })
      .waitFor({ timeout: PAGE_TIMEOUT_MS });

    expect(await page.locator("#comment-result").textContent()).toBe("sent");
  });
});

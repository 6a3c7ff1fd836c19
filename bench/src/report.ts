/** Writes the results as JSON, a Markdown page and an SVG chart of the ratios. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { DatabaseResult, WorkloadResult } from "./runner.js";
import { DATABASE_NAMES } from "./types.js";
import { WORKLOADS } from "./workloads.js";
import { BENCH_ROOT } from "./machine.js";

export function writeResult(resultsDir: string, result: DatabaseResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${result.database}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  return file;
}

/** Every <database>.json in the folder, in the order sqlite, postgres, mysql. */
export function readResults(resultsDir: string): DatabaseResult[] {
  return DATABASE_NAMES.map((database) => join(resultsDir, `${database}.json`))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, "utf8")) as DatabaseResult);
}

function contenderNames(results: readonly DatabaseResult[]): string[] {
  const names = new Set<string>();

  for (const result of results) {
    for (const name of Object.keys(result.contenders)) {
      names.add(name);
    }
  }

  return [...names];
}

function cell(workload: WorkloadResult, name: string): string {
  const item = workload.contenders[name];

  if (!item) {
    return "–";
  }

  if (item.status !== "ok") {
    return item.status;
  }

  const ratio = item.ratio === undefined ? "" : ` (${item.ratio.toFixed(2)}x)`;

  return `${formatMs(item.medianMs!)}${ratio}`;
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function table(result: DatabaseResult): string[] {
  const names = Object.keys(result.contenders);
  const lines = [
    `| Workload | One operation | ${names.join(" | ")} |`,
    `| --- | --- | ${names.map(() => "---:").join(" | ")} |`,
  ];

  for (const workload of result.workloads) {
    lines.push(`| ${workload.title} | ${workload.unit} | ${names.map((name) => cell(workload, name)).join(" | ")} |`);
  }

  const stream = result.workloads.find((workload) => workload.id === "stream");

  if (stream) {
    const memory = names.map((name) => {
      const item = stream.contenders[name];

      return item?.peakRssMiB === undefined ? "–" : `${item.peakRssMiB} MiB (+${item.rssGrowthMiB})`;
    });
    lines.push(`| Stream memory | peak RSS (growth) | ${memory.join(" | ")} |`);
  }

  return lines;
}

function problems(result: DatabaseResult): string[] {
  const lines: string[] = [];

  for (const [name, item] of Object.entries(result.contenders)) {
    if (item.status === "unavailable") {
      lines.push(`- ${name}: did not run. ${item.error ?? ""}`);
    }
  }

  for (const workload of result.workloads) {
    for (const [name, item] of Object.entries(workload.contenders)) {
      if (item.status !== "ok" && item.status !== "unavailable") {
        lines.push(`- ${name}, ${workload.title}: ${item.status}. ${item.error ?? ""}`);
      }
    }
  }

  return lines;
}

function versions(result: DatabaseResult): string {
  return Object.entries(result.contenders)
    .map(([name, item]) => `${name} (${Object.entries(item.packages).map(([pkg, version]) => `${pkg} ${version}`).join(", ")})`)
    .join("; ");
}

const SHORT_WORKLOADS = WORKLOADS.filter((workload) => workload.short).map((workload) => workload.title.toLowerCase()).join(", ");

export function renderMarkdown(results: readonly DatabaseResult[], chartPath: string, appendix?: string): string {
  const first = results[0];
  const lines = [
    "# Benchmarks",
    "",
    "Median time of one operation for each contender, and in brackets its ratio to the raw driver (lower is better).",
    "Every contender reads and writes the same tables and data, and every result is checked against the data set (row counts and a checksum over every column read), so a contender that does less work fails instead of winning.",
    "Contenders take turns within each round, in an order that rotates every round, after untimed warm-up rounds.",
    `In each turn a short workload (${SHORT_WORKLOADS}) runs ${first?.sizes.burst ?? 1} operations back to back and counts their mean.`,
    "A single operation of under a millisecond, timed right after another library's turn, measures mostly cold caches.",
    "",
    "Run `pnpm bench` to reproduce these numbers, `pnpm bench --quick` for a smaller run, and `pnpm bench --help` for the options.",
    "`pnpm bench` builds the workspace packages first and measures the built output, as users install it.",
    "The workloads and contenders are in `bench/src/`, the raw results in `bench/results/<database>.json`.",
    "",
  ];

  if (first) {
    const machine = first.machine;
    lines.push(
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, Node ${machine.node}, ${machine.platform}. Measured ${machine.date.slice(0, 10)} (${first.mode} run).`,
      `Data set: ${first.dataset.users} users, ${first.dataset.posts} posts, ${first.dataset.tags} tags, ${first.dataset.tagsPerPost} tags per post.`,
      "",
      `![Ratio to the raw driver per workload](${chartPath})`,
      "",
    );
  }

  for (const result of results) {
    lines.push(`## ${result.database}`, "", ...table(result), "");
    const issues = problems(result);

    if (issues.length > 0) {
      lines.push("Not measured:", "", ...issues, "");
    }

    lines.push(`Versions: ${versions(result)}.`, "");
  }

  if (appendix) {
    lines.push(appendix.trim(), "");
  }

  return `${lines.join("\n").trimEnd()}\n`;
}

const PALETTE = ["#555555", "#d9480f", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#e64980", "#5c940d"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Draws grouped horizontal bars of the ratio to raw, one panel per
 * database, on a log scale so 0.5x and 2x sit at equal distances from 1x.
 */
export function renderSvg(results: readonly DatabaseResult[]): string {
  const names = contenderNames(results);
  const barHeight = 7;
  const groupGap = 10;
  const labelWidth = 150;
  const plotWidth = 520;
  const legendHeight = 30;
  const minRatio = 0.25;
  const maxRatio = Math.max(4, ...results.flatMap((result) => result.workloads.flatMap((workload) => Object.values(workload.contenders).map((item) => item.ratio ?? 0))));
  const logMin = Math.log(minRatio);
  const scale = (ratio: number) => ((Math.log(Math.min(Math.max(ratio, minRatio), maxRatio)) - logMin) / (Math.log(maxRatio) - logMin)) * plotWidth;
  const parts: string[] = [];
  let y = legendHeight + 10;

  names.forEach((name, index) => {
    const x = labelWidth + (index % 5) * 105;
    const row = Math.floor(index / 5);
    parts.push(`<rect x="${x}" y="${6 + row * 14}" width="10" height="10" fill="${PALETTE[index % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 14}" y="${15 + row * 14}">${escapeXml(name)}</text>`);
  });
  y += Math.floor((names.length - 1) / 5) * 14;

  for (const result of results) {
    const panelTop = y;
    parts.push(`<text x="4" y="${y + 12}" font-weight="bold">${escapeXml(result.database)}</text>`);
    y += 20;

    for (const workload of result.workloads) {
      const groupTop = y;
      parts.push(`<text x="${labelWidth - 6}" y="${groupTop + (names.length * barHeight) / 2 + 4}" text-anchor="end">${escapeXml(workload.title)}</text>`);

      names.forEach((name, index) => {
        const item = workload.contenders[name];
        const barY = groupTop + index * barHeight;

        if (item?.ratio !== undefined) {
          parts.push(`<rect x="${labelWidth}" y="${barY}" width="${scale(item.ratio).toFixed(1)}" height="${barHeight - 1}" fill="${PALETTE[index % PALETTE.length]}"><title>${escapeXml(`${name}: ${item.ratio.toFixed(2)}x`)}</title></rect>`);
        }
      });
      y += names.length * barHeight + groupGap;
    }

    for (const tick of [0.25, 0.5, 1, 2, 4, 8, 16, 32].filter((value) => value <= maxRatio)) {
      const x = labelWidth + scale(tick);
      parts.push(`<line x1="${x.toFixed(1)}" y1="${panelTop + 16}" x2="${x.toFixed(1)}" y2="${y - groupGap}" stroke="${tick === 1 ? "#000" : "#ccc"}" stroke-dasharray="${tick === 1 ? "" : "2,2"}"/>`);
      parts.push(`<text x="${x.toFixed(1)}" y="${y + 2}" text-anchor="middle" fill="#666">${tick}x</text>`);
    }

    y += 16;
  }

  const width = labelWidth + plotWidth + 30;
  const height = y + 20;
  parts.push(`<text x="${labelWidth}" y="${height - 6}" fill="#666">Ratio of median time to the raw driver, log scale (lower is better; bars are capped at ${maxRatio.toFixed(0)}x)</text>`);

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join("\n")}\n</svg>\n`;
}

/** Hand-written notes on the performance work, added at the end of benchmarks.md. */
const PERFORMANCE_WORK = join(BENCH_ROOT, "performance-work.md");

/** Rewrites benchmarks.md and benchmarks.svg in `docsDir` from every result file in `resultsDir`. */
export function writeReport(resultsDir: string, docsDir: string): { markdown: string; svg: string } {
  const results = readResults(resultsDir);
  mkdirSync(docsDir, { recursive: true });
  const svg = join(docsDir, "benchmarks.svg");
  const markdown = join(docsDir, "benchmarks.md");
  writeFileSync(svg, renderSvg(results));
  const appendix = existsSync(PERFORMANCE_WORK) ? readFileSync(PERFORMANCE_WORK, "utf8") : undefined;
  writeFileSync(markdown, renderMarkdown(results, relative(docsDir, svg), appendix));

  return { markdown, svg };
}

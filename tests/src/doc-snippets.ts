/**
 * Extracts the ```ts blocks of the docs and runs or type-checks them. The
 * blocks of docs/example-schema.md are the preamble of every other block:
 * the first defines the models, the second opens the database. A page may
 * also open with a block fenced as ```ts models, which declares models of
 * its own: its exports are in scope in the page's other blocks.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import ts from "typescript";

export const REPO_ROOT = resolve(__dirname, "../..");
export const DOCS_DIR = join(REPO_ROOT, "docs");

export interface Snippet {
  /** The page, relative to docs/, such as `cookbook/testing.md`. */
  page: string;
  /** The 1-based line of the opening fence. */
  line: number;
  code: string;
  /** True for a block fenced as ```ts no-run. */
  noRun: boolean;
  /** True for a block fenced as ```ts models: the page's own models. */
  models: boolean;
}

const FENCE = /^```(\S*)(.*)$/;

/** Returns the ```ts blocks of a markdown page, in order. */
export function extractSnippets(page: string): Snippet[] {
  const lines = readFileSync(join(DOCS_DIR, page), "utf8").split("\n");
  const snippets: Snippet[] = [];
  let open: { line: number; language: string; flags: string; body: string[] } | undefined;

  lines.forEach((text, index) => {
    const fence = FENCE.exec(text);

    if (!fence) {
      open?.body.push(text);

      return;
    }

    if (!open) {
      open = { line: index + 1, language: fence[1]!, flags: fence[2]!.trim(), body: [] };

      return;
    }

    if (open.language === "ts" || open.language === "typescript") {
      const flags = open.flags.split(/\s+/);
      snippets.push({ page, line: open.line, code: open.body.join("\n"), noRun: flags.includes("no-run"), models: flags.includes("models") });
    }

    open = undefined;
  });

  if (open) {
    throw new Error(`${page}:${open.line}: the code block opened here is never closed.`);
  }

  const misplaced = snippets.find((snippet, index) => snippet.models && index > 0);

  if (misplaced) {
    throw new Error(`${page}:${misplaced.line}: a \`ts models\` block is allowed only as the first ts block of a page. Move it to the top of the page, or fence it as \`ts\`.`);
  }

  return snippets;
}

/** Compiles a block to a CommonJS function body. */
export function transpile(snippet: Snippet): string {
  const output = ts.transpileModule(snippet.code, {
    fileName: `${snippet.page}:${snippet.line}.ts`,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const errors = (output.diagnostics ?? []).filter((item) => item.category === ts.DiagnosticCategory.Error && item.code !== TOP_LEVEL_AWAIT_IN_COMMONJS);

  if (errors.length > 0) {
    throw new Error(`${snippet.page}:${snippet.line}: ${errors.map((item) => ts.flattenDiagnosticMessageText(item.messageText, "\n")).join("; ")}`);
  }

  return output.outputText;
}

/**
 * "Top-level 'await' expressions are only allowed when the 'module' option
 * is ...": harmless here, because every block runs inside an async function.
 */
const TOP_LEVEL_AWAIT_IN_COMMONJS = 1378;

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

/**
 * Runs a transpiled block with `scope`'s entries as variables and returns
 * its exports. The body sits in its own block, so a `const db` in the
 * example shadows the preamble's `db` instead of clashing with it.
 */
export async function runSnippet(
  snippet: Snippet,
  scope: Record<string, unknown>,
  modules: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const exports: Record<string, unknown> = {};
  const requireModule = (name: string): unknown => {
    if (name in modules) {
      return modules[name];
    }

    if (name.startsWith("node:")) {
      return createRequire(__filename)(name);
    }

    throw new Error(`${snippet.page}:${snippet.line}: the example imports "${name}", which the docs test does not provide. Add it to the modules of docs-snippets.test.ts.`);
  };
  const names = Object.keys(scope);
  const body = `"use strict";\n{\n${transpile(snippet)}\n}`;
  const run = new AsyncFunction(...names, "require", "exports", "module", body);
  await run(...names.map((name) => scope[name]), requireModule, exports, { exports });

  return exports;
}

/** Names that a block declares at its top level or imports. */
function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;

      if (statement.importClause?.name) {
        names.add(statement.importClause.name.text);
      }

      if (bindings && ts.isNamedImports(bindings)) {
        bindings.elements.forEach((item) => names.add(item.name.text));
      } else if (bindings && ts.isNamespaceImport(bindings)) {
        names.add(bindings.name.text);
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        collectBindingNames(declaration.name, names);
      }
    } else if ((ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement)) && statement.name) {
      names.add(statement.name.text);
    }
  }

  return names;
}

/** Names that a block exports at its top level. */
export function exportedNames(code: string): string[] {
  const names = new Set<string>();
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);

  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((item) => item.kind === ts.SyntaxKind.ExportKeyword);

    if (!exported) {
      continue;
    }

    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        collectBindingNames(declaration.name, names);
      }
    } else if ((ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement)) && statement.name) {
      names.add(statement.name.text);
    }
  }

  return [...names];
}

function collectBindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) {
    into.add(name.text);

    return;
  }

  for (const element of name.elements) {
    if (!ts.isOmittedExpression(element)) {
      collectBindingNames(element.name, into);
    }
  }
}

/**
 * Type-checks blocks as modules of one program under the repository's
 * strict settings, each importing the preamble's exports it does not
 * declare itself, and the exports of its page's `ts models` block. Returns
 * one message per error, with page and line.
 */
export function typeCheck(preamble: readonly Snippet[], snippets: readonly Snippet[], preambleNames: readonly string[]): string[] {
  const folder = join(REPO_ROOT, "tests", ".docs-snippets");
  const files = new Map<string, { text: string; snippet: Snippet | undefined; offset: number }>();
  const preambleFile = join(folder, "example-schema.ts");
  files.set(preambleFile, { text: preamble.map((item) => item.code).join("\n"), snippet: undefined, offset: 0 });

  // The page's models module and the names it exports, per page.
  const pageModels = new Map<string, { module: string; names: string[] }>();

  snippets.forEach((snippet, index) => {
    const declared = declaredNames(snippet.code);
    const own = snippet.models ? undefined : pageModels.get(snippet.page);
    const fromPage = (own?.names ?? []).filter((name) => !declared.has(name));
    const fromPreamble = preambleNames.filter((name) => !declared.has(name) && !fromPage.includes(name));
    const imports = [
      fromPreamble.length > 0 ? `import { ${fromPreamble.join(", ")} } from "./example-schema";` : "",
      own && fromPage.length > 0 ? `import { ${fromPage.join(", ")} } from "./${own.module}";` : "",
    ].filter((line) => line !== "");
    const header = imports.map((line) => `${line}\n`).join("");
    const module = `snippet-${index}`;

    if (snippet.models) {
      pageModels.set(snippet.page, { module, names: exportedNames(snippet.code) });
    }

    files.set(join(folder, `${module}.ts`), { text: `${header}${snippet.code}\nexport {};\n`, snippet, offset: imports.length });
  });

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: ["node", "jest"],
    typeRoots: [join(REPO_ROOT, "node_modules", "@types")],
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    baseUrl: REPO_ROOT,
    paths: { "@chakra-orm/*": ["packages/*/src/index.ts"] },
  };
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) => {
    const virtual = files.get(resolve(name));

    return virtual ? ts.createSourceFile(name, virtual.text, language, true) : readSource(name, language, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(resolve(name)) || fileExists(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => resolve(name) === folder || (directoryExists?.(name) ?? false);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(resolve(name))?.text ?? readFile(name);

  const program = ts.createProgram([...files.keys()], options, host);
  // Only the blocks are checked; core's own sources are checked by its typecheck task.
  const diagnostics = [...files.keys()].flatMap((name) => {
    const source = program.getSourceFile(name)!;

    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  });
  const messages: string[] = [];

  for (const item of diagnostics) {
    const virtual = item.file ? files.get(resolve(item.file.fileName)) : undefined;

    if (!virtual || item.category !== ts.DiagnosticCategory.Error) {
      continue;
    }

    const { line } = item.file!.getLineAndCharacterOfPosition(item.start ?? 0);
    const text = ts.flattenDiagnosticMessageText(item.messageText, "\n");
    const where = virtual.snippet
      ? `${virtual.snippet.page}:${virtual.snippet.line + 1 + line - virtual.offset}`
      : `example-schema.md (preamble line ${line + 1})`;
    messages.push(`${where}: TS${item.code} ${text}`);
  }

  return messages;
}

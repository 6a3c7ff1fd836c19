/**
 * The contenders, loaded on demand so one broken library fails only itself.
 * TODO: TypeORM, Sequelize, MikroORM and Prisma are installed as bench
 * dependencies but have no contender module yet.
 */
import type { Contender, Target } from "../types.js";

export interface ContenderEntry {
  name: string;
  /** Packages whose versions the results record. */
  packages: (target: Target) => string[];
  open: (target: Target) => Promise<Contender>;
}

const DRIVER_PACKAGES = { sqlite: "better-sqlite3", postgres: "pg", mysql: "mysql2" } as const;

export const CONTENDERS: readonly ContenderEntry[] = [
  {
    name: "raw",
    packages: (target) => [DRIVER_PACKAGES[target.database]],
    open: async (target) => (await import("./raw.js")).openRaw(target),
  },
  {
    name: "chakra",
    packages: (target) => ["@chakra-orm/core", `@chakra-orm/${target.database}`],
    open: async (target) => (await import("./chakra.js")).openChakra(target),
  },
  {
    name: "drizzle",
    packages: (target) => ["drizzle-orm", DRIVER_PACKAGES[target.database]],
    open: async (target) => (await import("./drizzle.js")).openDrizzle(target),
  },
  {
    name: "kysely",
    packages: (target) => ["kysely", DRIVER_PACKAGES[target.database]],
    open: async (target) => (await import("./kysely.js")).openKysely(target),
  },
];

export const CONTENDER_NAMES = CONTENDERS.map((entry) => entry.name);

/** The contenders, loaded on demand so one broken library fails only itself. */
import type { Contender, Target } from "../types.js";

export interface ContenderEntry {
  name: string;
  /** Packages whose versions the results record. */
  packages: (target: Target) => string[];
  open: (target: Target) => Promise<Contender>;
}

const DRIVER_PACKAGES = { sqlite: "better-sqlite3", postgres: "pg", mysql: "mysql2" } as const;
const MIKRO_ORM_DRIVERS = { sqlite: "@mikro-orm/better-sqlite", postgres: "@mikro-orm/postgresql", mysql: "@mikro-orm/mysql" } as const;
const PRISMA_ADAPTERS = { sqlite: "@prisma/adapter-better-sqlite3", postgres: "@prisma/adapter-pg", mysql: "@prisma/adapter-mariadb" } as const;

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
  {
    name: "typeorm",
    packages: (target) => ["typeorm", DRIVER_PACKAGES[target.database]],
    open: async (target) => (await import("./typeorm.js")).openTypeorm(target),
  },
  {
    name: "sequelize",
    packages: (target) => ["sequelize", target.database === "sqlite" ? "sqlite3" : DRIVER_PACKAGES[target.database]],
    open: async (target) => (await import("./sequelize.js")).openSequelize(target),
  },
  {
    name: "mikro-orm",
    packages: (target) => ["@mikro-orm/core", MIKRO_ORM_DRIVERS[target.database]],
    open: async (target) => (await import("./mikro-orm.js")).openMikroOrm(target),
  },
  {
    name: "prisma",
    packages: (target) => ["@prisma/client", PRISMA_ADAPTERS[target.database]],
    open: async (target) => (await import("./prisma.js")).openPrisma(target),
  },
];

export const CONTENDER_NAMES = CONTENDERS.map((entry) => entry.name);

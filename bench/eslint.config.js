import { app } from "@chakra-orm/eslint-config";

// generated/ contains the Prisma clients that `pnpm bench` generates.
export default [...app, { ignores: ["generated/**"] }];

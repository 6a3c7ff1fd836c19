import { app } from "@chakra-orm/eslint-config";

export default app;

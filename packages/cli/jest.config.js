import { createJestConfig } from "@chakra-orm/jest-preset";

export default createJestConfig();

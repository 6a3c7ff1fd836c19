// Probes PostgreSQL and MySQL on 127.0.0.1 once per jest run, and passes
// the result to the workers through CHAKRA_AVAILABLE_DIALECTS, because
// describe.each needs the dialect list synchronously. CHAKRA_RUN_ID tells
// test files apart from those of another jest run on the same servers, so
// scratch database names never collide.
const net = require("node:net");

const SERVERS = {
  postgres: { host: "127.0.0.1", port: Number(process.env.CHAKRA_PG_PORT ?? 5432) },
  mysql: { host: "127.0.0.1", port: Number(process.env.CHAKRA_MYSQL_PORT ?? 3306) },
};

function probe({ host, port }) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(10_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

module.exports = async function globalSetup() {
  const available = ["sqlite"];
  const missing = [];

  for (const [name, address] of Object.entries(SERVERS)) {
    if (await probe(address)) {
      available.push(name);
    } else {
      missing.push(`${name} (${address.host}:${address.port})`);
    }
  }

  if (missing.length > 0 && process.env.CHAKRA_REQUIRE_DBS === "1") {
    throw new Error(
      `CHAKRA_REQUIRE_DBS=1 but these servers are not reachable: ${missing.join(", ")}. Start them with tooling/scripts/start-databases.sh.`,
    );
  }

  process.env.CHAKRA_AVAILABLE_DIALECTS = available.join(",");
  process.env.CHAKRA_RUN_ID ??= String(process.pid);
};

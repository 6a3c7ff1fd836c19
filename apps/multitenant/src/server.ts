/**
 * The rental chain's JSON API on Fastify. Every route except `GET /` acts
 * for the store named by the `x-tenant` header and runs inside
 * `withContext({ tenant })`, so the tenant queries and the save hook read
 * the store from there. Input is checked by each route's JSON schema.
 */
import {
  ChakraError,
  Count,
  DoesNotExist,
  IntegrityError,
  Sum,
  ValidationError,
  withContext,
  type Database,
} from "@chakra-orm/core";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { Customer, Film, Inventory, Payment, Rental, Store, TenantSettings, type CustomFields, type SettingsValues } from "./models.js";
import { customerPayload, filmPayload, money, rentalPayload, ATTRIBUTION } from "./payloads.js";
import { withTenantTransaction } from "./rls.js";
import { topFilms } from "./reports.js";
import { MissingTenantError, TenantIsolationError, TenantQuery, currentTenant } from "./tenancy.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const MAX_BULK_ROWS = 100;
/** The header that names the tenant: a store id. */
export const TENANT_HEADER = "x-tenant";

/** An error with an HTTP status and a message safe to show to the client. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
};

function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_NAMES[statusCode] ?? "Error", message };
}

const pageQuery = {
  page: { type: "integer", minimum: 1, default: 1 },
  pageSize: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
} as const;

const idParams = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1 } },
  required: ["id"],
} as const;

/** Custom field values: flat JSON scalars under short keys. */
const customFieldsSchema = {
  type: "object",
  maxProperties: 20,
  propertyNames: { pattern: "^[a-zA-Z][a-zA-Z0-9_]{0,39}$" },
  additionalProperties: { type: ["string", "number", "boolean", "null"] },
} as const;

const customerFields = {
  firstName: { type: "string", minLength: 1, maxLength: 45, pattern: "\\S" },
  lastName: { type: "string", minLength: 1, maxLength: 45, pattern: "\\S" },
  email: { type: ["string", "null"], maxLength: 50 },
  addressId: { type: "integer", minimum: 1 },
  active: { type: "boolean" },
  customFields: customFieldsSchema,
  // Accepted so that a client naming a store reaches the tenant checks and gets 403.
  storeId: { type: "integer" },
} as const;

const customerCreateSchema = {
  type: "object",
  additionalProperties: false,
  required: ["firstName", "lastName", "addressId"],
  properties: customerFields,
} as const;

const settingsSchema = { type: "object", maxProperties: 50 } as const;

interface CustomerInput {
  firstName: string;
  lastName: string;
  email?: string | null;
  addressId: number;
  active?: boolean;
  customFields?: CustomFields;
  storeId?: number;
}

interface PageQuery {
  page: number;
  pageSize: number;
}

/** Default settings of a store that has saved none. */
export const DEFAULT_SETTINGS: SettingsValues = { currency: "USD", lateFeePerDay: "1.00", maxOpenRentals: 5 };

export interface ServerOptions {
  db: Database;
  /** Fastify's logger option; tests pass false. */
  logger?: FastifyServerOptions["logger"];
  /**
   * PostgreSQL only: run each tenant request in a transaction that sets
   * `app.tenant` for the row-level security policies (see rls.ts). `db`
   * must then connect as a role that the policies apply to.
   */
  rowLevelSecurity?: boolean;
}

/** Reads and checks the tenant header; raises HttpError 400 or 404. */
async function resolveTenant(request: FastifyRequest): Promise<number> {
  const header = request.headers[TENANT_HEADER];

  if (header === undefined || header === "") {
    throw new HttpError(400, `Missing ${TENANT_HEADER} header. Send the id of your store, such as "${TENANT_HEADER}: 1".`);
  }

  if (typeof header !== "string" || !/^[1-9]\d{0,8}$/.test(header)) {
    throw new HttpError(400, `Invalid ${TENANT_HEADER} header ${JSON.stringify(header)}: expected one store id, a positive whole number.`);
  }

  const tenant = Number(header);

  if (!(await Store.objects.filter({ id: tenant }).exists())) {
    throw new HttpError(404, `Store ${tenant} not found. Send the id of an existing store in ${TENANT_HEADER}.`);
  }

  return tenant;
}

/** Builds the Fastify app with every route; call `listen()` on the result. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { db } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    // Reject unknown body and query fields with a 400 instead of dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });

  /** Wraps a handler so it runs for the request's tenant. */
  function forTenant<R>(handler: (request: FastifyRequest<any>, reply: FastifyReply) => Promise<R>) {
    return async (request: FastifyRequest<any>, reply: FastifyReply): Promise<R> => {
      const tenant = await resolveTenant(request);
      const run = () => handler(request, reply);

      return withContext({ tenant }, () => (options.rowLevelSecurity ? withTenantTransaction(db, tenant, run) : run()));
    };
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }

    if (error instanceof MissingTenantError) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof TenantIsolationError) {
      request.log.warn({ err: error }, "tenant isolation check rejected a request");

      return reply.code(403).send(errorBody(403, error.message));
    }

    if (error instanceof DoesNotExist) {
      return reply.code(404).send(errorBody(404, error.message));
    }

    if (error instanceof ValidationError) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof IntegrityError) {
      return reply.code(409).send(errorBody(409, error.message));
    }

    if (!ChakraError.is(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }

    request.log.error({ err: error }, `${request.method} ${request.url} failed`);

    return reply.code(500).send(errorBody(500, "The server failed to handle the request; see the server log."));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `No route for ${request.method} ${request.url.split("?")[0]}.`)),
  );

  app.get("/", async () => ({
    name: "Chakra ORM example: multi-tenant DVD rental",
    tenantHeader: TENANT_HEADER,
    stores: await Store.objects.orderBy("id").flatValues("id"),
    endpoints: [
      "GET /store",
      "GET /customers?page=&pageSize=&active=&lastName=&tier=",
      "GET /customers/:id",
      "POST /customers",
      "PATCH /customers/:id",
      "POST /customers/bulk",
      "PATCH /customers/bulk",
      "GET /customers/:id/rentals?open=",
      "GET /rentals?page=&pageSize=&customerId=&customerLastName=&open=",
      "GET /films?page=&pageSize=&title=&rating=",
      "GET /films/:id/inventory",
      "GET /reports/customer-payments?limit=",
      "GET /reports/top-films?limit=",
      "GET /settings",
      "PUT /settings",
      "PATCH /settings",
    ],
    dataAttribution: ATTRIBUTION,
  }));

  app.get(
    "/store",
    forTenant(async () => {
      const store = await Store.objects.selectRelated("address__city__country" as never).get({ id: currentTenant() });

      return {
        store: {
          id: store.id,
          managerStaffId: store.managerStaffId,
          address: store.address.address,
          city: store.address.city.city,
          country: store.address.city.country.country,
        },
        counts: {
          customers: await Customer.forTenant().count(),
          inventory: await Inventory.forTenant().count(),
          rentals: await Rental.forTenant().count(),
          payments: await Payment.forTenant().count(),
        },
      };
    }),
  );

  app.get(
    "/customers",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...pageQuery,
            active: { type: "boolean" },
            lastName: { type: "string", minLength: 1, maxLength: 45 },
            tier: { type: "string", minLength: 1, maxLength: 40 },
          },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Querystring: PageQuery & { active?: boolean; lastName?: string; tier?: string } }>) => {
      const { page, pageSize, active, lastName, tier } = request.query;
      let query = Customer.forTenant();

      if (active !== undefined) {
        query = query.filter({ active });
      }

      if (lastName !== undefined) {
        query = query.filter({ lastName__iexact: lastName });
      }

      if (tier !== undefined) {
        query = query.filter({ customFields__tier: tier } as never);
      }

      const result = await query.page(page, pageSize);

      return { ...result, items: result.items.map((customer) => customerPayload(customer)) };
    }),
  );

  app.get(
    "/customers/:id",
    { schema: { params: idParams } },
    forTenant(async (request: FastifyRequest<{ Params: { id: number } }>) => {
      const { id } = request.params;
      const customer = await Customer.forTenant().selectRelated("address__city__country").filter({ id }).first();

      if (!customer) {
        throw new HttpError(404, `Customer ${id} not found in this store.`);
      }

      const rentals = Rental.forTenant().filter({ customer: id });
      const paid = await Payment.forTenant().filter({ customer: id }).aggregate({ total: Sum("amount"), count: Count() });

      return {
        customer: {
          ...customerPayload(customer),
          address: {
            address: customer.address.address,
            district: customer.address.district,
            city: customer.address.city.city,
            country: customer.address.city.country.country,
            phone: customer.address.phone,
          },
          rentals: await rentals.count(),
          openRentals: await rentals.filter({ returnDate: null }).count(),
          payments: { count: paid.count, total: money(paid.total) },
        },
      };
    }),
  );

  app.post(
    "/customers",
    { schema: { body: customerCreateSchema } },
    forTenant(async (request: FastifyRequest<{ Body: CustomerInput }>, reply) => {
      const customer = await Customer.forTenant().create(request.body as never);
      request.log.info({ customerId: customer.id, storeId: customer.storeId }, "customer created");

      return reply.code(201).header("location", `/customers/${customer.id}`).send({ customer: customerPayload(customer) });
    }),
  );

  app.post(
    "/customers/bulk",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["customers"],
          properties: { customers: { type: "array", minItems: 1, maxItems: MAX_BULK_ROWS, items: customerCreateSchema } },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Body: { customers: CustomerInput[] } }>, reply) => {
      const created = await db.transaction(() => Customer.forTenant().bulkCreate(request.body.customers as never[]));

      return reply.code(201).send({ customers: created.map((customer) => customerPayload(customer)) });
    }),
  );

  app.patch(
    "/customers/bulk",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["updates"],
          properties: {
            updates: {
              type: "array",
              minItems: 1,
              maxItems: MAX_BULK_ROWS,
              items: {
                type: "object",
                additionalProperties: false,
                required: ["id"],
                properties: { id: { type: "integer", minimum: 1 }, active: { type: "boolean" }, customFields: customFieldsSchema },
              },
            },
          },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Body: { updates: { id: number; active?: boolean; customFields?: CustomFields }[] } }>) => {
      const { updates } = request.body;
      const ids = updates.map((update) => update.id);
      const customers = await Customer.forTenant().filter({ id__in: ids }).all();
      const byId = new Map(customers.map((customer) => [customer.id, customer]));
      const missing = ids.filter((id) => !byId.has(id));

      if (missing.length > 0) {
        throw new HttpError(404, `Customer ${missing.join(", ")} not found in this store; nothing was updated.`);
      }

      for (const update of updates) {
        const customer = byId.get(update.id)!;
        customer.active = update.active ?? customer.active;
        customer.customFields = update.customFields === undefined ? customer.customFields : { ...customer.customFields, ...update.customFields };
      }

      const matched = await Customer.forTenant().bulkUpdate([...byId.values()], ["active", "customFields"]);

      return { updated: matched, customers: [...byId.values()].map((customer) => customerPayload(customer)) };
    }),
  );

  app.patch(
    "/customers/:id",
    {
      schema: {
        params: idParams,
        body: { type: "object", additionalProperties: false, minProperties: 1, properties: customerFields },
      },
    },
    forTenant(async (request: FastifyRequest<{ Params: { id: number }; Body: Partial<CustomerInput> }>) => {
      const { id } = request.params;
      const customer = await Customer.forTenant().filter({ id }).first();

      if (!customer) {
        throw new HttpError(404, `Customer ${id} not found in this store.`);
      }

      const { customFields, ...fields } = request.body;
      Object.assign(customer, fields);

      if (customFields !== undefined) {
        // Keys set to null are removed; other keys are merged into the stored object.
        const merged: CustomFields = { ...customer.customFields, ...customFields };
        customer.customFields = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== null));
      }

      await customer.save();

      return { customer: customerPayload(customer) };
    }),
  );

  app.get(
    "/customers/:id/rentals",
    {
      schema: {
        params: idParams,
        querystring: { type: "object", additionalProperties: false, properties: { ...pageQuery, open: { type: "boolean" } } },
      },
    },
    forTenant(async (request: FastifyRequest<{ Params: { id: number }; Querystring: PageQuery & { open?: boolean } }>) => {
      const { id } = request.params;
      const { page, pageSize, open } = request.query;

      if (!(await Customer.forTenant().filter({ id }).exists())) {
        throw new HttpError(404, `Customer ${id} not found in this store.`);
      }

      let query = Rental.forTenant().filter({ customer: id }).selectRelated("inventory__film");

      if (open !== undefined) {
        query = query.filter({ returnDate__isnull: open });
      }

      const result = await query.page(page, pageSize);

      return { ...result, items: result.items.map(rentalPayload) };
    }),
  );

  app.get(
    "/rentals",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...pageQuery,
            customerId: { type: "integer", minimum: 1 },
            customerLastName: { type: "string", minLength: 1, maxLength: 45 },
            open: { type: "boolean" },
          },
        },
      },
    },
    forTenant(
      async (request: FastifyRequest<{ Querystring: PageQuery & { customerId?: number; customerLastName?: string; open?: boolean } }>) => {
        const { page, pageSize, customerId, customerLastName, open } = request.query;
        let query = Rental.forTenant().selectRelated("inventory__film");

        if (customerId !== undefined) {
          query = query.filter({ customer: customerId });
        }

        if (customerLastName !== undefined) {
          // Crosses into Customer, so it matches only this store's customers.
          query = query.filter({ customer__lastName__iexact: customerLastName });
        }

        if (open !== undefined) {
          query = query.filter({ returnDate__isnull: open });
        }

        const result = await query.page(page, pageSize);

        return { ...result, items: result.items.map(rentalPayload) };
      },
    ),
  );

  app.get(
    "/films",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...pageQuery,
            title: { type: "string", minLength: 1, maxLength: 128 },
            rating: { type: "string", enum: ["G", "PG", "PG-13", "R", "NC-17"] },
          },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Querystring: PageQuery & { title?: string; rating?: Film["rating"] } }>) => {
      const { page, pageSize, title, rating } = request.query;
      // Films are shared; `copies` crosses into Inventory, so both the
      // filter and the count see only this store's copies.
      let query = TenantQuery.shared(Film).filter({ copies__isnull: false } as never);

      if (title !== undefined) {
        query = query.filter({ title__icontains: title });
      }

      if (rating !== undefined) {
        query = query.filter({ rating });
      }

      const result = await query.annotate({ copyCount: Count("copies") }).page(page, pageSize);

      return { ...result, items: result.items.map((film) => ({ ...filmPayload(film), copies: film.copyCount })) };
    }),
  );

  app.get(
    "/films/:id/inventory",
    { schema: { params: idParams } },
    forTenant(async (request: FastifyRequest<{ Params: { id: number } }>) => {
      const { id } = request.params;
      const film = await Film.objects.filter({ id }).first();

      if (!film) {
        throw new HttpError(404, `Film ${id} not found.`);
      }

      const copies = await Inventory.forTenant().filter({ film: id }).orderBy("id").all();
      const out = new Set(await Rental.forTenant().filter({ inventory__in: copies.map((copy) => copy.id), returnDate: null }).flatValues("inventoryId"));

      return {
        film: filmPayload(film),
        copies: copies.map((copy) => ({ id: copy.id, available: !out.has(copy.id) })),
      };
    }),
  );

  app.get(
    "/reports/customer-payments",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: 100, default: 10 } },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Querystring: { limit: number } }>) => {
      const { limit } = request.query;
      // The aggregates cross into Payment and Rental, so they count only this store's rows.
      const customers = await Customer.forTenant()
        .annotate({ paid: Sum("payments__amount"), rentalCount: Count("rentals") })
        .orderBy("-paid", "id")
        .limit(limit)
        .all();

      return {
        items: customers.map((customer) => ({
          id: customer.id,
          name: customer.fullName,
          rentals: customer.rentalCount,
          paid: money(customer.paid),
        })),
      };
    }),
  );

  app.get(
    "/reports/top-films",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: 100, default: 10 } },
        },
      },
    },
    forTenant(async (request: FastifyRequest<{ Querystring: { limit: number } }>) => ({
      items: await topFilms(db, request.query.limit),
    })),
  );

  async function loadSettings(): Promise<SettingsValues> {
    const row = await TenantSettings.forTenant().first();

    return { ...DEFAULT_SETTINGS, ...(row?.settings ?? {}) };
  }

  async function storeSettings(settings: SettingsValues): Promise<SettingsValues> {
    const row = await TenantSettings.forTenant().first();

    if (row) {
      row.settings = settings;
      await row.save();
    } else {
      await TenantSettings.forTenant().create({ settings } as never);
    }

    return loadSettings();
  }

  app.get(
    "/settings",
    forTenant(async () => ({ settings: await loadSettings() })),
  );

  app.put(
    "/settings",
    { schema: { body: settingsSchema } },
    forTenant(async (request: FastifyRequest<{ Body: SettingsValues }>) => ({ settings: await storeSettings(request.body) })),
  );

  app.patch(
    "/settings",
    { schema: { body: settingsSchema } },
    forTenant(async (request: FastifyRequest<{ Body: SettingsValues }>) => {
      const row = await TenantSettings.forTenant().first();

      return { settings: await storeSettings({ ...(row?.settings ?? {}), ...request.body }) };
    }),
  );

  return app;
}

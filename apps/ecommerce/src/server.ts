/** The shop's JSON API on Fastify. Input is checked by each route's JSON schema. */
import { ChakraError, DoesNotExist, InvalidPageError, Paginator, ValidationError, type Database } from "@chakra-orm/core";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { PRODUCT_SORTS, listProducts, lowStock, productSummary, repriceCategory, stockOf, type ProductSort } from "./catalog.js";
import { Category, Customer, Order, Product } from "./models.js";
import { formatCents, parseCents } from "./money.js";
import { DEFAULT_MAX_ATTEMPTS, OrderRejectedError, placeOrder, type LockingStrategy, type OrderRequest } from "./orders.js";
import { ATTRIBUTION, customerDetail, orderDetail, orderSummary } from "./payloads.js";
import { bestSellers, revenueByMonth } from "./reports.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
/** Distinct products on one order. */
const MAX_ORDER_LINES = 50;
/** Units of one product on one order. */
const MAX_LINE_QUANTITY = 1000;

const pageQuerySchema = {
  page: { type: "integer", minimum: 1, default: 1 },
  pageSize: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
} as const;

const idParamsSchema = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1 } },
  required: ["id"],
} as const;

const PRICE_PATTERN = "^\\d{1,8}(\\.\\d{1,2})?$";

interface PageQuery {
  page: number;
  pageSize: number;
}

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
  404: "Not Found",
  409: "Conflict",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
};

function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_NAMES[statusCode] ?? "Error", message };
}

function pagePayload(page: { number: number; paginator: { pageCount: number; totalCount: number } }, pageSize: number) {
  return {
    page: page.number,
    pageSize,
    pageCount: page.paginator.pageCount,
    totalCount: page.paginator.totalCount,
  };
}

export interface ServerOptions {
  db: Database;
  /** Locking strategy of POST /orders against overselling (default "pessimistic"). */
  locking?: LockingStrategy;
  /** Attempts of an optimistic order before it is rejected (default 20). */
  maxOrderAttempts?: number;
  /** Fastify's logger option; tests pass false. */
  logger?: FastifyServerOptions["logger"];
}

/** Builds the Fastify app with every route; call `listen()` on the result. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { db } = options;
  const locking = options.locking ?? "pessimistic";
  const maxAttempts = options.maxOrderAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const app = Fastify({
    logger: options.logger ?? false,
    // Reject unknown body fields with a 400 instead of dropping them silently.
    ajv: { customOptions: { removeAdditional: false } },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof HttpError || error instanceof OrderRejectedError) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }

    if (error instanceof InvalidPageError || error instanceof DoesNotExist) {
      return reply.code(404).send(errorBody(404, error.message));
    }

    if (error instanceof ValidationError) {
      return reply.code(400).send(errorBody(400, error.message));
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
    name: "Chakra ORM example shop",
    locking,
    endpoints: [
      "GET /products?page=&pageSize=&categoryId=&q=&minPrice=&maxPrice=&inStock=&discontinued=&sort=",
      "GET /products/:id",
      "POST /products/reprice",
      "GET /categories",
      "GET /customers/:id",
      "GET /orders?customerId=&page=&pageSize=",
      "GET /orders/:id",
      "POST /orders",
      "GET /inventory/low-stock",
      "GET /reports/revenue-by-month?year=",
      "GET /reports/best-sellers?top=&categoryId=",
    ],
    dataAttribution: ATTRIBUTION,
  }));

  registerCatalogRoutes(app);
  registerOrderRoutes(app, db, locking, maxAttempts);
  registerReportRoutes(app);

  return app;
}

interface ProductQuery extends PageQuery {
  categoryId?: number;
  q?: string;
  minPrice?: string;
  maxPrice?: string;
  inStock?: boolean;
  discontinued?: boolean;
  sort: ProductSort;
}

function registerCatalogRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: ProductQuery }>(
    "/products",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...pageQuerySchema,
            categoryId: { type: "integer", minimum: 1 },
            q: { type: "string", minLength: 1, maxLength: 40 },
            minPrice: { type: "string", pattern: PRICE_PATTERN },
            maxPrice: { type: "string", pattern: PRICE_PATTERN },
            inStock: { type: "boolean" },
            discontinued: { type: "boolean" },
            sort: { type: "string", enum: PRODUCT_SORTS, default: "id" },
          },
        },
      },
    },
    async (request) => {
      const { page, pageSize, sort, q, ...filters } = request.query;
      const result = await listProducts({ ...filters, search: q }, sort, page, pageSize);

      return { ...pagePayload(result.page, pageSize), items: result.items, dataAttribution: ATTRIBUTION };
    },
  );

  app.get<{ Params: { id: number } }>("/products/:id", { schema: { params: idParamsSchema } }, async (request) => {
    const { id } = request.params;
    const product = await Product.objects.filter({ id }).selectRelated("category").first();

    if (!product) {
      throw new HttpError(404, `Product ${id} not found.`);
    }

    const stock = (await stockOf([product])).get(id);

    return {
      product: {
        ...productSummary(product, stock),
        unitsOnOrder: stock?.unitsOnOrder ?? 0,
        reorderLevel: stock?.reorderLevel ?? 0,
        stockVersion: stock?.version ?? null,
      },
    };
  });

  app.post<{ Body: { categoryId: number; percent: number; includeDiscontinued?: boolean } }>(
    "/products/reprice",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["categoryId", "percent"],
          properties: {
            categoryId: { type: "integer", minimum: 1 },
            percent: { type: "number", minimum: -90, maximum: 100 },
            includeDiscontinued: { type: "boolean", default: false },
          },
        },
      },
    },
    async (request) => {
      const { categoryId, percent, includeDiscontinued } = request.body;
      const basisPoints = Math.round(percent * 100);

      if (Math.abs(basisPoints - percent * 100) > 1e-6) {
        throw new HttpError(400, `percent ${percent} has more than two decimals. Round it to hundredths of a percent.`);
      }

      if (!(await Category.objects.filter({ id: categoryId }).exists())) {
        throw new HttpError(404, `Category ${categoryId} not found.`);
      }

      const result = await repriceCategory(categoryId, basisPoints, includeDiscontinued === true);
      request.log.info({ categoryId, basisPoints, updated: result.updated }, "category repriced");

      return { categoryId, percent, updated: result.updated, products: result.products };
    },
  );

  app.get("/categories", async () => {
    const categories = await Category.objects.orderBy("id").all();

    return { items: categories.map((category) => ({ id: category.id, name: category.name, description: category.description })) };
  });

  app.get("/inventory/low-stock", async () => ({ items: await lowStock() }));
}

function registerOrderRoutes(app: FastifyInstance, db: Database, locking: LockingStrategy, maxAttempts: number): void {
  app.get<{ Params: { id: string } }>(
    "/customers/:id",
    {
      schema: {
        params: {
          type: "object",
          properties: { id: { type: "string", pattern: "^[A-Za-z]{1,5}$" } },
          required: ["id"],
        },
      },
    },
    async (request) => {
      const customer = await Customer.objects.filter({ id: request.params.id.toUpperCase() }).first();

      if (!customer) {
        throw new HttpError(404, `Customer "${request.params.id}" not found.`);
      }

      return { customer: await customerDetail(customer) };
    },
  );

  app.get<{ Querystring: PageQuery & { customerId?: string } }>(
    "/orders",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { ...pageQuerySchema, customerId: { type: "string", pattern: "^[A-Za-z]{1,5}$" } },
        },
      },
    },
    async (request) => {
      const { page, pageSize, customerId } = request.query;
      let query = Order.objects.orderBy("-orderDate", "-id");

      if (customerId !== undefined) {
        query = query.filter({ customerId: customerId.toUpperCase() });
      }

      const result = await new Paginator(query, { pageSize }).page(page);

      return { ...pagePayload(result, pageSize), items: result.items.map(orderSummary) };
    },
  );

  app.get<{ Params: { id: number } }>("/orders/:id", { schema: { params: idParamsSchema } }, async (request) => {
    const order = await Order.objects.filter({ id: request.params.id }).first();

    if (!order) {
      throw new HttpError(404, `Order ${request.params.id} not found.`);
    }

    return { order: await orderDetail(order) };
  });

  app.post<{ Body: OrderRequest }>(
    "/orders",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["customerId", "lines"],
          properties: {
            customerId: { type: "string", pattern: "^[A-Z]{1,5}$" },
            lines: {
              type: "array",
              minItems: 1,
              maxItems: MAX_ORDER_LINES,
              items: {
                type: "object",
                additionalProperties: false,
                required: ["productId", "quantity"],
                properties: {
                  productId: { type: "integer", minimum: 1 },
                  quantity: { type: "integer", minimum: 1, maximum: MAX_LINE_QUANTITY },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      let placed;

      try {
        placed = await placeOrder(db, request.body, { strategy: locking, maxAttempts });
      } catch (error) {
        if (error instanceof OrderRejectedError) {
          request.log.info({ customerId: request.body.customerId, reason: error.message }, "order rejected");
        }

        throw error;
      }

      const detail = await orderDetail(placed.order);
      request.log.info({ orderId: placed.order.id, attempts: placed.attempts, locking }, "order placed");

      return reply
        .code(201)
        .header("location", `/orders/${placed.order.id}`)
        .send({ order: detail, placement: { locking, attempts: placed.attempts } });
    },
  );
}

function registerReportRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: { year?: number } }>(
    "/reports/revenue-by-month",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { year: { type: "integer", minimum: 1900, maximum: 9999 } },
        },
      },
    },
    async (request) => {
      const months = await revenueByMonth(request.query.year);
      // The total is the sum of the rounded monthly figures, so it matches the rows.
      const totalCents = months.reduce((sum, month) => sum + parseCents(month.revenue), 0);

      return { year: request.query.year ?? null, months, totalRevenue: formatCents(totalCents) };
    },
  );

  app.get<{ Querystring: { top: number; categoryId?: number } }>(
    "/reports/best-sellers",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            top: { type: "integer", minimum: 1, maximum: 20, default: 3 },
            categoryId: { type: "integer", minimum: 1 },
          },
        },
      },
    },
    async (request) => ({ top: request.query.top, categories: await bestSellers(request.query.top, request.query.categoryId) }),
  );
}

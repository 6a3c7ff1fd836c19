/**
 * The shop's models. Rows imported from Northwind keep their ids, so order
 * 10248 and customer ALFKI mean the same as in the dataset.
 *
 * Money is `field.decimal`, read and written as strings, so prices never pass
 * through a float on their way in or out.
 */
import { Model, field, manager, type ModelClass } from "@chakra-orm/core";

export class Category extends Model.define("categories", {
  id: field.id(),
  name: field.string({ maxLength: 15, unique: true }),
  description: field.text({ nullable: true }),
  products: field.reverse((): ModelClass => Product, "category"),
}) {
  static objects = manager(this);
}

export class Customer extends Model.define("customers", {
  /** Five-letter code such as `ALFKI`. */
  id: field.string({ primaryKey: true, maxLength: 5 }),
  companyName: field.string({ maxLength: 40 }),
  contactName: field.string({ maxLength: 30, nullable: true }),
  city: field.string({ maxLength: 15, nullable: true }),
  country: field.string({ maxLength: 15, nullable: true }),
  orders: field.reverse((): ModelClass => Order, "customer"),
}) {
  static objects = manager(this);
}

export class Product extends Model.define(
  "products",
  {
    id: field.id(),
    name: field.string({ maxLength: 40 }),
    category: field.foreignKey(() => Category, { onDelete: "protect", relatedName: "products" }),
    quantityPerUnit: field.string({ maxLength: 20, nullable: true }),
    /** The list price that new orders pay. */
    unitPrice: field.decimal({ precision: 10, scale: 2 }),
    discontinued: field.boolean({ default: false }),
  },
  { ordering: ["id"], indexes: [{ fields: ["category", "unitPrice"] }] },
) {
  static objects = manager(this);
}

/**
 * Stock of one product. The version field gives the optimistic strategy its
 * check: `save()` writes only when the version is still the one that was read.
 *
 * NOTE: there is deliberately no `unitsInStock >= 0` check constraint, so the
 * concurrency tests show that each locking strategy alone keeps stock
 * from going negative.
 */
export class Inventory extends Model.define("inventory", {
  id: field.id(),
  product: field.oneToOne(() => Product, { onDelete: "cascade", relatedName: "inventory" }),
  unitsInStock: field.integer({ default: 0 }),
  unitsOnOrder: field.integer({ default: 0 }),
  /** When stock falls to this level or below, the product needs reordering. */
  reorderLevel: field.integer({ default: 0 }),
  version: field.version(),
}) {
  static objects = manager(this);
}

export class Order extends Model.define(
  "orders",
  {
    id: field.id(),
    customer: field.foreignKey(() => Customer, { onDelete: "protect", relatedName: "orders" }),
    orderDate: field.date(),
    requiredDate: field.date({ nullable: true }),
    shippedDate: field.date({ nullable: true }),
    freight: field.decimal({ precision: 10, scale: 2, default: "0.00" }),
    shipName: field.string({ maxLength: 40, nullable: true }),
    shipCity: field.string({ maxLength: 15, nullable: true }),
    shipCountry: field.string({ maxLength: 15, nullable: true }),
    lines: field.reverse((): ModelClass => OrderLine, "order"),
  },
  { indexes: [{ fields: ["orderDate"] }] },
) {
  static objects = manager(this);
}

/** One product on an order, with the price and discount it was sold at. */
export class OrderLine extends Model.define(
  "order_lines",
  {
    id: field.id(),
    order: field.foreignKey(() => Order, { onDelete: "cascade", relatedName: "lines" }),
    product: field.foreignKey(() => Product, { onDelete: "protect", relatedName: "orderLines" }),
    unitPrice: field.decimal({ precision: 10, scale: 2 }),
    quantity: field.integer(),
    /** A fraction from 0 to 1, such as 0.15 for 15% off. */
    discount: field.decimal({ precision: 4, scale: 2, default: "0.00" }),
  },
  { uniqueTogether: [["order", "product"]] },
) {
  static objects = manager(this);
}

/** Every model of the shop, parents before children. */
export const MODELS = [Category, Customer, Product, Inventory, Order, OrderLine] as const;

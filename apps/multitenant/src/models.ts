/**
 * The rental chain's models. The tenant is the store: every model built on
 * `TenantScoped` has a `store` foreign key and is read and written through
 * `Model.forTenant()`, which takes the store from the request context.
 *
 * Geography (country, city, address), languages and the film catalogue are
 * shared reference data that every store reads.
 *
 * Rows keep the dataset's ids. Relations are typed from the child side. A
 * relation that closes a cycle uses a thunk typed `(): ModelClass`, because
 * TypeScript rejects two model classes whose base expressions infer each
 * other's types (TS2506).
 */
import { Model, field, manager, type Database, type ModelClass } from "@chakra-orm/core";
import { TenantQuery, markTenantScoped } from "./tenancy.js";

export class Country extends Model.define("country", {
  id: field.id(),
  country: field.string({ maxLength: 50 }),
}) {
  static objects = manager(this);
}

export class City extends Model.define("city", {
  id: field.id(),
  city: field.string({ maxLength: 50 }),
  country: field.foreignKey(() => Country, { onDelete: "restrict" }),
}) {
  static objects = manager(this);
}

export class Address extends Model.define("address", {
  id: field.id(),
  address: field.string({ maxLength: 50 }),
  /** NULL and "" both occur in the dataset and stay distinct. */
  address2: field.string({ maxLength: 50, nullable: true }),
  district: field.string({ maxLength: 20 }),
  city: field.foreignKey(() => City, { onDelete: "restrict" }),
  postalCode: field.string({ maxLength: 10, nullable: true }),
  phone: field.string({ maxLength: 20 }),
}) {
  static objects = manager(this);
}

/** A store is a tenant. The table is the registry the `x-tenant` header is checked against. */
export class Store extends Model.define("store", {
  id: field.id(),
  /** The staff member who manages the store; a plain id, because staff rows point back at their store. */
  managerStaffId: field.integer(),
  address: field.foreignKey(() => Address, { onDelete: "restrict" }),
}) {
  static objects = manager(this);
}

export class Language extends Model.define("language", {
  id: field.id(),
  name: field.string({ maxLength: 20 }),
}) {
  static objects = manager(this);
}

export const RATINGS = ["G", "PG", "PG-13", "R", "NC-17"] as const;

export class Film extends Model.define(
  "film",
  {
    id: field.id(),
    title: field.string({ maxLength: 128 }),
    description: field.text({ nullable: true }),
    releaseYear: field.integer({ nullable: true }),
    language: field.foreignKey(() => Language, { onDelete: "restrict" }),
    /** Days a copy may be kept. */
    rentalDuration: field.integer({ default: 3 }),
    rentalRate: field.decimal({ precision: 4, scale: 2 }),
    /** Running time in minutes. */
    length: field.integer({ nullable: true }),
    replacementCost: field.decimal({ precision: 5, scale: 2 }),
    rating: field.enum(RATINGS, { nullable: true }),
    /** Comma-separated, such as "Trailers,Deleted Scenes". */
    specialFeatures: field.string({ maxLength: 100, nullable: true }),
    copies: field.reverse((): ModelClass => Inventory, "film"),
  },
  { ordering: ["title", "id"] },
) {
  static objects = manager(this);
}

/**
 * The abstract model of rows owned by one store: a `store` foreign key, the
 * `forTenant()` query builder, and (through tenancy.ts) a beforeSave hook
 * that sets or checks the store of every saved row.
 */
export const TenantScoped = Model.abstract(
  { store: field.foreignKey(() => Store, { onDelete: "restrict" }) },
  (Base) => {
    class TenantScopedModel extends Base {
      /**
       * Returns a query over the current tenant's rows, on `db` or the
       * default database. Raises MissingTenantError outside `withContext({ tenant })`.
       */
      static forTenant<C extends ModelClass<any>>(this: C, db?: Database): TenantQuery<InstanceType<C>> {
        return TenantQuery.forModel(this, db);
      }
    }

    markTenantScoped(TenantScopedModel);

    return TenantScopedModel;
  },
);

/** Free-form per-tenant fields of a customer, such as `{ "tier": "gold" }`. */
export type CustomFields = Record<string, string | number | boolean | null>;

export class Staff extends Model.define(
  "staff",
  {
    id: field.id(),
    firstName: field.string({ maxLength: 45 }),
    lastName: field.string({ maxLength: 45 }),
    address: field.foreignKey(() => Address, { onDelete: "restrict" }),
    email: field.string({ maxLength: 50, nullable: true }),
    active: field.boolean({ default: true }),
    username: field.string({ maxLength: 16 }),
  },
  [TenantScoped],
) {
  static unscoped = manager(this);
}

export class Customer extends Model.define(
  "customer",
  {
    id: field.id(),
    firstName: field.string({ maxLength: 45 }),
    lastName: field.string({ maxLength: 45, index: true }),
    email: field.string({ maxLength: 50, nullable: true }),
    address: field.foreignKey(() => Address, { onDelete: "restrict" }),
    active: field.boolean({ default: true }),
    createdAt: field.dateTime({ default: () => new Date() }),
    /** Fields each store defines for itself; filter them with key paths such as `customFields__tier`. */
    customFields: field.json<CustomFields>({ default: () => ({}) }),
    rentals: field.reverse((): ModelClass => Rental, "customer"),
    payments: field.reverse((): ModelClass => Payment, "customer"),
  },
  [TenantScoped],
  { ordering: ["lastName", "firstName", "id"] },
) {
  static unscoped = manager(this);

  get fullName(): string {
    return `${this.firstName} ${this.lastName}`;
  }
}

/** One physical copy of a film, owned by a store. */
export class Inventory extends Model.define(
  "inventory",
  {
    id: field.id(),
    film: field.foreignKey(() => Film, { onDelete: "restrict", relatedName: "copies" }),
    rentals: field.reverse((): ModelClass => Rental, "inventory"),
  },
  [TenantScoped],
) {
  static unscoped = manager(this);
}

/**
 * A rental of one copy. Its store is the copy's store, where the rental
 * happened; the customer may belong to the other store, because customers
 * rent at both stores.
 */
export class Rental extends Model.define(
  "rental",
  {
    id: field.id(),
    rentalDate: field.dateTime(),
    inventory: field.foreignKey(() => Inventory, { onDelete: "restrict", relatedName: "rentals" }),
    customer: field.foreignKey(() => Customer, { onDelete: "restrict", relatedName: "rentals" }),
    /** NULL while the copy is out. */
    returnDate: field.dateTime({ nullable: true }),
    staff: field.foreignKey(() => Staff, { onDelete: "restrict" }),
    payments: field.reverse((): ModelClass => Payment, "rental"),
  },
  [TenantScoped],
  { ordering: ["-rentalDate", "-id"] },
) {
  static unscoped = manager(this);
}

/**
 * A payment. Its store is the store of its rental, or the staff member's
 * store for the five payments that have no rental.
 */
export class Payment extends Model.define(
  "payment",
  {
    id: field.id(),
    customer: field.foreignKey(() => Customer, { onDelete: "restrict", relatedName: "payments" }),
    staff: field.foreignKey(() => Staff, { onDelete: "restrict" }),
    rental: field.foreignKey(() => Rental, { nullable: true, onDelete: "setNull", relatedName: "payments" }),
    amount: field.decimal({ precision: 5, scale: 2 }),
    paymentDate: field.dateTime(),
  },
  [TenantScoped],
  { ordering: ["-paymentDate", "-id"] },
) {
  static unscoped = manager(this);
}

/** Settings a store edits for itself: one row per store, `settings` a JSON object. */
export type SettingsValues = Record<string, unknown>;

export class TenantSettings extends Model.define(
  "tenant_settings",
  {
    id: field.id(),
    settings: field.json<SettingsValues>({ default: () => ({}) }),
    updatedAt: field.dateTime({ default: () => new Date(), onUpdate: () => new Date() }),
  },
  [TenantScoped],
  { uniqueTogether: [["store"]] },
) {
  static unscoped = manager(this);
}

/** Every model, parents before children. */
export const MODELS = [
  Country,
  City,
  Address,
  Store,
  Language,
  Film,
  Staff,
  Customer,
  Inventory,
  Rental,
  Payment,
  TenantSettings,
] as const;

/** Models whose rows belong to one store. */
export const TENANT_MODELS = [Staff, Customer, Inventory, Rental, Payment, TenantSettings] as const;

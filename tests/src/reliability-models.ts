/**
 * Models of the reliability suite: one column of every field kind for the
 * fuzzed round trips, and small tables for the race and fault tests.
 */
import { Model, field, manager } from "@chakra-orm/core";

export const MOODS = ["calm", "tense", "ünïcode ✓"] as const;

/** One nullable column per field kind, so each can be written alone. */
export class Sample extends Model.define("rel_samples", {
  id: field.id(),
  label: field.string({ maxLength: 40, nullable: true }),
  body: field.text({ nullable: true }),
  count: field.integer({ nullable: true }),
  big: field.bigInteger({ nullable: true }),
  ratio: field.float({ nullable: true }),
  price: field.decimal({ precision: 12, scale: 4, nullable: true }),
  flag: field.boolean({ nullable: true }),
  seenAt: field.dateTime({ nullable: true }),
  day: field.date({ nullable: true }),
  clock: field.time({ nullable: true }),
  data: field.json<unknown>({ nullable: true }),
  token: field.uuid({ nullable: true }),
  blob: field.binary({ nullable: true }),
  mood: field.enum(MOODS, { nullable: true }),
}) {
  static objects = manager(this);
}

/** A row per name, for getOrCreate and updateOrCreate races. */
export class Slot extends Model.define("rel_slots", {
  id: field.id(),
  name: field.string({ maxLength: 60, unique: true }),
  hits: field.integer({ default: 0 }),
}) {
  static objects = manager(this);
}

/** Counters that concurrent F() increments and transfers update. */
export class Counter extends Model.define("rel_counters", {
  id: field.id(),
  name: field.string({ maxLength: 60, unique: true }),
  value: field.integer({ default: 0 }),
}) {
  static objects = manager(this);
}

export const RELIABILITY_MODELS = [Sample, Slot, Counter];

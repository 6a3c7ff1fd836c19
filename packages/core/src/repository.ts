/**
 * The repository pattern: one class per aggregate that owns its queries,
 * so the rest of an application calls domain operations
 * (`posts.published()`) instead of building QuerySets.
 */
import type { Database } from "./database.js";
import { DoesNotExist } from "./errors.js";
import type { Model, ModelClass } from "./model.js";
import { QuerySet } from "./queryset.js";
import type { Conditions } from "./queryset-types.js";
import type { CreateInput, FieldsOf } from "./types.js";

/**
 * Base class for repositories over one model. Subclass it and add methods
 * that name domain operations. `query()` returns a fresh QuerySet on the
 * repository's database, which is the routed one by default.
 *
 * @example
 * class PostRepository extends Repository<Post> {
 *   constructor(using?: Database | string) {
 *     super(Post, { using });
 *   }
 *
 *   published(): Promise<Post[]> {
 *     return this.query().filter({ published: true }).orderBy("-publishedAt").all();
 *   }
 * }
 *
 * const posts = new PostRepository();
 * const post = await posts.create({ title: "Hello", authorId: 1 });
 */
export class Repository<M extends Model> {
  readonly model: ModelClass<M>;
  readonly #using: Database | string | undefined;

  constructor(model: ModelClass<M>, options: { using?: Database | string } = {}) {
    this.model = model;
    this.#using = options.using;
  }

  /** Returns a new QuerySet over every row of the model. */
  query(): QuerySet<M> {
    return new QuerySet<M>(this.model, this.#using);
  }

  /** Returns the row with primary key `id`; raises DoesNotExist when there is none. */
  async get(id: unknown): Promise<M> {
    const found = await this.find(id);

    if (!found) {
      const meta = this.model.$meta;

      throw new DoesNotExist(`${meta.name} with ${meta.pk.name} ${String(id)} does not exist.`, { model: meta.name });
    }

    return found;
  }

  /** Returns the row with primary key `id`, or null. */
  find(id: unknown): Promise<M | null> {
    return this.query().filter({ [this.model.$meta.pk.name]: id } as Conditions<M, Record<never, never>>).first();
  }

  /** Returns the rows matching `conditions` (every row without them). */
  list(conditions?: Conditions<M, Record<never, never>>): Promise<M[]> {
    return (conditions ? this.query().filter(conditions) : this.query()).all();
  }

  /** Counts the rows matching `conditions` (every row without them). */
  count(conditions?: Conditions<M, Record<never, never>>): Promise<number> {
    return (conditions ? this.query().filter(conditions) : this.query()).count();
  }

  /** Inserts a row with `save()`, so save hooks run, and returns it. */
  create(data: CreateInput<FieldsOf<M>>): Promise<M> {
    return this.query().create(data);
  }

  /** Saves an instance (insert or update) on the repository's database. */
  async save(instance: M): Promise<M> {
    const using = this.#using === undefined ? undefined : this.query().writeDb;

    return instance.save(using ? { using } : {});
  }

  /** Deletes an instance (a soft delete on SoftDelete models). */
  delete(instance: M): Promise<number> {
    const using = this.#using === undefined ? undefined : this.query().writeDb;

    return instance.delete(using ? { using } : {});
  }

  /**
   * Runs `fn` in a transaction on the repository's write database. Reads
   * inside it go to that database too.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.query().writeDb.transaction(fn);
  }
}

/**
 * The SoftDelete abstract model: `delete()` marks a row with `deletedAt`
 * instead of removing it, and the model's queries hide marked rows.
 *
 * Where soft-deleted rows appear:
 * - Hidden: `Model.objects` queries (all, get, count, exists, values,
 *   aggregate, update, delete), reverse and many-to-many accessors such as
 *   `author.posts.all()`, and prefetchRelated or `load()` of those.
 * - Visible: forward foreign keys (`post.author` through selectRelated,
 *   prefetchRelated or `load()`), because the key still points at the row;
 *   check `post.author.isDeleted`. Also `withDeleted()` and `refresh()`.
 * - A soft-deleted row keeps its unique values, so a new row with the same
 *   value raises UniqueViolation. Restore the old row instead, or make the
 *   constraint partial where the dialect allows it.
 */
import type { Database } from "./database.js";
import { field } from "./fields.js";
import { deleteInstance, hardDeleteInstance, type DeleteOptions } from "./lifecycle.js";
import { Model, type ModelClass } from "./model.js";
import { QuerySet } from "./queryset.js";
import { SOFT_DELETE_FIELD } from "./soft-delete-scope.js";

/**
 * An abstract model for soft deletes. List it in `Model.define()`:
 *
 * @example
 * class Post extends Model.define("posts", { id: field.id(), title: field.string() }, [SoftDelete]) {
 *   static objects = manager(this);
 * }
 *
 * await post.delete();                       // UPDATE posts SET deleted_at = ...
 * await Post.objects.count();                // live rows only
 * await Post.withDeleted().count();          // every row
 * await (await Post.onlyDeleted().get({ id })).restore();
 */
export const SoftDelete = Model.abstract(
  { deletedAt: field.dateTime({ nullable: true }) },
  (Base) => {
    class SoftDeleteModel extends Base {
      /** True when the row is soft-deleted. */
      get isDeleted(): boolean {
        return this.deletedAt !== null;
      }

      /**
       * Sets `deletedAt` to now and runs the delete hooks with
       * `soft: true`. Returns 1, or 0 when the row was deleted already.
       */
      override async delete(options: DeleteOptions = {}): Promise<number> {
        const model = this.constructor as ModelClass;
        const deletedAt = new Date();

        return deleteInstance(this, options, true, async (db) => {
          const changed = await new QuerySet(model, db)
            .filter({ [model.$meta.pk.name]: this.pk } as never)
            .update({ deletedAt });

          // Set before the afterDelete hooks run, so they see the new value.
          if (changed > 0) {
            this.deletedAt = deletedAt;
          }

          return changed;
        });
      }

      /** Clears `deletedAt` with `save()`, so the save hooks run. */
      async restore(options: { using?: Database } = {}): Promise<this> {
        this.deletedAt = null;
        await this.save({ ...options, fields: ["deletedAt"] });

        return this;
      }

      /** Removes the row with DELETE and runs the delete hooks with `soft: false`. */
      async hardDelete(options: DeleteOptions = {}): Promise<number> {
        return hardDeleteInstance(this, options);
      }

      /** Every row, soft-deleted or not. */
      static withDeleted<C extends ModelClass<any>>(this: C): QuerySet<InstanceType<C>> {
        return new QuerySet(this).withDeleted() as QuerySet<InstanceType<C>>;
      }

      /** Only soft-deleted rows. */
      static onlyDeleted<C extends ModelClass<any>>(this: C): QuerySet<InstanceType<C>> {
        return new QuerySet(this).onlyDeleted() as QuerySet<InstanceType<C>>;
      }
    }

    // Set outside the class body, so the symbol stays out of the declaration
    // files of user models; subclasses inherit it as a static.
    Object.defineProperty(SoftDeleteModel, SOFT_DELETE_FIELD, { value: "deletedAt" });

    return SoftDeleteModel;
  },
);

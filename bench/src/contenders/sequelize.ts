/**
 * Sequelize 6 with model instances (not `raw: true`) wherever the workload
 * expects objects. Sequelize has no streaming query, so the stream
 * workload pages by id. On SQLite it needs the `sqlite3` driver.
 */
import { DataTypes, Op, Sequelize, col, fn, literal, type Model, type ModelAttributeColumnOptions, type Options } from "sequelize";
import type { AuthorTotals, Contender, EagerPost, PostLike, Target } from "../types.js";

/** Upper bound on pages in the stream workload, so a wrong cursor cannot loop forever. */
const MAX_PAGES = 1_000_000;
const BULK_CHUNK = 5000;

function connect(target: Target): Sequelize {
  const common: Options = { logging: false, pool: { max: 4 } };

  if (target.database === "sqlite") {
    return new Sequelize({ ...common, dialect: "sqlite", storage: target.location });
  }

  if (target.database === "postgres") {
    return new Sequelize(target.location, { ...common, dialect: "postgres" });
  }

  return new Sequelize(target.location, { ...common, dialect: "mysql", timezone: "+00:00" });
}

/**
 * published_at as a Date on the model. On SQLite the column contains
 * ISO-8601 text ending in "Z". Sequelize's DATE parser appends the
 * connection's offset to any value without a "+", which makes such text an
 * invalid date, so there the attribute is text with a converting getter and
 * setter.
 */
function publishedAtAttribute(target: Target): ModelAttributeColumnOptions {
  if (target.database !== "sqlite") {
    return { type: DataTypes.DATE(3), field: "published_at", allowNull: false };
  }

  return {
    type: DataTypes.TEXT,
    field: "published_at",
    allowNull: false,
    get(this: Model) {
      return new Date(this.getDataValue("publishedAt") as string);
    },
    set(this: Model, value: Date) {
      this.setDataValue("publishedAt", value.toISOString());
    },
  };
}

function defineModels(sequelize: Sequelize, target: Target) {
  const options = { timestamps: false, underscored: true };
  const User = sequelize.define("User", { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, username: DataTypes.STRING(50), email: DataTypes.STRING(200) }, { ...options, tableName: "users" });
  const Tag = sequelize.define("Tag", { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, name: DataTypes.STRING(50) }, { ...options, tableName: "tags" });
  const PostTag = sequelize.define("PostTag", { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true } }, { ...options, tableName: "post_tags" });
  const Post = sequelize.define(
    "Post",
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      title: DataTypes.STRING(200),
      body: DataTypes.TEXT,
      views: DataTypes.INTEGER,
      publishedAt: publishedAtAttribute(target),
      authorId: { type: DataTypes.INTEGER, field: "author_id" },
    },
    { ...options, tableName: "posts" },
  );
  Post.belongsTo(User, { as: "author", foreignKey: "authorId" });
  Post.belongsToMany(Tag, { as: "tags", through: PostTag, foreignKey: "postId", otherKey: "tagId" });

  return { User, Tag, Post };
}

export async function openSequelize(target: Target): Promise<Contender> {
  const sequelize = connect(target);
  await sequelize.authenticate();
  const { User, Tag, Post } = defineModels(sequelize, target);
  // Instances expose their attributes as properties, so they satisfy PostLike.
  const asPosts = (rows: Model[]) => rows as unknown as PostLike[];

  return {
    name: "sequelize",
    async getPost(id) {
      const post = await Post.findByPk(id, { rejectOnEmpty: true });

      return post as unknown as PostLike;
    },
    async listPopular(minViews, limit) {
      return asPosts(await Post.findAll({ where: { views: { [Op.gt]: minViews } }, order: [["publishedAt", "DESC"]], limit }));
    },
    async allPosts() {
      return asPosts(await Post.findAll());
    },
    async eagerPosts(limit) {
      const posts = await Post.findAll({
        include: [
          { model: User, as: "author", attributes: ["id", "username"] },
          { model: Tag, as: "tags", attributes: ["id", "name"], through: { attributes: [] } },
        ],
        order: [["id", "ASC"]],
        limit,
      });

      return posts as unknown as EagerPost[];
    },
    async insertPosts(rows) {
      await sequelize.transaction(async (transaction) => {
        for (let start = 0; start < rows.length; start += BULK_CHUNK) {
          await Post.bulkCreate(rows.slice(start, start + BULK_CHUNK) as never[], { transaction });
        }
      });
    },
    async bumpViews(authorId) {
      const [matched] = await Post.update({ views: literal("views + 1") }, { where: { authorId } });

      return matched;
    },
    async topAuthors(limit) {
      const rows = await Post.findAll({
        attributes: ["authorId", [fn("COUNT", col("id")), "posts"], [fn("SUM", col("views")), "views"]],
        group: ["authorId"],
        order: [
          [fn("SUM", col("views")), "DESC"],
          ["authorId", "ASC"],
        ],
        limit,
        raw: true,
      });

      return rows as unknown as AuthorTotals[];
    },
    async streamPosts(onPost) {
      let lastId = 0;

      for (let page = 0; page < MAX_PAGES; page += 1) {
        const batch = asPosts(await Post.findAll({ where: { id: { [Op.gt]: lastId } }, order: [["id", "ASC"]], limit: target.streamBatchSize }));

        if (batch.length === 0) {
          break;
        }

        batch.forEach(onPost);
        lastId = batch[batch.length - 1]!.id;
      }
    },
    close: () => sequelize.close(),
  };
}

export * from "./errors.js";
export { field, Field, ForeignKeyField, ManyToManyField, ReverseField, storageField } from "./fields.js";
export type { FieldKind, FieldMap, FieldOptions, OnDelete, RelationOptions, ManyToManyOptions, StringOptions, DecimalOptions } from "./fields.js";
export { Model, manager, stateOf, HYDRATING, attributeName } from "./model.js";
export type { ModelClass, AbstractModel, DefinedModel, AbstractBase, InstanceState } from "./model.js";
export { ModelMeta, snakeCase, registeredModels } from "./model-meta.js";
export type { ModelOptions, IndexOptions, CheckConstraint, ReverseRelation } from "./model-meta.js";
export { QuerySet } from "./queryset.js";
export { RelatedSet } from "./related.js";
export { Q } from "./q.js";
export { Database } from "./database.js";
export { retry } from "./retry.js";
export type { RetryOptions } from "./retry.js";
export type { DatabaseOptions, QueryEvent } from "./database.js";
export { Paginator, Page } from "./paginator.js";
export { hooks } from "./hooks.js";
export type { Hook, HookName, HookEvents, ModelHooks, SaveEvent, DeleteEvent, CommitEvent } from "./hooks.js";
export { withContext, currentContext } from "./context.js";
export type { RequestContext } from "./context.js";
export { SoftDelete } from "./soft-delete.js";
export { Audit, auditLogModel, trackChanges, currentActor } from "./audit.js";
export type { AuditAction, AuditLogEntryModel, TrackChangesOptions } from "./audit.js";
export { changedFields, trackSnapshots } from "./snapshot.js";
export type { FieldChange } from "./snapshot.js";
export { CursorPaginator } from "./keyset.js";
export type { CursorPage } from "./keyset.js";
export { Repository } from "./repository.js";
export type { DatabaseRouter, RoutingHints } from "./router.js";
export { connect } from "./connect.js";
export type { Connection, ConnectionMap, ConnectOptions } from "./connect.js";
export { sql, SqlFragment } from "./sql.js";
export { SqlCompiler, SqlBuilder, escapeLike } from "./compiler.js";
export { rowBatches, rowObjects } from "./row-object.js";
export type * from "./ast.js";
export type * from "./dialect.js";
export type * from "./types.js";
export { validateValue } from "./validate.js";
export { createTableStatements, dropTableStatements } from "./schema.js";
export {
  Expression,
  OrderTerm,
  Value,
  ValueExpression,
  FieldRef,
  F,
  OuterRef,
  OuterRefExpression,
  Func,
  func,
  Lower,
  Upper,
  Length,
  Coalesce,
  Concat,
  Now,
  NowExpression,
  Cast,
  CastExpression,
  Extract,
  ExtractExpression,
  Case,
  CaseExpression,
  When,
  WhenClause,
  Aggregate,
  Count,
  Sum,
  Avg,
  Min,
  Max,
  Subquery,
  SubqueryExpression,
  Exists,
  ExistsExpression,
  WindowExpression,
  RowNumber,
  Rank,
  DenseRank,
  NTile,
  FirstValue,
  LastValue,
  Lag,
  Lead,
  isExpression,
} from "./expressions.js";
export type { AggregateOptions, WindowOptions, ExpressionType, Reader } from "./expressions.js";
export { ValuesQuerySet } from "./values-queryset.js";
export { SearchQuery, SearchQueryValue, SearchRank, SearchRankExpression, searchTerms, searchSpec, searchFields } from "./search.js";
export type { SearchInput } from "./search.js";
export type * from "./search-node.js";
export { isExpressionNode } from "./compiler.js";
export type { SearchFieldOptions, SearchWeight } from "./search-options.js";
export type { SearchField, ArrayField, ArrayLookups } from "./fields.js";
export type { AnnotationValues, AnnotationFilter, Conditions } from "./queryset-types.js";
export type { SaveOptions, DeleteOptions } from "./lifecycle.js";
export * from "./migrations/index.js";
export { cte, Cte, CteColumn } from "./cte.js";

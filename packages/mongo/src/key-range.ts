import type { Document, Filter } from 'mongodb'
import { compareKeys, InvalidOptionError } from '@keydiff/core'

/**
 * The keys `(after, upTo]` in UTF-8 byte order (core's compareKeys), selected by the query as
 * `{ field: { $gt: after, $lte: upTo } }` under the simple collation (strings compared by
 * their bytes), so a shard of a distributed run reads its own references, not every
 * document. An index on `field` serves it (a collection or index with a collation other
 * than simple does not). Documents whose value is not a string, or that hold an array on the
 * way, are read too and their keys filtered here, so the keys are exactly the range's.
 */
export interface MongoKeyRange {
  /** Keys above this one. @default no lower bound */
  after?: string | undefined
  /** Keys up to this one, included. @default no upper bound */
  upTo?: string | undefined
  /**
   * Also every key that matches this regular expression (`$regex`, then JavaScript's RegExp
   * on the key), wherever it lies: the references a shard must see whichever range it plans
   * (a URI, a percent escape, which may resolve to another key). Keep to the syntax
   * PostgreSQL, MySQL and MongoDB share (classes, anchors, alternation, `?`). @default none
   */
  alsoMatching?: string | undefined
}

/** The range's query on `field` (to join the user's filter) and the test each key read must pass. */
export interface RangeQuery {
  filter: Filter<Document>
  keeps: (key: string) => boolean
}

/** The range checked, or undefined when it bounds nothing. Only a `field` key has an order to select by. */
export function rangeQuery (range: MongoKeyRange | undefined, field: string | undefined): RangeQuery | undefined {
  if (range === undefined) return undefined
  if (range === null || typeof range !== 'object') throw new InvalidOptionError('range', 'must be an object { after?, upTo?, alsoMatching? }')
  for (const bound of ['after', 'upTo', 'alsoMatching'] as const) {
    if (range[bound] !== undefined && typeof range[bound] !== 'string') throw new InvalidOptionError('range', `${bound} must be a string, got ${typeof range[bound]}`)
  }
  if (range.alsoMatching === '') throw new InvalidOptionError('range', 'alsoMatching must be a non-empty pattern (it would match every key)')
  const { after, upTo, alsoMatching } = range
  if (after === undefined && upTo === undefined) return undefined
  if (field === undefined) throw new InvalidOptionError('range', 'a template builds the key from several fields, whose order is not any field\'s: no query selects a range of the built keys; filter the source\'s keys instead')
  const pattern = alsoMatching === undefined ? undefined : new RegExp(alsoMatching)
  // every prefix of the path: an array on the way holds keys in and out of the range
  const segments = field.split('.')
  const arrays = segments.map((_, i) => ({ [segments.slice(0, i + 1).join('.')]: { $type: 'array' } }))
  const filter: Filter<Document> = {
    $or: [
      { [field]: { ...(after === undefined ? {} : { $gt: after }), ...(upTo === undefined ? {} : { $lte: upTo }) } },
      ...(alsoMatching === undefined ? [] : [{ [field]: { $regex: alsoMatching } }]),
      // an ObjectId, a number, a date: rendered here, so compared here
      { [field]: { $not: { $type: 'string' } } },
      ...arrays
    ]
  }
  const keeps = (key: string): boolean =>
    ((after === undefined || compareKeys(key, after) > 0) && (upTo === undefined || compareKeys(key, upTo) <= 0)) || pattern?.test(key) === true
  return { filter, keeps }
}

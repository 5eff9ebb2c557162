/** The fields of a node of `EXPLAIN (FORMAT JSON, VERBOSE)` that tell how it reads a table. */
export interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  /** Printed with VERBOSE. */
  Schema?: string
  'Index Name'?: string
  'Index Cond'?: string
  Plans?: PlanNode[]
}

/** How a plan reads its tables. */
export interface PlanReads {
  /** The tables it reads in full (`schema.table`): a Seq Scan, or an index read end to end. */
  wholeTables: string[]
  /** The indexes it reads only part of, through a condition that bounds the read. */
  indexes: string[]
}

/**
 * Whether reading `index` (of a table in `schema`) with this condition reads only part of it:
 * the caller knows which conditions bound the read (a range's bounds, a partial index's
 * predicate).
 */
export type BoundedRead = (schema: string | undefined, index: string, condition: string | undefined) => boolean

/**
 * The tables a plan reads in full and the indexes it reads part of. An index scan reads part
 * of its table when `bounded` says its condition bounds it; a bitmap heap scan when its
 * bitmap does (one bounded side of a BitmapAnd, every side of a BitmapOr). Any other scan of
 * a table (a Seq Scan, a sample, a foreign table) reads it in full.
 */
export function planReads (plan: PlanNode, bounded: BoundedRead): PlanReads {
  const wholeTables: string[] = []
  const indexes: string[] = []
  const visit = (node: PlanNode): void => {
    const relation = node['Relation Name']
    const table = relation === undefined ? undefined : node.Schema === undefined ? relation : `${node.Schema}.${relation}`
    const type = node['Node Type']
    if (table !== undefined && (type === 'Index Scan' || type === 'Index Only Scan')) {
      const index = node['Index Name'] ?? ''
      if (bounded(node.Schema, index, node['Index Cond'])) indexes.push(index)
      else wholeTables.push(table)
    } else if (table !== undefined && type === 'Bitmap Heap Scan') {
      const bitmap = node.Plans?.[0]
      const read = bitmap === undefined ? undefined : bitmapRead(bitmap, node.Schema, bounded)
      if (read?.bounded === true) indexes.push(...read.indexes)
      else wholeTables.push(table)
      return
    } else if (table !== undefined) {
      wholeTables.push(table)
    }
    for (const child of node.Plans ?? []) visit(child)
  }
  visit(plan)
  return { wholeTables: [...new Set(wholeTables)], indexes: [...new Set(indexes)] }
}

/** Whether a bitmap (an index scan, or an AND or OR of bitmaps) selects part of the table, and through which indexes. */
function bitmapRead (node: PlanNode, schema: string | undefined, bounded: BoundedRead): { bounded: boolean, indexes: string[] } {
  const type = node['Node Type']
  if (type === 'Bitmap Index Scan') {
    const index = node['Index Name'] ?? ''
    return { bounded: bounded(schema, index, node['Index Cond']), indexes: [index] }
  }
  const sides = (node.Plans ?? []).map(child => bitmapRead(child, schema, bounded))
  const kept = sides.filter(side => side.bounded)
  if (type === 'BitmapAnd') return { bounded: kept.length > 0, indexes: kept.flatMap(side => side.indexes) }
  if (type === 'BitmapOr') return { bounded: sides.length > 0 && kept.length === sides.length, indexes: sides.flatMap(side => side.indexes) }
  return { bounded: false, indexes: [] }
}

/** What a sink's action did, as a past participle: "40 quarantined", not "40 quarantine". */
const DONE: Record<string, string> = {
  quarantine: 'quarantined',
  delete: 'deleted',
  tag: 'tagged',
  'custom-time': 'given a custom time',
  'drop-database': 'dropped',
  'drop-collection': 'dropped',
  'release-hold': 'released from hold'
}

/** `40 quarantined`; an action this table does not know reads `40 acted on (<action>)`. */
export function actedOn (count: string, action: string): string {
  const word = DONE[action]
  return word === undefined ? `${count} acted on (${action})` : `${count} ${word}`
}

/** The label of the figure: `quarantined`, `deleted`, or `acted on (<action>)`. */
export function actedLabel (action: string): string {
  return DONE[action] ?? `acted on (${action})`
}

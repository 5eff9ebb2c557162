import { InvalidOptionError } from '../errors.ts'
import { parseStoreLocation } from '../location/store-location.ts'
import { isHiddenKey } from './hidden-keys.ts'
import type { PlanHeader } from './plan-types.ts'

/**
 * Refuses a quarantine whose trash lies inside the plan's store where the plan could list
 * it: the next plan would find the quarantined objects unreferenced and a delete run would
 * erase them. A trash under a `.keydiff` segment, under one of the plan's `exclude`
 * prefixes, or (while hidden names are protected) under a hidden segment is never planned.
 */
export function refuseTrashInsideStore (header: PlanHeader, trash: string | undefined): void {
  if (trash === undefined || header.store === null) return
  const store = parseStoreLocation(header.store, 'store')
  const bin = parseStoreLocation(trash, 'trash')
  if (store.scheme !== bin.scheme || store.authority !== bin.authority) return
  let prefix: string
  if (store.scheme === 'file') {
    if (bin.path !== store.path && !bin.path.startsWith(`${store.path}/`)) return
    prefix = bin.path === store.path ? '' : `${bin.path.slice(store.path.length + 1)}/`
  } else {
    if (!bin.path.startsWith(store.path)) return
    prefix = bin.path.endsWith('/') || bin.path === '' ? bin.path : `${bin.path}/`
  }
  const segments = prefix.split('/').filter(segment => segment.length > 0)
  if (segments.includes('.keydiff')) return
  if (header.protectHidden !== false && isHiddenKey(`${prefix}x`)) return
  if ((header.exclude ?? []).some(excluded => prefix.startsWith(excluded))) return
  throw new InvalidOptionError('trash', `the quarantine ${trash} lies inside ${header.store}, where the next plan would list what it holds and a delete would erase it; put it under .keydiff/, outside the store, or exclude ${JSON.stringify(prefix)} when planning`)
}

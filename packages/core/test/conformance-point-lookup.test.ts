import { test } from 'node:test'
import { SourceError, type PointLookup } from '@keydiff/core'
import { pointLookupSuite } from '@keydiff/core/conformance'

// The reference the suite is checked against: a look-up over a set in memory.
pointLookupSuite({
  test,
  name: 'in-memory look-up',
  factory: async referenced => {
    const stored = new Set(referenced)
    let broken = false
    const lookup: PointLookup = {
      name: 'memory:refs',
      has: async asked => {
        if (broken) throw new SourceError('memory:refs', 'the store is broken')
        return new Set(asked.filter(key => stored.has(key)))
      }
    }
    return {
      subject: {
        lookup,
        add: async keys => { for (const key of keys) stored.add(key) },
        break: async () => { broken = true }
      }
    }
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import type { KeySource, Lock, RestorableSink, Sink } from '@keydiff/core'
import * as gcs from '../src/index.ts'

// Compile-time checks of the public factories' shapes; `tsc -p tsconfig.json` runs them.
const storage = new Storage({ apiEndpoint: 'http://127.0.0.1:9', projectId: 'types' })

test('public factories have the contract types, and required options are required', () => {
  const source: KeySource = gcs.gcsSource({ storage, bucket: 'b' })
  const sinks: Sink[] = [gcs.gcsDeleteSink({ storage, bucket: 'b', jsonBatch: true })]
  const restorable: RestorableSink[] = [
    gcs.gcsQuarantineSink({ storage, bucket: 'b', trashPrefix: 't/' }),
    gcs.gcsReleaseHoldSink({ storage, bucket: 'b', setCustomTime: true }),
    gcs.gcsCustomTimeSink({ storage, bucket: 'b', now: () => new Date(0) })
  ]
  const lock: Lock = gcs.gcsLock({ storage, bucket: 'b' })
  // @ts-expect-error the bucket is required
  assert.throws(() => gcs.gcsSource({ storage }))
  // @ts-expect-error the mode must be 'hold' or 'customTime'
  assert.throws(() => gcs.softDeleteLifecycleRule({ mode: 'tag', days: 1 }))
  assert.equal(source.sorted, true)
  assert.deepEqual(sinks.map(sink => sink.action), ['delete'])
  assert.deepEqual(restorable.map(sink => sink.action), ['quarantine', 'release-hold', 'custom-time'])
  assert.equal(lock.target, 'gs://b/keydiff.lock')
  const error = new gcs.GcsSinkError('delete:gs://b', 'bucket gone')
  assert.equal(error.code, 'KEYDIFF_SINK_FAILED')
})

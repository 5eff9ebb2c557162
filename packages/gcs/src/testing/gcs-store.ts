import { createHash } from 'node:crypto'
import { CRC32C } from '@google-cloud/storage'
import { compareKeys } from '@keydiff/core'

/** An error the JSON API reports as `{ error: { code, message, errors: [{ reason }] } }`. */
export class HttpError extends Error {
  readonly status: number
  readonly reason: string

  constructor (status: number, reason: string, message: string) {
    super(message)
    this.status = status
    this.reason = reason
  }
}

export interface StoredObject {
  name: string
  generation: string
  metageneration: number
  data: Buffer
  contentType: string
  md5Hash: string
  crc32c: string
  timeCreated: Date
  updated: Date
  eventBasedHold: boolean
  temporaryHold: boolean
  customTime: string | undefined
  metadata: Record<string, string> | undefined
}

export interface LifecycleRuleJson {
  action: { type: string }
  condition: { age?: number, daysSinceCustomTime?: number, matchesPrefix?: string[] }
}

export interface StoredBucket {
  name: string
  timeCreated: Date
  metageneration: number
  defaultEventBasedHold: boolean
  lifecycle: { rule: LifecycleRuleJson[] } | undefined
  objects: Map<string, StoredObject>
  sorted: string[] | undefined
}

/** The writable fields of an object resource, as a patch, upload or rewrite body gives them. */
export interface ObjectFields {
  contentType?: string
  eventBasedHold?: boolean | null
  temporaryHold?: boolean | null
  customTime?: string | null
  metadata?: Record<string, string | null> | null
}

export interface Preconditions {
  ifGenerationMatch?: string
  ifGenerationNotMatch?: string
  ifMetagenerationMatch?: string
}

const DAY = 86_400_000
let lastGeneration = 0

// Generations are microsecond timestamps in GCS; strictly increasing here.
function nextGeneration (): string {
  lastGeneration = Math.max(lastGeneration + 1, Date.now() * 1000)
  return String(lastGeneration)
}

function checkPreconditions (object: StoredObject | undefined, pre: Preconditions): void {
  if (pre.ifGenerationMatch !== undefined) {
    const actual = object === undefined ? '0' : object.generation
    if (actual !== pre.ifGenerationMatch) throw new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
  }
  if (pre.ifGenerationNotMatch !== undefined && object !== undefined && object.generation === pre.ifGenerationNotMatch) {
    throw new HttpError(304, 'notModified', 'Not modified')
  }
  if (pre.ifMetagenerationMatch !== undefined && (object === undefined || String(object.metageneration) !== pre.ifMetagenerationMatch)) {
    throw new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
  }
}

function checkNotHeld (object: StoredObject): void {
  if (object.eventBasedHold) throw new HttpError(403, 'forbidden', `Object '${object.name}' is under active Event-Based hold and cannot be deleted, overwritten or archived until hold is removed.`)
  if (object.temporaryHold) throw new HttpError(403, 'forbidden', `Object '${object.name}' is under active Temporary hold and cannot be deleted, overwritten or archived until hold is removed.`)
}

function setCustomTime (object: StoredObject, value: string | null): void {
  if (value === null) {
    if (object.customTime !== undefined) throw new HttpError(400, 'invalid', 'Custom time cannot be removed once set.')
    return
  }
  const time = new Date(value)
  if (Number.isNaN(time.getTime())) throw new HttpError(400, 'invalid', `Invalid value for customTime: ${value}`)
  if (object.customTime !== undefined && time.getTime() < new Date(object.customTime).getTime()) {
    throw new HttpError(400, 'invalid', 'Custom time cannot be decreased.')
  }
  object.customTime = time.toISOString()
}

function applyFields (object: StoredObject, fields: ObjectFields): void {
  if (fields.contentType !== undefined) object.contentType = fields.contentType
  if (fields.eventBasedHold !== undefined) object.eventBasedHold = fields.eventBasedHold === true
  if (fields.temporaryHold !== undefined) object.temporaryHold = fields.temporaryHold === true
  if (fields.customTime !== undefined) setCustomTime(object, fields.customTime)
  if (fields.metadata === null) object.metadata = undefined
  else if (fields.metadata !== undefined) {
    const merged: Record<string, string> = { ...object.metadata }
    for (const [key, value] of Object.entries(fields.metadata)) {
      if (value === null) delete merged[key]
      else merged[key] = value
    }
    object.metadata = merged
  }
}

/** The buckets and objects of the test server, with the GCS rules the adapter relies on. */
export class GcsStore {
  readonly buckets = new Map<string, StoredBucket>()

  createBucket (name: string, options: { defaultEventBasedHold?: boolean } = {}): StoredBucket {
    if (this.buckets.has(name)) throw new HttpError(409, 'conflict', `The bucket ${name} already exists.`)
    const bucket: StoredBucket = {
      name,
      timeCreated: new Date(),
      metageneration: 1,
      defaultEventBasedHold: options.defaultEventBasedHold === true,
      lifecycle: undefined,
      objects: new Map(),
      sorted: undefined
    }
    this.buckets.set(name, bucket)
    return bucket
  }

  bucket (name: string): StoredBucket {
    const bucket = this.buckets.get(name)
    if (bucket === undefined) throw new HttpError(404, 'notFound', `The specified bucket does not exist: ${name}`)
    return bucket
  }

  deleteBucket (name: string): void {
    const bucket = this.bucket(name)
    if (bucket.objects.size > 0) throw new HttpError(409, 'conflict', 'The bucket you tried to delete is not empty.')
    this.buckets.delete(name)
  }

  patchBucket (name: string, fields: { defaultEventBasedHold?: boolean, lifecycle?: { rule?: LifecycleRuleJson[] } | null }, ifMetagenerationMatch?: string): StoredBucket {
    const bucket = this.bucket(name)
    if (ifMetagenerationMatch !== undefined && String(bucket.metageneration) !== ifMetagenerationMatch) {
      throw new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
    }
    if (fields.defaultEventBasedHold !== undefined) bucket.defaultEventBasedHold = fields.defaultEventBasedHold
    if (fields.lifecycle !== undefined) bucket.lifecycle = fields.lifecycle === null ? undefined : { rule: fields.lifecycle.rule ?? [] }
    bucket.metageneration++
    return bucket
  }

  object (bucketName: string, name: string, generation?: string): StoredObject {
    const object = this.bucket(bucketName).objects.get(name)
    if (object === undefined || (generation !== undefined && object.generation !== generation)) {
      throw new HttpError(404, 'notFound', `No such object: ${bucketName}/${name}`)
    }
    return object
  }

  /** Writes a new generation of an object: uploads, copies and rewrites land here. */
  put (bucketName: string, name: string, data: Buffer, fields: ObjectFields = {}, pre: Preconditions = {}): StoredObject {
    const bucket = this.bucket(bucketName)
    if (name === '' || Buffer.byteLength(name) > 1024) throw new HttpError(400, 'invalid', `Invalid object name: ${JSON.stringify(name)}`)
    const existing = bucket.objects.get(name)
    checkPreconditions(existing, pre)
    if (existing !== undefined) checkNotHeld(existing)
    const now = new Date()
    const crc = new CRC32C()
    crc.update(data)
    const object: StoredObject = {
      name,
      generation: nextGeneration(),
      metageneration: 1,
      data,
      contentType: 'application/octet-stream',
      md5Hash: createHash('md5').update(data).digest('base64'),
      crc32c: crc.toString(),
      timeCreated: now,
      updated: now,
      eventBasedHold: bucket.defaultEventBasedHold,
      temporaryHold: false,
      customTime: undefined,
      metadata: undefined
    }
    applyFields(object, fields)
    if (existing === undefined) bucket.sorted = undefined
    bucket.objects.set(name, object)
    return object
  }

  patch (bucketName: string, name: string, fields: ObjectFields, pre: Preconditions = {}): StoredObject {
    const object = this.object(bucketName, name)
    checkPreconditions(object, pre)
    const draft = { ...object }
    applyFields(draft, fields)
    Object.assign(object, draft, { metageneration: object.metageneration + 1, updated: new Date() })
    return object
  }

  delete (bucketName: string, name: string, pre: Preconditions = {}): void {
    const bucket = this.bucket(bucketName)
    const object = this.object(bucketName, name)
    checkPreconditions(object, pre)
    checkNotHeld(object)
    bucket.objects.delete(name)
    bucket.sorted = undefined
  }

  /**
   * objects.rewrite and objects.copy. Metadata given in the body replaces the source's (as
   * the API reference says for the destination resource); holds start from the bucket's
   * default unless the body sets them.
   */
  copy (source: { bucket: string, name: string, generation?: string }, dest: { bucket: string, name: string }, fields: ObjectFields | undefined, pre: Preconditions & { ifSourceGenerationMatch?: string }): StoredObject {
    const from = this.object(source.bucket, source.name, source.generation)
    if (pre.ifSourceGenerationMatch !== undefined && pre.ifSourceGenerationMatch !== from.generation) {
      throw new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
    }
    const given = fields !== undefined && Object.keys(fields).length > 0
    const copied: ObjectFields = given
      ? { ...fields }
      : { contentType: from.contentType, ...(from.customTime === undefined ? {} : { customTime: from.customTime }), metadata: from.metadata ?? null }
    return this.put(dest.bucket, dest.name, from.data, copied, pre)
  }

  /** Names in UTF-8 byte order, the order objects.list pages through. */
  sortedNames (bucketName: string): string[] {
    const bucket = this.bucket(bucketName)
    bucket.sorted ??= [...bucket.objects.keys()].sort(compareKeys)
    return bucket.sorted
  }

  /** Runs the bucket's Delete rules as GCS would at `now`; held objects are never deleted. */
  runLifecycle (bucketName: string, now = new Date()): string[] {
    const bucket = this.bucket(bucketName)
    const deleted: string[] = []
    for (const object of [...bucket.objects.values()]) {
      if (object.eventBasedHold || object.temporaryHold) continue
      const due = (bucket.lifecycle?.rule ?? []).some(rule => {
        if (rule.action.type !== 'Delete') return false
        const { age, daysSinceCustomTime, matchesPrefix } = rule.condition
        if (matchesPrefix !== undefined && !matchesPrefix.some(prefix => object.name.startsWith(prefix))) return false
        if (age !== undefined && now.getTime() - object.timeCreated.getTime() < age * DAY) return false
        if (daysSinceCustomTime !== undefined && (object.customTime === undefined || now.getTime() - new Date(object.customTime).getTime() < daysSinceCustomTime * DAY)) return false
        return age !== undefined || daysSinceCustomTime !== undefined
      })
      if (due) {
        bucket.objects.delete(object.name)
        deleted.push(object.name)
      }
    }
    bucket.sorted = undefined
    return deleted
  }
}

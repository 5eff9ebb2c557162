import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GcsStore, HttpError } from './gcs-store.ts'
import type { ObjectFields, Preconditions, StoredBucket, StoredObject } from './gcs-store.ts'
import { handleBatch } from './batch.ts'
import { parseMultipart } from './multipart.ts'

/** What a fault hook sees of a request. */
export interface RequestInfo {
  method: string
  /** The JSON API operation, such as `objects.list`, `objects.delete`. */
  operation: string
  bucket: string | undefined
  object: string | undefined
  query: URLSearchParams
}

/** Returns a status (and reason) to fail the request with, or undefined to serve it. */
export type FaultHook = (request: RequestInfo) => { status: number, reason?: string } | undefined

export interface GcsTestServer {
  readonly store: GcsStore
  /** e.g. `http://127.0.0.1:41234`: the `apiEndpoint` to give the client. */
  readonly endpoint: string
  /** Every request served, in order. */
  readonly log: RequestInfo[]
  fault: FaultHook | undefined
  close: () => Promise<void>
}

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

function objectResource (endpoint: string, bucket: string, object: StoredObject): Record<string, unknown> {
  const path = `b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(object.name)}`
  return {
    kind: 'storage#object',
    id: `${bucket}/${object.name}/${object.generation}`,
    selfLink: `${endpoint}/storage/v1/${path}`,
    mediaLink: `${endpoint}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket,
    generation: object.generation,
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64'),
    timeCreated: object.timeCreated.toISOString(),
    updated: object.updated.toISOString(),
    timeStorageClassUpdated: object.timeCreated.toISOString(),
    ...(object.eventBasedHold ? { eventBasedHold: true } : {}),
    ...(object.temporaryHold ? { temporaryHold: true } : {}),
    ...(object.customTime === undefined ? {} : { customTime: object.customTime }),
    ...(object.metadata === undefined ? {} : { metadata: object.metadata })
  }
}

function bucketResource (bucket: StoredBucket): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    name: bucket.name,
    projectNumber: '1',
    metageneration: String(bucket.metageneration),
    location: 'US',
    storageClass: 'STANDARD',
    etag: Buffer.from(`${bucket.name}/${bucket.metageneration}`).toString('base64'),
    timeCreated: bucket.timeCreated.toISOString(),
    updated: bucket.timeCreated.toISOString(),
    ...(bucket.defaultEventBasedHold ? { defaultEventBasedHold: true } : {}),
    ...(bucket.lifecycle === undefined ? {} : { lifecycle: bucket.lifecycle })
  }
}

function preconditions (query: URLSearchParams): Preconditions & { ifSourceGenerationMatch?: string } {
  const out: Preconditions & { ifSourceGenerationMatch?: string } = {}
  for (const name of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifSourceGenerationMatch'] as const) {
    const value = query.get(name)
    if (value !== null) out[name] = value
  }
  return out
}

function list (server: GcsTestServer, bucket: string, query: URLSearchParams): Reply {
  const names = server.store.sortedNames(bucket)
  const prefix = query.get('prefix') ?? ''
  const delimiter = query.get('delimiter') ?? ''
  const startOffset = query.get('startOffset') ?? ''
  const endOffset = query.get('endOffset')
  const maxResults = Math.min(Number(query.get('maxResults') ?? 1000) || 1000, 1000)
  const token = query.get('pageToken')
  const after = token === null ? undefined : Buffer.from(token, 'base64url').toString()
  const items: Record<string, unknown>[] = []
  const prefixes = new Set<string>()
  let last: string | undefined
  let more = false
  const bucketState = server.store.bucket(bucket)
  // Byte-order comparisons through Buffer.compare, independent of the store's sort helper.
  const below = (a: string, b: string): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0
  // Start at the first name not below the largest lower bound, found by bisection.
  let low = 0
  let high = names.length
  const from = [prefix, startOffset, after ?? ''].reduce((a, b) => below(a, b) ? b : a)
  while (low < high) {
    const mid = (low + high) >>> 1
    if (below(names[mid] as string, from)) low = mid + 1
    else high = mid
  }
  for (let i = low; i < names.length; i++) {
    const name = names[i] as string
    if (after !== undefined && !below(after, name)) continue
    if (!name.startsWith(prefix)) break
    if (below(name, startOffset)) continue
    if (endOffset !== null && endOffset !== '' && !below(name, endOffset)) break
    if (items.length + prefixes.size >= maxResults) { more = true; break }
    const rest = name.slice(prefix.length)
    const cut = delimiter === '' ? -1 : rest.indexOf(delimiter)
    if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length))
    else items.push(objectResource(server.endpoint, bucket, bucketState.objects.get(name) as StoredObject))
    last = name
  }
  const body: Record<string, unknown> = { kind: 'storage#objects' }
  if (items.length > 0) body.items = items
  if (prefixes.size > 0) body.prefixes = [...prefixes]
  if (more && last !== undefined) body.nextPageToken = Buffer.from(last).toString('base64url')
  return { status: 200, body }
}

function jsonBody (raw: Buffer): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined
  return JSON.parse(raw.toString()) as Record<string, unknown>
}

function upload (server: GcsTestServer, bucket: string, query: URLSearchParams, headers: IncomingMessage['headers'], raw: Buffer): Reply {
  const type = query.get('uploadType') ?? 'media'
  let fields: ObjectFields & { name?: string } = {}
  let data = raw
  if (type === 'multipart') {
    const parts = parseMultipart(String(headers['content-type'] ?? ''), raw)
    const [meta, media] = parts
    if (meta === undefined || media === undefined) throw new HttpError(400, 'invalid', 'multipart upload needs a metadata part and a media part')
    fields = JSON.parse(meta.body.toString()) as ObjectFields & { name?: string }
    if (fields.contentType === undefined && media.contentType !== undefined) fields.contentType = media.contentType
    data = media.body
  } else if (type === 'resumable') {
    return startResumable(server, bucket, query, raw)
  } else if (type !== 'media') {
    throw new HttpError(400, 'invalid', `uploadType ${type} is not supported`)
  }
  const name = query.get('name') ?? fields.name
  if (name === undefined) throw new HttpError(400, 'required', 'Required parameter: name')
  const { name: _ignored, ...writable } = fields
  const object = server.store.put(bucket, name, data, writable, preconditions(query))
  return { status: 200, body: objectResource(server.endpoint, bucket, object) }
}

interface Session { bucket: string, name: string, fields: ObjectFields, query: URLSearchParams, chunks: Buffer[], received: number }
const sessions = new Map<string, Session>()
let sessionCount = 0

function startResumable (server: GcsTestServer, bucket: string, query: URLSearchParams, raw: Buffer): Reply {
  server.store.bucket(bucket)
  const fields = (jsonBody(raw) ?? {}) as ObjectFields & { name?: string }
  const name = query.get('name') ?? fields.name
  if (name === undefined) throw new HttpError(400, 'required', 'Required parameter: name')
  const { name: _ignored, ...writable } = fields
  const id = `upload-${++sessionCount}`
  sessions.set(id, { bucket, name, fields: writable, query, chunks: [], received: 0 })
  const location = `${server.endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${id}`
  return { status: 200, headers: { location } }
}

// A chunk of a resumable upload: `Content-Range: bytes a-b/total`, or `bytes * / total` to ask for status.
function continueResumable (server: GcsTestServer, query: URLSearchParams, headers: IncomingMessage['headers'], raw: Buffer): Reply {
  const id = query.get('upload_id') ?? ''
  const session = sessions.get(id)
  if (session === undefined) throw new HttpError(404, 'notFound', `No such upload session: ${id}`)
  const range = /bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+)/.exec(String(headers['content-range'] ?? ''))
  if (raw.length > 0 && (range?.[2] === undefined || Number(range[2]) === session.received)) {
    session.chunks.push(raw)
    session.received += raw.length
  }
  const total = range?.[4] === undefined || range[4] === '*' ? undefined : Number(range[4])
  // `bytes a-*/…` is a single request carrying the rest of the object.
  if ((total !== undefined && session.received >= total) || range?.[3] === '*') {
    sessions.delete(id)
    const object = server.store.put(session.bucket, session.name, Buffer.concat(session.chunks), session.fields, preconditions(session.query))
    return { status: 200, body: objectResource(server.endpoint, session.bucket, object) }
  }
  return { status: 308, headers: session.received === 0 ? {} : { range: `bytes=0-${session.received - 1}` } }
}

/** Serves one JSON API call; `path` is the URL path without the query. */
export function route (server: GcsTestServer, method: string, path: string, query: URLSearchParams, headers: IncomingMessage['headers'], raw: Buffer): Reply {
  const segments = path.split('/').slice(1).map(decodeURIComponent)
  const info: RequestInfo = { method, operation: 'unknown', bucket: undefined, object: undefined, query }
  const store = server.store
  const reply = (operation: string, bucket: string | undefined, object: string | undefined, serve: () => Reply): Reply => {
    Object.assign(info, { operation, bucket, object })
    server.log.push(info)
    const fault = server.fault?.(info)
    if (fault !== undefined) throw new HttpError(fault.status, fault.reason ?? 'injectedFault', `injected fault on ${operation}`)
    return serve()
  }
  const [root, version, b, bucket, o, object, verb, b2, destBucket, o2, destObject] = segments
  if (root === 'upload' && version === 'storage' && segments[2] === 'v1' && segments[3] === 'b' && segments[5] === 'o' && method === 'POST') {
    const name = segments[4] as string
    return reply('objects.insert', name, query.get('name') ?? undefined, () => upload(server, name, query, headers, raw))
  }
  if (root === 'upload' && method === 'PUT' && query.get('upload_id') !== null) {
    return reply('objects.insert', segments[4], undefined, () => continueResumable(server, query, headers, raw))
  }
  if (root === 'download' || query.get('alt') === 'media') {
    const [bucketName, objectName] = root === 'download' ? [segments[4], segments[6]] : [bucket, object]
    return reply('objects.get', bucketName, objectName, () => {
      const found = store.object(bucketName as string, objectName as string, query.get('generation') ?? undefined)
      return { status: 200, body: found.data, headers: { 'content-type': found.contentType, 'x-goog-hash': `crc32c=${found.crc32c},md5=${found.md5Hash}`, 'x-goog-generation': found.generation } }
    })
  }
  if (root !== 'storage' || version !== 'v1' || b !== 'b') throw new HttpError(404, 'notFound', `Not Found: ${path}`)
  if (bucket === undefined) {
    if (method === 'POST') {
      const body = jsonBody(raw) ?? {}
      return reply('buckets.insert', String(body.name), undefined, () => ({ status: 200, body: bucketResource(store.createBucket(String(body.name), body)) }))
    }
    throw new HttpError(405, 'invalid', `${method} /b is not supported`)
  }
  if (o === undefined) {
    if (method === 'GET') return reply('buckets.get', bucket, undefined, () => ({ status: 200, body: bucketResource(store.bucket(bucket)) }))
    if (method === 'PATCH' || method === 'PUT') return reply('buckets.patch', bucket, undefined, () => ({ status: 200, body: bucketResource(store.patchBucket(bucket, jsonBody(raw) ?? {}, query.get('ifMetagenerationMatch') ?? undefined)) }))
    if (method === 'DELETE') return reply('buckets.delete', bucket, undefined, () => { store.deleteBucket(bucket); return { status: 204 } })
  } else if (object === undefined) {
    if (method === 'GET') return reply('objects.list', bucket, undefined, () => list(server, bucket, query))
  } else if (verb === undefined) {
    const pre = preconditions(query)
    if (method === 'GET') return reply('objects.get', bucket, object, () => ({ status: 200, body: objectResource(server.endpoint, bucket, store.object(bucket, object, query.get('generation') ?? undefined)) }))
    if (method === 'DELETE') return reply('objects.delete', bucket, object, () => { store.delete(bucket, object, pre); return { status: 204 } })
    if (method === 'PATCH' || method === 'PUT') {
      return reply('objects.patch', bucket, object, () => ({ status: 200, body: objectResource(server.endpoint, bucket, store.patch(bucket, object, (jsonBody(raw) ?? {}) as ObjectFields, pre)) }))
    }
  } else if ((verb === 'rewriteTo' || verb === 'copyTo') && b2 === 'b' && o2 === 'o' && destBucket !== undefined && destObject !== undefined && method === 'POST') {
    return reply(verb === 'rewriteTo' ? 'objects.rewrite' : 'objects.copy', bucket, object, () => {
      const generation = query.get('sourceGeneration') ?? undefined
      const copied = store.copy({ bucket, name: object, ...(generation === undefined ? {} : { generation }) }, { bucket: destBucket, name: destObject }, jsonBody(raw) as ObjectFields | undefined, preconditions(query))
      const resource = objectResource(server.endpoint, destBucket, copied)
      if (verb === 'copyTo') return { status: 200, body: resource }
      return { status: 200, body: { kind: 'storage#rewriteResponse', totalBytesRewritten: resource.size, objectSize: resource.size, done: true, resource } }
    })
  }
  throw new HttpError(405, 'invalid', `${method} ${path} is not supported by the test server`)
}

export function errorReply (error: unknown): Reply {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: { code: error.status, message: error.message, errors: [{ domain: 'global', reason: error.reason, message: error.message }] } } }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { status: 500, body: { error: { code: 500, message, errors: [{ domain: 'global', reason: 'backendError', message }] } } }
}

export function serve (server: GcsTestServer, method: string, url: URL, headers: IncomingMessage['headers'], raw: Buffer): Reply {
  if (method === 'POST' && url.pathname === '/batch/storage/v1') {
    server.log.push({ method, operation: 'batch', bucket: undefined, object: undefined, query: url.searchParams })
    return handleBatch(server, headers, raw)
  }
  try {
    return route(server, method, url.pathname, url.searchParams, headers, raw)
  } catch (error) {
    return errorReply(error)
  }
}

function send (res: ServerResponse, reply: Reply): void {
  const body = reply.body === undefined ? undefined : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(JSON.stringify(reply.body))
  res.writeHead(reply.status, {
    ...(Buffer.isBuffer(reply.body) ? {} : { 'content-type': 'application/json; charset=UTF-8' }),
    ...reply.headers,
    ...(body === undefined ? {} : { 'content-length': String(body.length) })
  })
  res.end(body)
}

export interface GcsServerOptions {
  /** Added before every response, to stand for the round trip to GCS. @default 0 */
  latencyMs?: number
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startGcsServer (options: GcsServerOptions = {}): Promise<GcsTestServer> {
  const latency = options.latencyMs ?? 0
  const state = { store: new GcsStore(), endpoint: '', log: [] as RequestInfo[], fault: undefined as FaultHook | undefined, close: async () => {} }
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const reply = serve(state, req.method ?? 'GET', new URL(req.url ?? '/', state.endpoint), req.headers, Buffer.concat(chunks))
      if (latency === 0) send(res, reply)
      else setTimeout(() => send(res, reply), latency)
    })
  })
  await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve))
  state.endpoint = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  state.close = async () => {
    http.closeAllConnections()
    await new Promise<void>((resolve, reject) => http.close(error => error === undefined ? resolve() : reject(error)))
  }
  return state
}

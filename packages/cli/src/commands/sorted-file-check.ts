import { resolve } from 'node:path'
import { verifySortedFile, formatCount } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import type { KeydiffConfig, ReferenceConfig, RunConfig } from '../config/config-types.ts'
import { writtenConfig } from '../config/load-config.ts'
import { fileFormat } from '../run/build-references.ts'
import { columnRange } from '../run/column-range.ts'
import { inRunContext } from '../run/run-context.ts'
import type { VerifiedSortedFile } from '../run/run-description.ts'

type FileReference = Extract<ReferenceConfig, { file: string }>

/**
 * The `sorted = true` file references of a distributed run that its shards may read by byte
 * range, each read once here, from start to end, before any shard starts: a file whose keys
 * are not in order fails the run (KEYDIFF_NOT_SORTED, naming the file, the line and both
 * keys), since a shard that trusted it could miss a reference and plan a live object. Each
 * file found sorted is returned with its size and modification time, which a shard checks
 * before and after its read. A file is left to be read whole by every shard, said on stderr
 * in one line, when some of its keys may resolve to another key than their text (such a key
 * matters to every shard, wherever it sits in the file) or when its mapping leaves no key
 * range of the file to read. A run of one unbounded range reads every file whole: none is checked.
 */
export async function verifySortedReferences (config: KeydiffConfig, run: RunConfig, ranges: readonly KeyRange[], options: { warn: (line: string) => void, signal?: AbortSignal }): Promise<VerifiedSortedFile[]> {
  const bounded = ranges.filter(range => range.after !== undefined || range.upTo !== undefined)
  const written = writtenConfig(config)
  if (written === undefined) throw new TypeError('verifySortedReferences: the config must come from loadConfig or parseConfig')
  const verified: VerifiedSortedFile[] = []
  const where = config.runs.indexOf(run)
  for (const [position, reference] of run.references.entries()) {
    if (!('file' in reference) || reference.sorted !== true || bounded.length === 0) continue
    const path = resolve(written.baseDir, reference.file)
    const say = (why: string): void => { options.warn(`keydiff run: run ${JSON.stringify(run.name)}: file:${path} is read whole by every shard, not by byte range: ${why}`) }
    const mayResolveElsewhere = resolvesElsewhere(reference, bounded)
    if (mayResolveElsewhere === undefined) {
      say(reference.template === undefined
        ? 'its mapping (stripPrefix with onMismatch = "keep", or a prefix that may resolve to another key) leaves no key range of the file to read'
        : 'a template builds its keys, so no range of the file holds a range of them')
      continue
    }
    const format = fileFormat(reference, path)
    if (format === 'csv') continue
    const check = await verifySortedFile(path, { format, field: reference.field, name: `file:${path}`, mayResolveElsewhere, signal: options.signal })
      .catch((error: unknown) => { throw inRunContext(error, { config, file: written.file, run: run.name, path: ['runs', where, 'references', position] }) })
    if (check.resolvingElsewhere > 0) {
      const first = check.firstResolvingElsewhere
      say(`${formatCount(check.resolvingElsewhere)} of its ${formatCount(check.keys)} keys may resolve to another key than their text or lack stripPrefix (the first: line ${first?.line ?? 0}, ${JSON.stringify(first?.key)}), and every shard must read those`)
      continue
    }
    verified.push({ reference: position, size: check.identity.size, mtimeMs: check.identity.mtimeMs })
  }
  return verified
}

/**
 * Which of a file's keys, as written, a shard must read whatever its range: those whose store
 * key may resolve elsewhere (columnRange's `alsoMatching`), and those without `stripPrefix`
 * that are not dropped (they fail the run: each shard must see them, as one run would).
 * Undefined when no range of the file holds a shard's keys.
 */
function resolvesElsewhere (reference: FileReference, ranges: readonly KeyRange[]): ((key: string) => boolean) | undefined {
  if (reference.template !== undefined) return undefined
  const mapped = ranges.map(range => columnRange(range, reference))
  const first = mapped[0]
  if (first === undefined || mapped.some(range => range === undefined)) return undefined
  const pattern = new RegExp(first.alsoMatching)
  const strip = reference.stripPrefix ?? ''
  const kept = strip !== '' && reference.onMismatch !== 'drop'
  return key => pattern.test(key) || (kept && !key.startsWith(strip))
}

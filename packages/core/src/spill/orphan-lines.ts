import { SourceError } from '../errors.ts'
import type { DiffPart } from '../engine/diff-types.ts'
import { assertUnchanged, blockCount, readLineBlocks, type BlockLines, type FileIdentity } from '../engine/line-blocks.ts'
import type { LineFile } from '../engine/line-chunks.ts'
import { emptyPackedLines, packLines } from '../engine/packed-lines.ts'
import { PackedLinesPart } from '../engine/packed-lines-part.ts'
import type { OrphanMarks } from './orphan-marks.ts'
import type { LineChunk } from '../contracts/key-source.ts'

// The blocks a reader takes when the first read did not note the files' blocks.
const BLOCK_BYTES = 1024 * 1024

/**
 * The candidates' files a spill reads its orphans' keys back from, instead of writing every
 * candidate's key to a keys file of its own: the candidates were these files' lines, in
 * order, each spilled with its place among them as its ordinal.
 */
export interface CandidateFiles {
  readonly files: readonly LineFile[]
  /**
   * What each file was before its first read: a file changed since cannot be read back.
   * Undefined for one that is not a plain regular file: the spill then keeps the keys itself.
   */
  readonly identities: ReadonlyArray<FileIdentity | undefined>
  /**
   * How the first read found the files' blocks, when threads shared them (readLineBlocks):
   * then several threads can read them back, each a share, knowing from it where each block's
   * lines stand among all of them. Complete once the files were read to their end.
   */
  readonly blocks?: BlockLines | undefined
}

/** Which blocks one of several readers reads back: every `count`-th, from `index`. */
export interface ReadBackShare {
  readonly index: number
  readonly count: number
}

/** Every block, in turn, by one reader. */
export const ALL_BLOCKS: ReadBackShare = { index: 0, count: 1 }

/** A chunk of the candidates' lines as read back, and which of its lines are orphans. */
export interface OrphanLinesOfChunk {
  /** The ordinal of the chunk's first line: the order of the chunks of all the shares. */
  readonly first: number
  readonly chunk: LineChunk
  /** Indexes of the chunk's lines that are orphans, increasing. */
  readonly lines: readonly number[]
}

/**
 * The orphans among `count` spilled candidates, read back from the candidates' own files:
 * line `ordinal` of the files, in order, for each ordinal the marks hold. The files are read
 * again, split as the first read split them (the same lines, whatever the blocks), and must be
 * what they were when first read and hold the same number of lines, in each block when the
 * first read noted its blocks; otherwise the read fails, since a key read from a changed file
 * could name another object. A share other than ALL_BLOCKS reads only its blocks, and needs
 * the blocks noted (CandidateFiles.blocks) to know where their lines stand. Each chunk that
 * holds an orphan comes with their indexes in it, valid until the next is asked for (its
 * lines are views of the shared arena, see readLineBlocks).
 */
export function * orphanLinesOfChunks (candidates: CandidateFiles, marks: OrphanMarks, count: number, share: ReadBackShare = ALL_BLOCKS, kind: DiffPart['kind'] = 'orphans'): Generator<OrphanLinesOfChunk> {
  const { files, blocks } = candidates
  const identities = candidates.identities as FileIdentity[]
  const name = files[0]?.name ?? (kind === 'orphans' ? 'candidates' : 'references')
  const changed = (what: string): SourceError => new SourceError(name, `read again for the ${kind === 'orphans' ? 'orphans' : 'missing references'}' keys, ${files.map(file => file.path).join(', ')} ${what}: they changed during the run`)
  if (blocks === undefined && share.count > 1) throw new RangeError('a share of the blocks is read back only when the first read noted them')
  // Where each block's lines begin among all of them: noted, or counted as the blocks come.
  const firsts = blocks === undefined ? undefined : [0]
  for (const lines of blocks?.lines ?? []) firsts?.push((firsts.at(-1) as number) + lines)
  if (blocks !== undefined && blocks.lines.length !== blockCount(identities, blocks.blockBytes)) throw changed(`make ${blockCount(identities, blocks.blockBytes)} blocks where ${blocks.lines.length} were read`)
  for (const [f, file] of files.entries()) assertUnchanged(file, identities[f] as FileIdentity)
  let ordinal = 0
  let block = share.index
  // Where the blocks' lines are known, a block that holds none of the marked ordinals is not
  // read at all (a read-back of a few orphans, or of none, reads only their blocks).
  let skipped = false
  const wanted = firsts === undefined
    ? undefined
    : (b: number): boolean => {
        const next = marks.next(firsts[b] as number)
        skipped = !(next >= 0 && next < (firsts[b + 1] as number))
        return !skipped
      }
  for (const chunk of readLineBlocks(files, identities, { ...share, blockBytes: blocks?.blockBytes ?? BLOCK_BYTES }, wanted)) {
    const at = block
    block += share.count
    if (firsts !== undefined) {
      if (skipped) continue
      if (chunk.length !== blocks?.lines[at]) throw changed(`held ${chunk.length} lines in block ${at} where ${blocks?.lines[at]} were read`)
      ordinal = firsts[at] as number
    }
    const lines: number[] = []
    for (let next = marks.next(ordinal); next >= 0 && next < ordinal + chunk.length; next = marks.next(next + 1)) lines.push(next - ordinal)
    if (lines.length > 0) yield { first: ordinal, chunk, lines }
    ordinal += chunk.length
  }
  for (const [f, file] of files.entries()) assertUnchanged(file, identities[f] as FileIdentity)
  const read = firsts?.at(-1) ?? ordinal
  if (read !== count) throw changed(`held ${read} lines where ${count} were read`)
  if (marks.next(count) >= 0) throw changed(`held fewer lines than the orphans' ordinals`)
}

/**
 * The orphans' keys (orphanLinesOfChunks), read back on this thread, a part a chunk; or, of
 * `kind` missing, the missing references' keys read back from the references' files the same way.
 */
export async function * readOrphanLines (candidates: CandidateFiles, marks: OrphanMarks, count: number, kind: DiffPart['kind'] = 'orphans'): AsyncGenerator<DiffPart> {
  for (const { chunk, lines } of orphanLinesOfChunks(candidates, marks, count, ALL_BLOCKS, kind)) {
    const packed = emptyPackedLines()
    packLines(chunk, lines, lines.length, packed)
    yield new PackedLinesPart(kind, packed)
  }
}

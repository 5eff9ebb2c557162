import { SourceError } from '../errors.ts'
import type { DiffPart } from '../engine/diff-types.ts'
import { assertUnchanged, readLineBlocks, type BlockShare, type FileIdentity } from '../engine/line-blocks.ts'
import type { LineFile } from '../engine/line-chunks.ts'
import { emptyPackedLines, packLines } from '../engine/packed-lines.ts'
import { PackedLinesPart } from '../engine/packed-lines-part.ts'
import type { OrphanMarks } from './orphan-marks.ts'
import type { LineChunk } from '../contracts/key-source.ts'

// Every block of a file, in turn, by one reader.
const WHOLE_FILE: BlockShare = { index: 0, count: 1, blockBytes: 1024 * 1024 }

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
}

/** A chunk of the candidates' lines as read back, and which of its lines are orphans. */
export interface OrphanLinesOfChunk {
  readonly chunk: LineChunk
  /** Indexes of the chunk's lines that are orphans, increasing. */
  readonly lines: readonly number[]
}

/**
 * The orphans among `count` spilled candidates, read back from the candidates' own files:
 * line `ordinal` of the files, in order, for each ordinal the marks hold. The files are read
 * again from their start, split as the first read split them (the same lines, whatever the
 * chunks), and must be what they were when first read and hold the same number of lines;
 * otherwise the read fails, since a key read from a changed file could name another object.
 * Each chunk that holds an orphan comes with their indexes in it, valid until the next is
 * asked for (its lines are views of the shared arena, see readLineBlocks).
 */
export function * orphanLinesOfChunks (candidates: CandidateFiles, marks: OrphanMarks, count: number): Generator<OrphanLinesOfChunk> {
  let ordinal = 0
  let next = marks.next(0)
  for (const [f, file] of candidates.files.entries()) {
    const identity = candidates.identities[f] as FileIdentity
    assertUnchanged(file, identity)
    for (const chunk of readLineBlocks([file], [identity], WHOLE_FILE)) {
      const lines: number[] = []
      while (next >= 0 && next < ordinal + chunk.length) {
        lines.push(next - ordinal)
        next = marks.next(next + 1)
      }
      if (lines.length > 0) yield { chunk, lines }
      ordinal += chunk.length
    }
    assertUnchanged(file, identity)
  }
  if (ordinal !== count || next >= 0) {
    const first = candidates.files[0]
    throw new SourceError(first?.name ?? 'candidates', `read again for the orphans' keys, ${candidates.files.map(file => file.path).join(', ')} held ${ordinal} lines where ${count} were read: they changed during the run`)
  }
}

/** The orphans' keys (orphanLinesOfChunks), read back on this thread, a part a chunk. */
export async function * readOrphanLines (candidates: CandidateFiles, marks: OrphanMarks, count: number): AsyncGenerator<DiffPart> {
  for (const { chunk, lines } of orphanLinesOfChunks(candidates, marks, count)) {
    const packed = emptyPackedLines()
    packLines(chunk, lines, lines.length, packed)
    yield new PackedLinesPart('orphans', packed)
  }
}

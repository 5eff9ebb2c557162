import type { Sink } from '@keydiff/core'
import { Redis } from 'ioredis'

// One window a second by the Redis server's clock, so that workers whose clocks disagree still
// share it. A batch is let through whole: into an empty window even when it alone is larger.
const TAKE = `
local now = redis.call('TIME')
local key = KEYS[1] .. ':' .. now[1]
local used = tonumber(redis.call('GET', key) or '0')
local wanted = tonumber(ARGV[1])
if used == 0 or used + wanted <= tonumber(ARGV[2]) then
  redis.call('INCRBY', key, wanted)
  redis.call('PEXPIRE', key, 2000)
  return 0
end
return 1000 - math.floor(tonumber(now[2]) / 1000)
`

/**
 * Actions per second on one store across every worker of a run: each batch takes its keys
 * from the current second's count in Redis, or waits for the next second. BullMQ's own
 * limiter counts jobs; a job here is a whole plan part, so keys are counted here instead.
 */
export class StoreRateLimit {
  private readonly redis: Redis

  constructor (url: string, private readonly key: string, private readonly perSecond: number) {
    if (!(perSecond > 0)) throw new TypeError(`StoreRateLimit: ${String(perSecond)} is not a positive rate`)
    this.redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true })
  }

  /** Resolves once `count` keys may be acted on. */
  async take (count: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted()
      const wait = await this.redis.eval(TAKE, 1, this.key, count, this.perSecond) as number
      if (wait === 0) return
      await new Promise(resolve => setTimeout(resolve, Math.max(1, wait)))
    }
  }

  /** The sink, acting only as fast as the limit lets it. */
  limit (sink: Sink): Sink {
    const limited = Object.create(sink) as Sink & { apply: Sink['apply'] }
    Object.defineProperty(limited, 'apply', {
      value: async (batch: Parameters<Sink['apply']>[0], options?: Parameters<Sink['apply']>[1]) => {
        await this.take(batch.length, options?.signal)
        return await sink.apply(batch, options)
      }
    })
    return limited
  }

  async close (): Promise<void> {
    this.redis.disconnect()
  }
}

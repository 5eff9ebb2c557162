import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError, SinkError } from '@keydiff/core'
import { s3Url } from './location.ts'
import { errorMessage, errorName } from './retry.ts'
import { DEFAULT_TAG, type ObjectTag } from './tag-sink.ts'

export interface TagLifecycleRuleOptions {
  /** Days after an object's creation that S3 expires it, once it carries the tag. Required. */
  days: number
  /** @default { key: 'keydiff', value: 'orphan' } */
  tag?: ObjectTag
  /** Limit the rule to keys under this prefix. @default '' */
  prefix?: string
  /** The rule's ID; applying again replaces the rule with this ID. @default 'keydiff-expire-tagged-orphans' */
  id?: string
}

/**
 * The lifecycle rule that finishes a soft delete: expire objects that carry the tag. S3
 * counts the days from the object's creation, not from the tagging, so an old orphan goes at
 * the next lifecycle run; pick the undo window with that in mind.
 */
export function tagLifecycleRule (options: TagLifecycleRuleOptions): LifecycleRule {
  if (!Number.isInteger(options.days) || options.days < 1) throw new InvalidOptionError('days', `${String(options.days)} is not a positive whole number of days`)
  const tag = options.tag ?? DEFAULT_TAG
  const prefix = options.prefix ?? ''
  const tagFilter = { Key: tag.key, Value: tag.value }
  return {
    ID: options.id ?? 'keydiff-expire-tagged-orphans',
    Status: 'Enabled',
    Filter: prefix === '' ? { Tag: tagFilter } : { And: { Prefix: prefix, Tags: [tagFilter] } },
    Expiration: { Days: options.days },
    NoncurrentVersionExpiration: { NoncurrentDays: options.days }
  }
}

/** The rule as `aws s3api put-bucket-lifecycle-configuration --lifecycle-configuration` takes it, for a reviewer to apply. */
export function formatTagLifecycleRule (options: TagLifecycleRuleOptions): string {
  return JSON.stringify({ Rules: [tagLifecycleRule(options)] }, null, 2)
}

/** Adds the rule to the bucket's lifecycle configuration, keeping every other rule (one with the same ID is replaced). */
export async function applyTagLifecycleRule (options: TagLifecycleRuleOptions & { client: S3Client, bucket: string }): Promise<LifecycleRule> {
  const rule = tagLifecycleRule(options)
  const where = s3Url(options.bucket)
  let rules: LifecycleRule[] = []
  try {
    rules = (await options.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: options.bucket }))).Rules ?? []
  } catch (error) {
    if (errorName(error) !== 'NoSuchLifecycleConfiguration') throw new SinkError(`reading the lifecycle configuration failed: ${errorMessage(error)}`, { adapter: 's3', target: where, cause: error })
  }
  try {
    await options.client.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: options.bucket,
      LifecycleConfiguration: { Rules: [...rules.filter(existing => existing.ID !== rule.ID), rule] }
    }))
  } catch (error) {
    throw new SinkError(`writing the lifecycle configuration failed: ${errorMessage(error)}`, { adapter: 's3', target: where, cause: error })
  }
  return rule
}

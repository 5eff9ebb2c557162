/**
 * The store types keydiff knows by a short name, each the package that exports its driver
 * and the name of that export. `type` in a config may be the short name or the package
 * (`"s3"` and `"@keydiff/s3"` load the same driver); any other package name loads that
 * package's `driver`, so a store from a third-party package needs no entry here.
 */
export const BUILTIN_DRIVERS: Readonly<Record<string, { package: string, export: string, install: readonly string[] }>> = {
  directory: { package: '@keydiff/core/adapter', export: 'directoryDriver', install: ['@keydiff/core'] },
  s3: { package: '@keydiff/s3', export: 'driver', install: ['@keydiff/s3', '@aws-sdk/client-s3'] },
  minio: { package: '@keydiff/minio', export: 'driver', install: ['@keydiff/minio', 'minio'] },
  gcs: { package: '@keydiff/gcs', export: 'driver', install: ['@keydiff/gcs', '@google-cloud/storage'] },
  mongo: { package: '@keydiff/mongo', export: 'driver', install: ['@keydiff/mongo', 'mongodb'] }
}

/** The built-in type a config's `type` names, by its short name or its package; undefined for any other. */
export function builtinType (type: string): string | undefined {
  if (Object.hasOwn(BUILTIN_DRIVERS, type)) return type
  return Object.keys(BUILTIN_DRIVERS).find(name => BUILTIN_DRIVERS[name]?.package === type && BUILTIN_DRIVERS[name]?.export === 'driver')
}

/** The built-in type whose plans bind locations of this scheme (`s3`, `gs`, `file`, `minio`). */
export const SCHEME_TYPES: Readonly<Record<string, string>> = { file: 'directory', s3: 's3', gs: 'gcs', minio: 'minio', mongodb: 'mongo' }

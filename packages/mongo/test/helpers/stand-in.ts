export { startTestServer } from '../../src/testing.ts'
export type { TestServer } from '../../src/testing.ts'

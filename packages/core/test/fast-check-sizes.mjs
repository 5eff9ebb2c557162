// Loaded before every test file by the test script's --import (plain JavaScript: the engine's
// worker threads inherit the flag, and Node 20 runs no TypeScript hooks there). Unless told
// otherwise, fast-check makes arrays and strings of at most ten elements whatever their
// maxLength: a property that names 400 keys or a 9,000-line file would never see more than
// ten, nor a batch boundary past them. With this, a named maximum is what it generates up to.
import fc from 'fast-check'

fc.configureGlobal({ ...fc.readConfigureGlobal(), defaultSizeToMaxWhenMaxSpecified: true })

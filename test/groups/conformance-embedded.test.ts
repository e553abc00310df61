import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startEmbedded } from '../log/helpers.js';
import { runGroupConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-group-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
runGroupConformance('embedded', () => startEmbedded(dir));

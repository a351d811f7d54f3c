// Issue #14: the deploy commands create compose secrets from their sources (file or environment variable on
// this machine, as docker compose up reads them); convert keeps referencing them; --secrets reference opts out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { convertForDeploy } from '../../src/cli/convert.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-deploy-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'db_password.txt'), 's3cret');
writeFileSync(
  join(dir, 'compose.yaml'),
  'services:\n  api:\n    image: api\n    secrets: [db_password]\nsecrets:\n  db_password:\n    file: ./db_password.txt\n',
);

async function secretsOf(flags: Record<string, unknown>) {
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const { objects } = await convertForDeploy({ file: [join(dir, 'compose.yaml')], ...flags });
    return objects.filter((o) => o.kind === 'Secret') as unknown as { metadata: { name: string }; data?: Record<string, string> }[];
  } finally {
    err.mockRestore();
  }
}

describe('secrets on deploy', () => {
  for (const command of ['apply', 'diff', 'up']) {
    it(`${command} creates the Secret from the file`, async () => {
      const secrets = await secretsOf({ command, build: false });
      expect(secrets).toHaveLength(1);
      expect(Object.values(secrets[0]!.data ?? {}).map((v) => Buffer.from(v, 'base64').toString())).toEqual(['s3cret']);
    });
  }
  it('--secrets reference keeps the Secret out', async () => {
    expect(await secretsOf({ command: 'apply', secrets: 'reference' })).toEqual([]);
  });
});

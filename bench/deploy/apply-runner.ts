// One apply of a manifest file through the deploy stage, as its own process (so that start-up counts, as it does for
// kubectl). Bundled and run by apply-bench.mjs. Usage: node runner.mjs <kubeconfig> <namespace> <file.yaml> [send-all]
// ("send-all": no client-side skipping of provably unchanged objects; every object goes to the server).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { applyObjects } from '../../src/deploy/apply.js';
import { connect } from '../../src/deploy/client.js';
import type { KubeObject } from '../../src/deploy/types.js';

const [kubeconfig, namespace, file, mode] = process.argv.slice(2);
const t0 = performance.now();
const objects = parseAllDocuments(readFileSync(file!, 'utf8')).map((d) => d.toJS() as KubeObject);
const cluster = await connect({ kubeconfig });
const t1 = performance.now();
const res = await applyObjects(objects, { cluster, namespace: namespace!, projectName: 'bench', skipUnchanged: mode !== 'send-all' });
const t2 = performance.now();
cluster.close();
const outcomes: Record<string, number> = {};
for (const r of res.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
process.stdout.write(JSON.stringify({ ok: res.ok, setupMs: t1 - t0, applyMs: t2 - t1, outcomes, failures: res.results.filter((r) => r.outcome === 'failed').slice(0, 3).map((r) => r.message) }) + '\n');
process.exitCode = res.ok ? 0 : 1;

// Generates a synthetic compose project of N services: ports, environment, env_file, named volumes,
// healthchecks, depends_on chains and resources, the shapes real projects use.
// Usage: node bench/generate.mjs N DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateProject(n, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'common.env'), 'LOG_LEVEL=info\nREGION=eu-west-1\n');
  const lines = ['name: bench', 'services:'];
  for (let i = 0; i < n; i++) {
    const s = `svc${i}`;
    lines.push(
      `  ${s}:`,
      `    image: registry.example.com/team/${s}:1.${i % 10}.0`,
      `    ports:`,
      `      - "${10000 + i}:8080"`,
      `    expose: ["9090"]`,
      `    environment:`,
      `      SERVICE_NAME: ${s}`,
      `      PEER_URL: http://svc${(i + 1) % n}:8080`,
      `      TAG: \${TAG:-latest}`,
      `    env_file: common.env`,
      `    volumes:`,
      `      - data${i % 50}:/var/lib/${s}`,
      `    healthcheck:`,
      `      test: curl -fsS http://localhost:8080/health || exit 1`,
      `      interval: 10s`,
      `      timeout: 2s`,
      `      retries: 3`,
      `    deploy:`,
      `      replicas: ${1 + (i % 3)}`,
      `      resources:`,
      `        limits: {cpus: "0.5", memory: 256M}`,
      `        reservations: {cpus: "0.1", memory: 64M}`,
    );
    if (i > 0 && i % 10 !== 0) lines.push(`    depends_on:`, `      svc${i - 1}:`, `        condition: service_healthy`);
  }
  lines.push('volumes:');
  for (let v = 0; v < Math.min(50, n); v++) lines.push(`  data${v}: {}`);
  writeFileSync(join(dir, 'compose.yaml'), lines.join('\n') + '\n');
  return join(dir, 'compose.yaml');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100);
  const dir = process.argv[3] ?? `.bench-tmp/p${n}`;
  console.log(generateProject(n, dir));
}

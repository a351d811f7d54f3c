// A project touching every key the first-half passes map, for whole-pipeline tests.
import type { Project } from '../../src/model/project.js';

export const KITCHEN_SINK: Project = {
  name: 'Shop_App',
  'x-kubernetes': { nodeSelector: { pool: 'main' } },
  'x-common': { anchor: true },
  services: {
    web: {
      image: 'nginx:1.27',
      entrypoint: ['/docker-entrypoint.sh'],
      command: ['nginx', '-g', 'daemon off; pid $(cat /x);'],
      environment: { MODE: 'no', PORT: '8080', EMPTY: '', UNSET: null },
      env_file: [{ path: '/proj/.env', required: true, values: { LOG_LEVEL: 'info', FEATURE: 'a b' } }],
      healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'], interval: '15s', timeout: '3s', retries: 4, start_period: '20s' },
      depends_on: {
        db: { condition: 'service_healthy', required: true },
        migrate: { condition: 'service_completed_successfully', required: true },
        cache: { condition: 'service_started', required: true },
      },
      deploy: {
        replicas: 2,
        labels: { tier: 'front', 'has space': 'x y' },
        resources: { limits: { cpus: 0.5, memory: 268435456 }, reservations: { cpus: 0.1, memory: 67108864 } },
        update_config: { parallelism: 1, order: 'start-first' },
        placement: { constraints: ['node.labels.disk == ssd'], preferences: [{ spread: 'node.labels.zone' }] },
      },
      labels: { 'com.example.team': 'web', 'kompose.hpa.cpu': '60%', 'kompose.hpa.replicas.max': '6' },
      annotations: { 'example.com/owner': 'me' },
      user: '101:101',
      cap_drop: ['ALL'],
      cap_add: ['NET_BIND_SERVICE'],
      read_only: true,
      tmpfs: ['/var/cache/nginx:size=32m'],
      shm_size: 67108864,
      stop_grace_period: '30s',
      extra_hosts: { 'legacy.local': ['10.1.2.3'] },
      dns_search: ['corp.example'],
      hostname: 'web',
      pull_policy: 'always',
      platform: 'linux/amd64',
      post_start: [{ command: ['touch', '/tmp/started'] }],
      pre_stop: [{ command: ['nginx', '-s', 'quit'] }],
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
      stdin_open: false,
      tty: false,
      working_dir: '/usr/share/nginx',
      ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }],
    },
    db: {
      image: 'postgres:16',
      environment: { POSTGRES_PASSWORD: 'example' },
      healthcheck: { test: ['CMD', 'pg_isready', '-U', 'postgres'] },
      'x-kubernetes': { controller: 'StatefulSet', podLabels: { backup: 'daily' }, tolerations: [{ key: 'db', operator: 'Exists', effect: 'NoSchedule' }] },
      gpus: [{ count: 1 }],
    },
    migrate: { image: 'shop/migrate', restart: 'on-failure:2', depends_on: { db: { condition: 'service_healthy', required: true } } },
    cache: { image: 'redis:7', deploy: { mode: 'global' }, ulimits: { nofile: { soft: 1024, hard: 2048 } } },
    report: {
      image: 'shop/report',
      restart: 'no',
      'x-kubernetes': { cron: { schedule: '0 2 * * *' }, job: { ttlSecondsAfterFinished: 3600 } },
      pre_start: [{ command: ['prepare'] }],
    },
  },
};

export const KITCHEN_SINK_FILES: Record<string, string> = { '/proj/.env': 'LOG_LEVEL=info\nFEATURE="a b"\n' };

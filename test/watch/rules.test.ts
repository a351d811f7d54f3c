// Rule matching (compose's watchRule.Matches): path containment, include, the rule's ignore patterns, the build
// context's .dockerignore, editor temporary files and .git; the container path of a changed file; and what one
// batch asks for (planBatch).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { compileRules, ignoredByAll, isEditorTemp } from '../../src/watch/rules.js';
import { describeFiles, planBatch } from '../../src/watch/plan.js';
import { execCommand } from '../../src/watch/exec.js';
import { compileIn, projectDir } from './helpers.js';

const COMPOSE = `
services:
  web:
    build: ./web
    develop:
      watch:
        - path: ./web/www
          action: sync
          target: /srv/www
          ignore: [drafts/, "*.tmp"]
        - path: ./web/conf
          action: sync+restart
          target: /etc/web
          include: ["*.conf"]
        - path: ./web/Dockerfile
          action: rebuild
        - path: ./web/hooks
          action: sync+exec
          target: /hooks
          exec:
            command: ["sh", "-c", "echo reloaded"]
  api:
    build: ./api
    develop:
      watch:
        - path: ./shared
          action: sync
          target: /app/shared
  db:
    image: postgres
`;

const p = projectDir({
  'compose.yaml': COMPOSE,
  'web/Dockerfile': 'FROM scratch\n',
  'web/.dockerignore': 'www/secret.txt\n**/*.bak\n',
  'web/www/index.html': 'hi',
  'api/Dockerfile': 'FROM scratch\n',
  'shared/x.txt': 'x',
});
afterAll(() => p.cleanup());

function rules(services: string[] = []) {
  const { loaded } = compileIn(p.dir);
  return compileRules(loaded.project, services, loaded.source.workingDir);
}

const at = (rel: string) => join(p.dir, rel);

describe('rule matching', () => {
  const all = rules();
  const www = all.find((r) => r.target === '/srv/www')!;
  const conf = all.find((r) => r.target === '/etc/web')!;
  const dockerfile = all.find((r) => r.action === 'rebuild')!;

  it('maps a file under the path to the target, keeping its relative path', () => {
    expect(www.map(at('web/www/index.html'))).toBe('/srv/www/index.html');
    expect(www.map(at('web/www/a/b/c.css'))).toBe('/srv/www/a/b/c.css');
    expect(www.map(at('web/www'))).toBe('/srv/www');
    expect(www.map(at('web/wwwx/index.html'))).toBeUndefined();
    expect(www.map(at('web/index.html'))).toBeUndefined();
  });

  it("honours the rule's ignore patterns, relative to its path, and what is under an ignored directory", () => {
    expect(www.map(at('web/www/drafts/post.md'))).toBeUndefined();
    expect(www.map(at('web/www/drafts'))).toBeUndefined();
    expect(www.map(at('web/www/page.tmp'))).toBeUndefined();
    expect(www.map(at('web/www/page.html'))).toBe('/srv/www/page.html');
  });

  it("honours the build context's .dockerignore, relative to the context", () => {
    expect(www.map(at('web/www/secret.txt'))).toBeUndefined();
    expect(www.map(at('web/www/deep/old.bak'))).toBeUndefined();
    // api's context has no .dockerignore: the same name is synced there.
    const api = all.find((r) => r.service === 'api')!;
    expect(api.map(at('shared/old.bak'))).toBe('/app/shared/old.bak');
  });

  it('include narrows the rule to matching files', () => {
    expect(conf.map(at('web/conf/site.conf'))).toBe('/etc/web/site.conf');
    expect(conf.map(at('web/conf/readme.md'))).toBeUndefined();
  });

  it('editor temporary files and .git never trigger anything', () => {
    for (const f of ['.index.html.swp', 'index.html~', '4913', '.#index.html', '#index.html#', 'a.go___jb_tmp___', '.x.kate-swp', 'x-go-tmp-umask', '.git/HEAD', '.idea/workspace.xml', 'sub/.git/index']) {
      expect(www.map(at(`web/www/${f}`)), f).toBeUndefined();
    }
    expect(isEditorTemp('index.html')).toBe(false);
    expect(isEditorTemp('notes.swp')).toBe(false);
  });

  it('a rebuild rule on a file has no target', () => {
    expect(dockerfile.map(at('web/Dockerfile'))).toBe('');
    expect(dockerfile.map(at('web/Dockerfile.dev'))).toBeUndefined();
  });

  it('the watcher skips directories every covering rule ignores, not others', () => {
    expect(ignoredByAll(all, at('web/www/drafts'))).toBe(true);
    expect(ignoredByAll(all, at('web/www/.git'))).toBe(true);
    expect(ignoredByAll(all, at('web/www/assets'))).toBe(false);
    expect(ignoredByAll(all, at('elsewhere'))).toBe(false);
  });

  it('only the selected services', () => {
    expect(new Set(rules(['api']).map((r) => r.service))).toEqual(new Set(['api']));
  });
});

describe('rule errors', () => {
  const problems = (compose: string, services: string[] = []) => {
    const q = projectDir({ 'compose.yaml': compose, 'app/Dockerfile': 'FROM scratch\n' });
    try {
      const { loaded } = compileIn(q.dir);
      compileRules(loaded.project, services, loaded.source.workingDir);
      return [];
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      return e.diagnostics.map((d) => `${d.code}: ${d.message}`);
    } finally {
      q.cleanup();
    }
  };

  it('no service with develop.watch', () => {
    expect(problems('services:\n  a:\n    image: x\n')).toEqual([expect.stringMatching(/^watch\.nothing-to-watch: none of the selected services is configured for watch/)]);
  });
  it('rebuild without build:', () => {
    expect(problems('services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: rebuild}\n')).toEqual([
      'watch.rebuild-without-build: a: a rebuild rule needs a build: section to rebuild from',
    ]);
  });
  it('sync+exec without a command', () => {
    expect(problems('services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: sync+exec, target: /x}\n')).toEqual([
      'watch.exec-without-command: a: a sync+exec rule needs exec.command',
    ]);
  });
  it('an unknown service', () => {
    expect(problems('services:\n  a:\n    build: ./app\n    develop:\n      watch:\n        - {path: ., action: rebuild}\n', ['nope'])).toContain('watch.no-such-service: no such service: nope');
  });
});

describe('planBatch', () => {
  const web = rules(['web']);
  const batch = (...entries: [string, 'upsert' | 'delete'][]) => new Map(entries.map(([f, c]) => [at(f), c]));

  it('sync: copies and deletions, no restart', () => {
    const plan = planBatch(web, batch(['web/www/a.html', 'upsert'], ['web/www/b.html', 'delete'], ['web/www/x.tmp', 'upsert']));
    expect(plan.syncs.map((s) => [s.containerPath, s.deleted])).toEqual([
      ['/srv/www/a.html', false],
      ['/srv/www/b.html', true],
    ]);
    expect(plan.restart).toBe(false);
    expect(plan.rebuild).toEqual([]);
    expect(plan.files).toEqual([at('web/www/a.html'), at('web/www/b.html')]);
  });

  it('sync+restart asks for one restart; sync+exec for its command once', () => {
    const plan = planBatch(web, batch(['web/conf/a.conf', 'upsert'], ['web/conf/b.conf', 'upsert'], ['web/hooks/1', 'upsert'], ['web/hooks/2', 'upsert']));
    expect(plan.restart).toBe(true);
    expect(plan.execs.map((r) => r.target)).toEqual(['/hooks']);
    expect(plan.syncs).toHaveLength(4);
  });

  it('a rebuild wins over a restart (the new pods start anyway)', () => {
    const plan = planBatch(web, batch(['web/conf/a.conf', 'upsert'], ['web/Dockerfile', 'upsert']));
    expect(plan.rebuild.map((r) => r.action)).toEqual(['rebuild']);
    expect(plan.restart).toBe(false);
  });

  it('a rule that cannot sync (no tar) is carried out as a rebuild', () => {
    const www = web.find((r) => r.target === '/srv/www')!;
    const plan = planBatch(web, batch(['web/www/a.html', 'upsert']), (r) => r === www);
    expect(plan.rebuild).toEqual([www]);
    expect(plan.syncs).toEqual([]);
  });

  it('files are named, or counted when many', () => {
    expect(describeFiles([at('web/www/a.html')], at('web'))).toBe('www/a.html');
    expect(describeFiles(['/x/1', '/x/2', '/x/3', '/x/4'], '/x')).toBe('4 files');
    // a rule on one file: the file's name
    expect(describeFiles(['/x/Dockerfile'], '/x/Dockerfile')).toBe('Dockerfile');
  });
});

describe('sync+exec command line', () => {
  it('runs the command as it is without user, working_dir or environment', () => {
    expect(execCommand({ command: ['npm', 'run', 'build'] })).toEqual(['npm', 'run', 'build']);
  });
  it('passes environment through env', () => {
    expect(execCommand({ command: ['make'], environment: { A: '1', B: 'two words', C: null } })).toEqual(['env', 'A=1', 'B=two words', 'make']);
  });
  it('working_dir and user go through sh, the command quoted', () => {
    const argv = execCommand({ command: ['echo', "it's"], working_dir: '/app', user: '1000:1000', environment: { X: 'y' } });
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['sh', '/app', '1000:1000', `env X=y echo 'it'\\''s'`]);
  });
});

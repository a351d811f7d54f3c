// The command line of a sync+exec hook. The exec API runs a command as the container's user, in its working
// directory, with its environment; `environment` is passed through `env`, and `working_dir` and `user` through a
// small `sh` script (cd, then `su` when the container does not already run as that user). `privileged` has no
// exec equivalent and is not applied.
import type { ServiceHook } from '../model/project.js';

/** A word quoted for sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const WRAPPER = [
  'wd=$1; u=${2%%:*}; cmd=$3',
  'if [ -n "$wd" ]; then cd -- "$wd" || exit 126; fi',
  'if [ -n "$u" ] && [ "$u" != "$(id -u 2>/dev/null)" ] && [ "$u" != "$(id -un 2>/dev/null)" ]; then exec su -s /bin/sh "$u" -c "exec $cmd"; fi',
  'eval "exec $cmd"',
].join('\n');

/** The argv to exec for a hook. */
export function execCommand(hook: ServiceHook): string[] {
  const env = Object.entries(hook.environment ?? {})
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
  const argv = env.length > 0 ? ['env', ...env, ...hook.command] : [...hook.command];
  if (!hook.working_dir && !hook.user) return argv;
  return ['sh', '-c', WRAPPER, 'sh', hook.working_dir ?? '', hook.user ?? '', argv.map(shellQuote).join(' ')];
}

/** The command as a shell would read it, for messages: `npm run build`, `sh -c 'echo "$X"'`. */
export function describeCommand(hook: ServiceHook): string {
  return hook.command.map(shellQuote).join(' ');
}

// Files we write that hold secret material (a Secret with data: `convert --secrets inline -o FILE`, a
// directory, Kustomize or Helm output with such a Secret) are created with mode 0600, so other users of the
// machine cannot read them. Everything else keeps the usual 0666 & ~umask.

/** True when a YAML or JSON text holds a Secret object with `data` or `stringData`. */
export function holdsSecretMaterial(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  const yaml = /^kind: Secret\s*$/m.test(s) && /^\s*(data|stringData):\s*(\S|$)/m.test(s);
  const json = /"kind":\s*"Secret"/.test(s) && /"(data|stringData)":\s*\{\s*"/.test(s);
  return yaml || json;
}

/** The mode to create a file with: 0600 for secret material, else the default. */
export function fileModeFor(text: string | Buffer): number {
  return holdsSecretMaterial(text) ? 0o600 : 0o666;
}

// Optional schema validation with kubernetes-models (heavy: loaded only when asked for, never on the default
// convert path). Reports each invalid object as an error diagnostic.

import type { Diagnostics } from '../model/diagnostics.js';
import type { KubeObject } from '../model/kube.js';

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The kubernetes-models module of an apiVersion/kind, e.g. `kubernetes-models/apps/v1/Deployment`. */
export function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

export async function validateObjects(objects: readonly KubeObject[], diagnostics: Diagnostics): Promise<number> {
  let invalid = 0;
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    let Cls: ModelClass | undefined;
    try {
      const mod = (await import(modelModule(object.apiVersion, object.kind))) as Record<string, ModelClass>;
      Cls = mod[object.kind];
    } catch {
      Cls = undefined;
    }
    if (!Cls) {
      diagnostics.add({ severity: 'info', code: 'validate.no-schema', message: `no schema to validate ${object.apiVersion} ${id}` });
      continue;
    }
    try {
      new Cls(object).validate();
    } catch (e) {
      invalid++;
      diagnostics.error('validate.invalid-object', `${id} is invalid: ${(e as Error).message}`);
    }
  }
  return invalid;
}

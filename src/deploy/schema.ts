// Validation against the API schema the server publishes (/openapi/v3), for the objects a server dry run
// cannot check: those of a namespace that does not exist yet (a first deploy), which the server refuses with
// `namespaces "x" not found` before looking at them. Unknown fields are errors, as with fieldValidation=Strict.
import type { Cluster } from './client.js';
import { groupOf, type KubeObject } from './types.js';

interface OpenApiIndex {
  paths: Record<string, { serverRelativeURL: string }>;
}
type Schema = Record<string, unknown>;
interface OpenApiDoc {
  components?: { schemas?: Record<string, Schema> };
}

/** The OpenAPI endpoints answer with a content type the transport does not parse: take the text as JSON. */
function json<T>(body: unknown): T {
  return (typeof body === 'string' ? JSON.parse(body) : body) as T;
}

export type ObjectValidator = (object: KubeObject) => Promise<string[]>;

/** Strict copies of the schemas: objects with listed properties accept no other key, unless marked open. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strict(s)])) : strict(v);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

/** A validator that fetches each group-version's schema once, on first use. */
export function schemaValidator(cluster: Cluster): ObjectValidator {
  let index: Promise<OpenApiIndex> | undefined;
  const docs = new Map<string, Promise<((o: unknown) => string[]) | undefined>>();
  let ajv: Promise<import('ajv').Ajv> | undefined;

  const compile = async (apiVersion: string, kind: string) => {
    index ??= cluster.client.get<unknown>('/openapi/v3').then((b) => json<OpenApiIndex>(b));
    const group = groupOf(apiVersion);
    const key = group ? `apis/${apiVersion}` : `api/${apiVersion}`;
    const entry = (await index).paths[key];
    if (!entry) return undefined;
    const [path, query] = entry.serverRelativeURL.split('?');
    const doc = json<OpenApiDoc>(await cluster.client.get<unknown>(path!, Object.fromEntries(new URLSearchParams(query ?? ''))));
    const schemas = doc.components?.schemas ?? {};
    const name = Object.keys(schemas).find((n) =>
      ((schemas[n]!['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? []).some(
        (g) => g.group === group && `${g.group ? `${g.group}/` : ''}${g.version}` === apiVersion && g.kind === kind,
      ),
    );
    if (!name) return undefined;
    ajv ??= import('ajv').then((m) => new m.Ajv({ strict: false, allErrors: true, validateFormats: false }));
    const a = await ajv;
    const id = `k8s:${key}`;
    if (!a.getSchema(id)) a.addSchema({ $id: id, components: { schemas: strict(schemas) } });
    const validate = a.compile({ $ref: `${id}#/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}` });
    return (o: unknown): string[] => {
      if (validate(o)) return [];
      return (validate.errors ?? []).map((e) => {
        const at = e.instancePath.slice(1).replace(/\//g, '.') || '(object)';
        const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
        return `${at}: ${e.message}${extra}`;
      });
    };
  };

  return async (object) => {
    const key = `${object.apiVersion}/${object.kind}`;
    let v = docs.get(key);
    if (!v) docs.set(key, (v = compile(object.apiVersion, object.kind)));
    const validate = await v;
    if (!validate) return [`no schema for ${object.apiVersion} ${object.kind} in the server's /openapi/v3`];
    return validate(object);
  };
}

// Per-path rule tables (`services.*.ports` -> rule) as a tree of path segments. A walk over a compose tree
// carries the node of its current path: looking up a rule costs one map access per level instead of trying
// every pattern, and the walk can skip whole subtrees that no pattern reaches. Nodes are built on first use,
// so a small project does not pay for the parts of the tables it never reaches.

/** A pattern as a list of keys; `*` matches any one key (but see `wildcardMatches`). */
export type PathPattern = readonly string[];

type Rules<T> = ReadonlyArray<readonly [PathPattern, T]>;

export class RuleNode<T> {
  /** The first rule, in table order, whose pattern is exactly this node's path. */
  readonly rule: T | undefined;
  /** True when no rule lies below this node's path. */
  readonly isLeaf: boolean;
  /** Keys written out (not `*`) at this depth in some pattern. */
  private readonly literalKeys = new Set<string>();
  private readonly named = new Map<string, RuleNode<T>>();
  /** The node any other key leads to; null when no pattern has `*` here, undefined until first needed. */
  private anyKey: RuleNode<T> | null | undefined;

  /** `rules` are the table's entries whose pattern matches this node's path so far, in table order. */
  private constructor(
    private readonly rules: Rules<T>,
    private readonly depth: number,
    private readonly wildcardMatches: (key: string) => boolean,
  ) {
    this.rule = rules.find(([p]) => p.length === depth)?.[1];
    let deeper = false;
    for (const [p] of rules) {
      if (p.length <= depth) continue;
      deeper = true;
      if (p[depth] !== '*') this.literalKeys.add(p[depth]!);
    }
    this.isLeaf = !deeper;
  }

  /** The root of a rule table. `wildcardMatches` says which keys `*` may stand for (default: all). */
  static of<T>(rules: Rules<T>, wildcardMatches: (key: string) => boolean = () => true): RuleNode<T> {
    return new RuleNode(rules, 0, wildcardMatches);
  }

  /** The node of this path extended by `key`; undefined when no rule lies at or below it. */
  child(key: string): RuleNode<T> | undefined {
    if (this.literalKeys.has(key)) {
      let node = this.named.get(key);
      if (!node) {
        node = this.below((k) => k === key || (k === '*' && this.wildcardMatches(key)))!;
        this.named.set(key, node);
      }
      return node;
    }
    if (this.isLeaf || !this.wildcardMatches(key)) return undefined;
    if (this.anyKey === undefined) this.anyKey = this.below((k) => k === '*') ?? null;
    return this.anyKey ?? undefined;
  }

  /** The rule of a whole path, below this node. */
  ruleAt(path: readonly string[]): T | undefined {
    let node: RuleNode<T> | undefined = this;
    for (const key of path) {
      node = node.child(key);
      if (!node) return undefined;
    }
    return node.rule;
  }

  /** The node for the rules whose key at this depth passes `accepts`; undefined when there is none. */
  private below(accepts: (key: string) => boolean): RuleNode<T> | undefined {
    const matching = this.rules.filter(([p]) => p.length > this.depth && accepts(p[this.depth]!));
    return matching.length > 0 ? new RuleNode(matching, this.depth + 1, this.wildcardMatches) : undefined;
  }
}

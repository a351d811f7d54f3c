// Per-path rule tables (`services.*.ports` -> rule) as a tree of path segments. A walk over a compose tree
// carries the node of its current path: looking up a rule costs one map access per level instead of trying
// every pattern, and the walk can skip whole subtrees that no pattern reaches.

/** A pattern as a list of keys; `*` matches any one key (but see `wildcardMatches`). */
export type PathPattern = readonly string[];

export class RuleNode<T> {
  /** The first rule, in table order, whose pattern is exactly this node's path. */
  readonly rule: T | undefined;
  private readonly named = new Map<string, RuleNode<T>>();
  private readonly anyKey: RuleNode<T> | undefined;

  /** `rules` are the table's entries whose pattern matches this node's path so far, in table order. */
  private constructor(rules: ReadonlyArray<readonly [PathPattern, T]>, depth: number, private readonly wildcardMatches: (key: string) => boolean) {
    this.rule = rules.find(([p]) => p.length === depth)?.[1];
    const deeper = rules.filter(([p]) => p.length > depth);
    const wild = deeper.filter(([p]) => p[depth] === '*');
    this.anyKey = wild.length > 0 ? new RuleNode(wild, depth + 1, wildcardMatches) : undefined;
    for (const [p] of deeper) {
      const key = p[depth]!;
      if (key === '*' || this.named.has(key)) continue;
      const matching = deeper.filter(([q]) => q[depth] === key || (q[depth] === '*' && wildcardMatches(key)));
      this.named.set(key, new RuleNode(matching, depth + 1, wildcardMatches));
    }
  }

  /** The root of a rule table. `wildcardMatches` says which keys `*` may stand for (default: all). */
  static of<T>(rules: ReadonlyArray<readonly [PathPattern, T]>, wildcardMatches: (key: string) => boolean = () => true): RuleNode<T> {
    return new RuleNode(rules, 0, wildcardMatches);
  }

  /** True when no rule lies below this node's path. */
  get isLeaf(): boolean {
    return this.named.size === 0 && this.anyKey === undefined;
  }

  /** The node of this path extended by `key`; undefined when no rule lies at or below it. */
  child(key: string): RuleNode<T> | undefined {
    return this.named.get(key) ?? (this.anyKey && this.wildcardMatches(key) ? this.anyKey : undefined);
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
}

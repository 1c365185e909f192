/**
 * An OFX document as a tree of elements. OFX 1.x (SGML) leaves have no closing tags, so a node is
 * either an aggregate (children) or a leaf (text); an empty element has neither.
 */
export interface OfxNode {
  readonly name: string;
  readonly text?: string;
  readonly children: OfxNode[];
  /** The line the element starts on, in a parsed document (for messages naming where). */
  readonly line?: number;
}

export function element(name: string, ...children: (OfxNode | undefined)[]): OfxNode {
  return { name, children: children.filter((c): c is OfxNode => c !== undefined) };
}

export function leaf(name: string, value: string | number): OfxNode {
  return { name, text: String(value), children: [] };
}

/** The first descendant reached by the path of element names (each step a direct child). */
export function find(node: OfxNode | undefined, ...path: string[]): OfxNode | undefined {
  let current = node;
  for (const name of path) current = current?.children.find((c) => c.name === name);
  return current;
}

/** A leaf's text, or undefined when absent or empty. */
export function text(node: OfxNode | undefined, ...path: string[]): string | undefined {
  const value = find(node, ...path)?.text;
  return value === undefined || value === "" ? undefined : value;
}

/** Every descendant of that name, in document order; a walk with its own stack, never recursion. */
export function descendants(node: OfxNode, name: string): OfxNode[] {
  const found: OfxNode[] = [];
  const pending: OfxNode[] = [...node.children].reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.name === name) found.push(next);
    for (let i = next.children.length - 1; i >= 0; i -= 1) pending.push(next.children[i] as OfxNode);
  }
  return found;
}

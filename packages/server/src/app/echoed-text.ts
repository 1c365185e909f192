/**
 * Text a client sent, cut for echoing in an answer. The cut falls on a code-point boundary: cutting
 * between the halves of a surrogate pair (an emoji) would leave a lone surrogate, which strict
 * decoders refuse as invalid JSON text.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

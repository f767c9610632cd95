/**
 * Postgres array literals: parsing the text output (`{1,2,NULL}`, `{"a b","c\"d"}`, nested) and
 * writing one for a bound parameter.
 * @see https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
 * @module
 */

/** Parses an array's text output; elements go through `element`, NULL becomes null. */
export function parseArray(text: string, element: (s: string) => unknown): unknown[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0 // skip dimension decoration [0:1]=
  const read = (): unknown[] => {
    const out: unknown[] = []
    i++ // '{'
    while (i < text.length) {
      const c = text[i]
      if (c === '}') {
        i++
        return out
      }
      if (c === ',') {
        i++
        continue
      }
      if (c === '{') out.push(read())
      else if (c === '"') out.push(element(quoted()))
      else {
        let end = i
        while (end < text.length && text[end] !== ',' && text[end] !== '}') end++
        const raw = text.slice(i, end)
        i = end
        out.push(raw === 'NULL' ? null : element(raw))
      }
    }
    return out
  }
  const quoted = (): string => {
    let s = ''
    i++
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++
      s += text[i]
      i++
    }
    i++
    return s
  }
  return read()
}

/** An array literal for a parameter: elements quoted, null as NULL, nested arrays nested. */
export function arrayLiteral(values: readonly unknown[], encode: (v: unknown) => string | null): string {
  const items = values.map((v) => {
    if (Array.isArray(v)) return arrayLiteral(v, encode)
    const text = encode(v)
    return text === null ? 'NULL' : `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  })
  return `{${items.join(',')}}`
}

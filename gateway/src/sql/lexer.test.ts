import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SqlLexer, Token } from './lexer.js'

const NAMES = Object.fromEntries(Object.entries(Token).map(([k, v]) => [v, k])) as Record<Token, string>

/** `Type:text` for each token of `text` read from `buf[start, end)`. */
function lex(text: string, opts: { standardStrings?: boolean; start?: number; end?: number } = {}): string[] {
  const buf = Buffer.from(text, 'utf8')
  const lx = new SqlLexer().reset(buf, opts.start ?? 0, opts.end ?? buf.length, opts.standardStrings ?? true)
  const out: string[] = []
  for (let t = lx.next(); t !== Token.End; t = lx.next()) {
    out.push(`${NAMES[t]}:${buf.toString('utf8', lx.start, lx.pos)}`)
  }
  return out
}

function unterminated(text: string): boolean {
  const buf = Buffer.from(text)
  const lx = new SqlLexer().reset(buf, 0, buf.length)
  while (lx.next() !== Token.End);
  return lx.unterminated
}

describe('SqlLexer: words, numbers, parameters, punctuation', () => {
  it('reads identifiers with $ and multibyte characters, and keywords as words', () => {
    assert.deepEqual(lex('SELECT a$b$c, café_1 FROM t'), [
      'Word:SELECT',
      'Word:a$b$c',
      'Punct:,',
      'Word:café_1',
      'Word:FROM',
      'Word:t',
    ])
    assert.deepEqual(lex('x$$ ;'), ['Word:x$$', 'Punct:;'])
  })

  it('reads numbers loosely but never past a quote or a $', () => {
    assert.deepEqual(lex('1.5e-3 .5 0x1F 1_000 1e x'), [
      'Number:1.5e-3',
      'Number:.5',
      'Number:0x1F',
      'Number:1_000',
      'Number:1',
      'Word:e',
      'Word:x',
    ])
    assert.deepEqual(lex("1$$;$$ 2'x'"), ['Number:1', 'String:$$;$$', 'Number:2', "String:'x'"])
  })

  it('tells parameters from dollar quotes (a tag cannot start with a digit)', () => {
    assert.deepEqual(lex('$1 $12 $1$ $a b'), [
      'Param:$1',
      'Param:$12',
      'Param:$1',
      'Punct:$',
      'Punct:$',
      'Word:a',
      'Word:b',
    ])
  })

  it('gives one-byte punctuation, operators included', () => {
    assert.deepEqual(lex('(a.b)=>;'), [
      'Punct:(',
      'Word:a',
      'Punct:.',
      'Word:b',
      'Punct:)',
      'Punct:=',
      'Punct:>',
      'Punct:;',
    ])
  })
})

describe('SqlLexer: string literals', () => {
  it("doubles '' inside standard strings, where a backslash is literal", () => {
    assert.deepEqual(lex("'it''s;' x"), ["String:'it''s;'", 'Word:x'])
    assert.deepEqual(lex("'a\\'; select"), ["String:'a\\'", 'Punct:;', 'Word:select'])
  })

  it('lets a backslash escape in E strings, either case', () => {
    assert.deepEqual(lex("E'it\\'s;' x"), ["String:E'it\\'s;'", 'Word:x'])
    assert.deepEqual(lex("e'\\\\' ;"), ["String:e'\\\\'", 'Punct:;'])
    assert.deepEqual(lex("E'a''b\\\\\\'c'"), ["String:E'a''b\\\\\\'c'"])
  })

  it('reads plain strings like E strings when standard_conforming_strings is off', () => {
    assert.deepEqual(lex("'a\\';' b", { standardStrings: false }), ["String:'a\\';'", 'Word:b'])
    assert.deepEqual(lex("N'a\\';' b", { standardStrings: false }), ["String:N'a\\';'", 'Word:b'])
  })

  it("reads B'', X'', N'' and U&'' prefixes, and U&\"\" identifiers", () => {
    assert.deepEqual(lex("B'0101' x'1F' N'n;' U&'d\\0061t' u&\"d\\0061\" u&x"), [
      "String:B'0101'",
      "String:x'1F'",
      "String:N'n;'",
      "String:U&'d\\0061t'",
      'QuotedIdent:u&"d\\0061"',
      'Word:u',
      'Punct:&',
      'Word:x',
    ])
  })

  it("ends bit strings at the first quote (no '' inside B'' or X'')", () => {
    assert.deepEqual(lex("b'01''10'"), ["String:b'01'", "String:'10'"])
  })

  it('treats a one-letter prefix only at the start of a word', () => {
    assert.deepEqual(lex("xe'a'"), ['Word:xe', "String:'a'"])
  })

  it('continues a literal across whitespace holding a newline, in the same mode', () => {
    assert.deepEqual(lex("'a'\n'b' x"), ["String:'a'\n'b'", 'Word:x'])
    assert.deepEqual(lex("'a' 'b'"), ["String:'a'", "String:'b'"])
    assert.deepEqual(lex("'a' -- c\n  'b'"), ["String:'a' -- c\n  'b'"])
    assert.deepEqual(lex("E'a'\r\n'\\';' x"), ["String:E'a'\r\n'\\';'", 'Word:x'])
    assert.deepEqual(lex("'a'/*c*/\n'b'"), ["String:'a'", 'Comment:/*c*/', "String:'b'"])
  })
})

describe('SqlLexer: dollar quotes and quoted identifiers', () => {
  it('ends a dollar quote only at the same tag, compared case-sensitively', () => {
    assert.deepEqual(lex('$$a;b$$ x'), ['String:$$a;b$$', 'Word:x'])
    assert.deepEqual(lex('$t$ $u$ ; $T$ $t$ x'), ['String:$t$ $u$ ; $T$ $t$', 'Word:x'])
    assert.deepEqual(lex('$a$x$ba$;$a$'), ['String:$a$x$ba$;$a$'])
    assert.deepEqual(lex('$_é1$;$_é1$'), ['String:$_é1$;$_é1$'])
  })

  it('doubles "" inside quoted identifiers', () => {
    assert.deepEqual(lex('"a""b;" "se;lect"'), ['QuotedIdent:"a""b;"', 'QuotedIdent:"se;lect"'])
  })
})

describe('SqlLexer: comments', () => {
  it('ends -- comments at \\n or \\r', () => {
    assert.deepEqual(lex('a -- x;\nb --y\rc --z'), [
      'Word:a',
      'Comment:-- x;',
      'Word:b',
      'Comment:--y',
      'Word:c',
      'Comment:--z',
    ])
  })

  it('nests block comments', () => {
    assert.deepEqual(lex('/* a /* b; */ c */ d'), ['Comment:/* a /* b; */ c */', 'Word:d'])
    assert.deepEqual(lex('/*/ x */ y /**/ z'), ['Comment:/*/ x */', 'Word:y', 'Comment:/**/', 'Word:z'])
  })

  it('starts a comment inside an operator, as scan.l cuts the operator there', () => {
    assert.deepEqual(lex('1+/*c*/2 a--b'), [
      'Number:1',
      'Punct:+',
      'Comment:/*c*/',
      'Number:2',
      'Word:a',
      'Comment:--b',
    ])
  })
})

describe('SqlLexer: the end of the text', () => {
  it('flags what is still open at the end, and reads nothing after it', () => {
    for (const text of ["'abc", "E'abc\\", '"abc', '/* a /* b */', '$$abc', '$q$ $q', "'a'\n'b", "b'01"]) {
      assert.equal(unterminated(text), true, text)
      assert.equal(lex(`x ${text}`).length, 2, text)
    }
    assert.equal(unterminated('\'a\' "b" /* c */ $$d$$'), false)
  })

  it('stops at a NUL, as the C string Postgres reads does', () => {
    assert.deepEqual(lex('select 1\0; drop table t'), ['Word:select', 'Number:1'])
  })

  it('never reads past the end of its range', () => {
    const text = "xx'ab'-- /*$$"
    assert.deepEqual(lex(text, { start: 2, end: 5 }), ["String:'ab"])
    assert.deepEqual(lex(text, { start: 6, end: 7 }), ['Punct:-'])
    assert.deepEqual(lex(text, { start: 9, end: 10 }), ['Punct:/'])
    assert.deepEqual(lex(text, { start: 11, end: 12 }), ['Punct:$'])
  })
})

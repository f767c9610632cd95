/**
 * The first word of a statement: for most statements it decides the kind alone; for the others it
 * picks the handler that reads on (see `Step`). The rules are listed, with the reasons, in `index.ts`.
 * @see https://www.postgresql.org/docs/current/sql-commands.html
 * @module
 */

import { Ch } from './char-class.js'
import { KEYWORD_TEXT, type KeywordName, Kw } from './keywords.js'
import { type SqlLexer, Token } from './lexer.js'
import type { StatementKind } from './statement-info.js'
import { type StatementState, Step } from './statement-state.js'

/** [kind, next step, first words]. A word not listed is `other`, decided at once. */
const RULES: ReadonlyArray<readonly [StatementKind, Step, readonly KeywordName[]]> = [
  ['read', Step.Read, ['select', 'values', 'table', 'with']],
  ['read', Step.ExplainHead, ['explain']],
  ['show', Step.Done, ['show']],
  ['set', Step.SetHead, ['set']],
  ['set', Step.Done, ['reset']],
  ['begin', Step.TxModes, ['begin', 'start']],
  ['commit', Step.EndTx, ['commit', 'end']],
  ['rollback', Step.EndTx, ['rollback', 'abort']],
  ['savepoint', Step.Done, ['savepoint', 'release']],
  ['other', Step.Prepare, ['prepare']],
  ['write', Step.CopyHead, ['copy']],
  ['write', Step.CreateHead, ['create']],
  [
    'write',
    Step.Done,
    ['insert', 'update', 'delete', 'merge', 'alter', 'drop', 'truncate', 'grant', 'revoke', 'comment'],
  ],
  [
    'write',
    Step.Done,
    ['security', 'call', 'do', 'lock', 'vacuum', 'analyze', 'analyse', 'cluster', 'reindex', 'refresh'],
  ],
  ['write', Step.Done, ['import', 'reassign', 'checkpoint', 'notify', 'listen']],
]

const KIND_OF: StatementKind[] = KEYWORD_TEXT.map(() => 'other')
const STEP_OF = new Uint8Array(KEYWORD_TEXT.length).fill(Step.Done)
for (const [kind, step, words] of RULES) {
  for (const w of words) {
    KIND_OF[Kw[w]] = kind
    STEP_OF[Kw[w]] = step
  }
}

/** Sets the kind and next step for a statement starting with keyword `kw` (0: not a keyword). */
export function startStatement(st: StatementState, kw: number): void {
  st.kind = KIND_OF[kw]!
  st.step = STEP_OF[kw]! as Step
}

/** Step.First: the first token. Leading `(` wait for the word; anything else is `other`. */
export function onFirst(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  if (t === Token.Punct && lx.byte === Ch.LParen) return
  if (t !== Token.Word) {
    st.kind = 'other'
    st.step = Step.Done
    return
  }
  st.firstKw = kw
  st.firstWordStart = lx.start
  st.firstWordEnd = lx.pos
  st.baseDepth = st.depth
  startStatement(st, kw)
}

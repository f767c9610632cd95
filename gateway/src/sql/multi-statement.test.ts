import { classifySql, classifyStatement } from './classify.js'
import { multiStatementCases } from './testing/multi-statement-cases.js'

multiStatementCases({ classifySql, classifyStatement })

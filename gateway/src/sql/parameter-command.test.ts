import { classifySql, classifyStatement } from './classify.js'
import { parameterCommandCases } from './testing/parameter-command-cases.js'

parameterCommandCases({ classifySql, classifyStatement })

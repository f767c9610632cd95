import { classifySql, classifyStatement } from './classify.js'
import { classifyCases } from './testing/classify-cases.js'

classifyCases({ classifySql, classifyStatement })

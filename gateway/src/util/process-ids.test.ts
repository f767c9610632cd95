import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FIRST_PROCESS_ID, ProcessIds, processIdOf, WORKER_BITS, workerOfProcessId } from './process-ids.js'

describe('process ids', () => {
  test('start above every real pid and carry the worker id', () => {
    for (const worker of [0, 1, 7, 2 ** WORKER_BITS - 1]) {
      const ids = new ProcessIds(worker)
      const seen = [ids.next(() => false), ids.next(() => false), ids.next(() => false)]
      for (const id of seen) {
        assert.ok(id > 4_194_304, `${id} is above PID_MAX_LIMIT`)
        assert.equal(workerOfProcessId(id), worker)
      }
      assert.equal(new Set(seen).size, 3)
    }
  })

  test('skip ids in use and wrap below 2^31', () => {
    const ids = new ProcessIds(3)
    const first = ids.next(() => false)
    const taken = new Set([processIdOf(3, 1), processIdOf(3, 2)])
    assert.equal(
      ids.next((id) => taken.has(id)),
      processIdOf(3, 3),
    )
    assert.equal(first, FIRST_PROCESS_ID + 3)
    const top = processIdOf(15, Math.floor((2 ** 31 - FIRST_PROCESS_ID) / 16) - 1)
    assert.ok(top <= 2 ** 31 - 1, 'the last slot still fits a signed 32-bit int')
  })

  test('ids no worker could hand out have no worker', () => {
    assert.equal(workerOfProcessId(1234), undefined)
    assert.equal(workerOfProcessId(2 ** 31), undefined)
    assert.equal(workerOfProcessId(-5), undefined)
    assert.throws(() => new ProcessIds(16), /worker id/)
  })
})

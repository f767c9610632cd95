/**
 * Issue 22: `@skiff/client-sdk/drizzle` against a real gateway (primary + replicas): queries (insert …
 * returning, select with a filter, relational queries with the schema), `db.batch` in one transaction,
 * `db.transaction` (a throw rolls it back, a nested one is a savepoint), and `db.$replica()` routing.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { asc, sql as dsql, eq, relations } from 'drizzle-orm'
import { boolean, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { drizzle } from '../../client-sdk/src/drizzle/index.js'
import { isSkiffError, type SkiffClient } from '../../client-sdk/src/index.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { sdkClient } from '../helpers/sdk-client.js'
import { directUrl } from '../helpers/topology.js'

const authors = pgTable('sdz_authors', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  active: boolean('active').notNull().default(true),
  meta: jsonb('meta').$type<{ tags: string[] }>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})
const posts = pgTable('sdz_posts', {
  id: serial('id').primaryKey(),
  authorId: integer('author_id')
    .notNull()
    .references(() => authors.id),
  title: text('title').notNull(),
})
const authorsRelations = relations(authors, ({ many }) => ({ posts: many(posts) }))
const postsRelations = relations(posts, ({ one }) => ({
  author: one(authors, { fields: [posts.authorId], references: [authors.id] }),
}))
const schema = { authors, posts, authorsRelations, postsRelations }

describe('client SDK: drizzle', () => {
  let gw: TestGateway
  /** One client for the tests that write, so its bookmark makes each test read the last one's writes. */
  let client: SkiffClient
  before(async () => {
    const su = new pg.Client(directUrl())
    await su.connect()
    await su.query(`drop table if exists sdz_posts, sdz_authors;
      create table sdz_authors (id serial primary key, name text not null, active boolean not null default true,
        meta jsonb, created_at timestamptz not null default now());
      create table sdz_posts (id serial primary key, author_id int not null references sdz_authors(id), title text not null);
      grant all on sdz_authors, sdz_posts to public; grant all on all sequences in schema public to public`)
    await su.end()
    gw = await startTestGateway({
      replicas: true,
      poolSize: 6,
      pool: [
        'query_parser_enabled = true',
        'query_parser_read_write_splitting = true',
        'primary_reads_enabled = false',
        'read_your_writes = true',
      ].join('\n'),
    })
    client = sdkClient(gw)
    // The replicas replay the tables made above before a read can find them there.
    const replica = sdkClient(gw).replica()
    for (let i = 0; ; i++) {
      const ok = await replica`select 1 from sdz_posts limit 0`.then(
        () => true,
        () => false,
      )
      if (ok) break
      if (i > 200) throw new Error('the replicas never got the tables')
      await new Promise((r) => setTimeout(r, 25))
    }
  })
  after(() => gw?.stop())

  it('queries: insert … returning, select with a filter, relational query, raw execute', async () => {
    const db = drizzle(client, { schema })
    const [ada] = await db
      .insert(authors)
      .values({ name: 'Ada', meta: { tags: ['math'] } })
      .returning()
    assert.equal(ada?.name, 'Ada')
    assert.deepEqual(ada?.meta, { tags: ['math'] })
    assert.ok(ada?.createdAt instanceof Date)
    await db.insert(posts).values({ authorId: ada!.id, title: 'Notes' })
    const found = await db
      .select({ id: authors.id, name: authors.name })
      .from(authors)
      .where(eq(authors.id, ada!.id))
    assert.deepEqual(found, [{ id: ada!.id, name: 'Ada' }])
    const withPosts = await db.query.authors.findFirst({
      where: eq(authors.id, ada!.id),
      with: { posts: true },
    })
    assert.deepEqual(
      withPosts?.posts.map((p) => p.title),
      ['Notes'],
    )
    const raw = await db.execute<{ n: number }>(dsql`select count(*)::int as n from ${authors}`)
    assert.deepEqual(raw.rows, [{ n: 1 }])
  })

  it('db.batch: one transaction; a failing one changes nothing', async () => {
    const db = drizzle(client, { schema })
    const [ada] = await db.select().from(authors).where(eq(authors.name, 'Ada'))
    const [inserted, titles, count] = await db.batch([
      db.insert(posts).values({ authorId: ada!.id, title: 'More' }).returning({ id: posts.id }),
      db.select({ title: posts.title }).from(posts).orderBy(asc(posts.id)),
      db.select({ n: dsql<number>`count(*)::int` }).from(posts),
    ])
    assert.equal(inserted.length, 1)
    assert.deepEqual(titles, [{ title: 'Notes' }, { title: 'More' }])
    assert.deepEqual(count, [{ n: 2 }])
    await assert.rejects(
      db.batch([
        db.insert(authors).values({ name: 'Ghost' }),
        db.insert(posts).values({ authorId: -1, title: 'x' }),
      ]),
      (err) => isSkiffError(err) && err.code === '23503',
    )
    assert.deepEqual(await db.$primary().select().from(authors).where(eq(authors.name, 'Ghost')), [])
  })

  it('db.transaction: commits, rolls back on a throw, nests with savepoints', async () => {
    const db = drizzle(client, { schema })
    await db.transaction(async (tx) => {
      await tx.insert(authors).values({ name: 'Grace' })
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.insert(authors).values({ name: 'Inner ghost' })
          throw new Error('undo the inner one')
        }),
      )
      const [n] = await tx.select({ n: dsql<number>`count(*)::int` }).from(authors)
      assert.equal(n!.n, 2, 'Ada and Grace, not the inner ghost')
    })
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.insert(authors).values({ name: 'Rolled back' })
        throw new Error('boom')
      }),
      /boom/,
    )
    const names = await db.$primary().select({ name: authors.name }).from(authors).orderBy(asc(authors.id))
    assert.deepEqual(
      names.map((r) => r.name),
      ['Ada', 'Grace'],
    )
  })

  it('routing: db.$replica() reads on a replica, db.$primary() on the primary', async () => {
    const db = drizzle(sdkClient(gw, { readYourWrites: false }), { schema })
    const recovery = async (d: typeof db) =>
      (await d.execute<{ r: boolean }>(dsql`select pg_is_in_recovery() as r`)).rows[0]!.r
    assert.equal(await recovery(db.$replica()), true)
    assert.equal(await recovery(db.$primary()), false)
  })
})
